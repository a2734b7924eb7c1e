// Pod stages: rules that script what the simulated kubelet does with the pods they select — the
// material for testing how a program copes with failing workloads (kwok calls such rules
// "stages").
//
// A stage file holds one or more YAML documents, each a PodStage:
//
//   apiVersion: kubedouble.dev/v1alpha1
//   kind: PodStage
//   metadata:
//     name: crash-loop
//   spec:
//     selector:                 # every part given must match; an empty selector matches all
//       matchLabels: {app: worker}
//       matchExpressions: [{key: tier, operator: In, values: [batch]}]
//       matchAnnotations: {kubedouble.dev/fate: crash}
//       names: [worker-0]       # pod names
//       namespaces: [default]
//     startDelay: 2s            # ContainerCreating this long before Running (default 0)
//     pullError: true           # pulling the images fails: ErrImagePull, then ImagePullBackOff
//                               # with the kubelet's back-off; {times: 2}: the first 2 pulls
//     ready: false              # the containers never become ready (default true)
//     exit:                     # the containers exit (default: they run; a Job's exit 0)
//       code: 1                 # exit code (0..255)
//       after: 3s               # how long each start runs before the exit (default 0)
//       times: 3                # only the first 3 starts exit; later ones run as by default
//       reason: OOMKilled       # state.terminated.reason (default Completed for 0, else Error)
//       message: out of memory  # state.terminated.message (the termination message)
//     ports:                    # what the containers' ports do (fakeserver/container_ports.h);
//     - port: 8080              # a containerPort number or name; omitted: every port
//       container: web          # omitted: every container
//       http:                   # answers tried in order; other requests get the default echo
//       - path: /healthz        # exact, or "/api/*" for every path under /api/
//         method: GET           # omitted: any method
//         status: 503           # 100..599 (default 200)
//         headers: {Retry-After: "5"}
//         body: not ready
//     - port: 9000
//       echo: true              # a raw TCP echo (port-forward); or closed: true (refused)
//     - port: https
//       tls: true               # speaks HTTPS: pods/proxy https:NAME:PORT
//
// What follows from `exit` depends on the pod's restartPolicy, as with a real kubelet: Never
// ends the pod (Failed for a non-zero code, Succeeded for 0); Always and OnFailure (for a
// non-zero code) restart the containers, the first time at once and then after kubelet's
// back-off of 10 s doubling to 5 min, with the CrashLoopBackOff waiting reason in between.
//
// The first stage (in file order, files in the order given) that selects a pod decides its
// fate, once, when the kubelet first sees the pod; pods no stage selects run as before.
#pragma once

#include <kubedouble/fakeserver/container_ports.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::controlplane {

struct ContainerExit {
  int code = 0;
  std::chrono::milliseconds after{0};
  std::optional<int64_t> times;  // nullopt: every start exits
  std::string reason;            // "": Completed for code 0, Error otherwise
  std::string message;
};

struct PodStage {
  std::string name;
  std::string origin;  // "FILE:LINE" of the document, for messages
  // The selector as written: matchLabels, matchExpressions, matchAnnotations, names, namespaces.
  nlohmann::json selector = nlohmann::json::object();
  std::chrono::milliseconds start_delay{0};
  // Pulls that fail before one succeeds: 0 none, nullopt every one.
  std::optional<int64_t> pull_failures = 0;
  bool ready = true;
  std::optional<ContainerExit> exit;
  // What the pod's container ports do; empty: every declared port is the default responder.
  std::vector<fake::PortRule> ports;
};

// The stages in `text` (a YAML stream). `source` names the text in errors. Throws
// std::invalid_argument "SOURCE:LINE: what is wrong" for anything it cannot read: unknown
// fields, wrong types, bad durations, unknown operators, kwok's Stage kind.
std::vector<PodStage> ParsePodStages(const std::string& text, const std::string& source);
// The stages of a file (errors name the file).
std::vector<PodStage> LoadPodStages(const std::filesystem::path& file);

// Whether `stage` selects `pod`.
bool StageSelects(const PodStage& stage, const nlohmann::json& pod);

// The kubelet's restart back-off before restart number `restart` (1-based) of a container:
// 0 for the first, then 10 s doubling, at most 5 min.
std::chrono::seconds RestartBackOff(int64_t restart);

}  // namespace kubedouble::controlplane
