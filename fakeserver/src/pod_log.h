// GET pods/NAME/log: a simulated container's log (container_log.h), answered as kube-apiserver
// answers it with the kubelet behind it.
//
// kube-apiserver checks the options (422 for values out of range), picks the container (400 when
// a pod of several containers names none, or names one it does not have), and asks the pod's
// kubelet, whose refusals it relays as 400s worded by the kubelet (a container waiting to start,
// no previous instance). A pod not yet on a node has no kubelet to ask: 204, no body.
#pragma once

#include <kubedouble/fakeserver/container_log.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::fake {

struct Call;
struct ResourceInfo;
class ServerClock;
class Store;

// The handler of GET pods/NAME/log (pod_log.cpp), built from exactly what it reads.
struct PodLogEndpoint {
  const Store& store;                 // the pod, read again while a log is followed
  const ServerClock& clock;           // which lines are written by now
  std::atomic<size_t>& watches;       // open watches and followed logs
  size_t max_watches;                 // --max-watches: a follow over it is answered 429
  const std::atomic<bool>& stopping;  // the server stops: a followed log ends

  // Answers with the log of the pod `call` names in `ns` (`pods`: the pods resource). With
  // follow, the log is streamed (chunked) as the clock writes new lines, until the container
  // ends, the pod goes, the server stops or the client hangs up.
  void Serve(Call& call, const ResourceInfo& pods, const std::string& ns) const;
};

// The query parameters of pods/log (core/v1 PodLogOptions). insecureSkipTLSVerifyBackend and
// stream are accepted and have no effect.
struct PodLogOptions {
  std::string container;
  bool follow = false;
  bool previous = false;
  bool timestamps = false;
  std::optional<int64_t> tail_lines;
  std::optional<int64_t> since_seconds;
  std::optional<TimePoint> since_time;
  std::optional<int64_t> limit_bytes;
};

// Reads the options from query parameters `get(name)` (nullopt when absent). Throws
// StatusError: 400 naming a parameter that is not a number or a time, 422
// (`PodLogOptions "NAME" is invalid: tailLines: Invalid value: -1: must be greater than or equal
// to 0`, and the same for limitBytes, sinceSeconds, and both since options at once).
PodLogOptions ParsePodLogOptions(
    const std::string& pod_name,
    const std::function<std::optional<std::string>(const char* name)>& get);

// One run of a container whose log can be read: its spec and when it started and (if it did)
// ended.
struct ContainerInstance {
  nlohmann::json container;  // the spec (name, image, command, args, env)
  std::string container_id;
  TimePoint started;
  std::optional<TimePoint> finished;
};

// The instance `options` asks for in `pod`, or nullopt for a pod not on a node (no kubelet to
// ask). Throws StatusError 400 with the apiserver's or the kubelet's wording:
//   a container name must be specified for pod p, choose one of: [a b]
//   container c is not valid for pod p
//   previous terminated container "c" in pod "p" not found
//   container "c" in pod "p" is waiting to start: ContainerCreating
// A container on a node without a status yet is taken as ContainerCreating, as the kubelet
// reports it before it starts.
std::optional<ContainerInstance> ResolveLogInstance(const nlohmann::json& pod,
                                                    const PodLogOptions& options);

// The lines of `instance` written by `now` (or its end), filtered by sinceSeconds/sinceTime and
// tailLines, as the text the client gets (timestamps, limitBytes applied).
std::string RenderLog(const nlohmann::json& pod, const ContainerInstance& instance,
                      const PodLogOptions& options, TimePoint now);

// The text of `lines` (each with its line end, with its timestamp if asked).
std::string LogText(const std::vector<LogLine>& lines, bool timestamps);

}  // namespace kubedouble::fake
