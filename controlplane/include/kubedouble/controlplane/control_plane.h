// kubedouble::controlplane — a simulated control plane beside the fake API server.
//
// A real cluster is more than its API server: a scheduler binds pods to nodes, kubelets run them
// and report their status, controllers turn Deployments into ReplicaSets into Pods and Jobs into
// completed Pods. Without them pods stay Pending forever and `kubectl rollout status` never
// finishes. ControlPlane plays all of these parts, as kwok does, inside the kubedouble process:
//
//   kubedouble::fake::Server server(options);
//   server.Start();
//   kubedouble::controlplane::ControlPlane cp(server, {});   // every controller, one node
//   cp.Start();
//   // kubectl create deployment web --image=nginx --replicas=3; kubectl rollout status ...
//
// It reads and writes only through the store's public interface (List, watch, Create, Update,
// Delete) — never through HTTP handlers — so what it does is what a client would see a real
// control plane do: ordinary watch events, resourceVersions and Events.
//
// Time. The control plane follows the server's clock (fakeserver/clock.h):
// - real clock: it reacts to every change at once (a 3-replica Deployment is rolled out in a few
//   milliseconds) and timed work (Job containers that finish, node Lease renewals) happens when
//   the system clock reaches it;
// - fake clock: nothing happens until the clock moves. Each advance (POST /__kubedouble/clock)
//   reads the whole store, does everything that is due up to the new time, in time order, and
//   returns only when the cluster has settled — so a test advances the clock and then looks.
//
// Determinism: the same inputs give the same objects. Generated names (pods of a ReplicaSet,
// Events), pod-template-hash labels and pod IPs are derived from the inputs, not from a random
// source (uids and timestamps, which the store assigns, are the exception).
#pragma once

#include <kubedouble/controlplane/stages.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kubedouble::fake {
class Server;
class Store;
class ServerClock;
}  // namespace kubedouble::fake

namespace kubedouble::controlplane {

// The parts that can be switched on and off (--controllers).
//   namespace   the default ServiceAccount and kube-root-ca.crt ConfigMap in every namespace,
//               and service/kubernetes with its EndpointSlice and Endpoints
//   node        the simulated nodes (--nodes) and their Leases in kube-node-lease
//   scheduler   binds pending pods to nodes that fit them (nodeName, nodeSelector, taints,
//               spec.unschedulable, pod capacity); PodScheduled=False and FailedScheduling else
//   kubelet     runs bound pods: Running with podIP, hostIP, container statuses, conditions;
//               pods of Jobs (restartPolicy Never/OnFailure) succeed after job_pod_duration;
//               pods that a stage selects follow it (delays, unready, exits, restarts);
//               a pod being deleted (deletionTimestamp) is confirmed gone at once
//   replicaset  pods to spec.replicas, with ownerReferences
//   deployment  ReplicaSets by pod-template-hash, rolling updates, revisions, status
//   job         completions, parallelism, backoffLimit, Complete/Failed conditions
//   statefulset pods NAME-0, NAME-1, ... made in order, each once the one before is ready
//   daemonset   one pod per node that fits the DaemonSet
//   cronjob     Jobs from jobTemplate when the schedule comes round on the clock
//   endpoints   EndpointSlices and Endpoints of Services from ready pods
//   disruption  the status of PodDisruptionBudgets (what evictions and `kubectl drain` read)
std::vector<std::string> AllControllers();

// "all" or "" (every controller), "none", or a comma list of the names above. Throws
// std::invalid_argument naming an unknown controller and listing the known ones.
std::set<std::string> ParseControllers(const std::string& text);

struct Options {
  std::set<std::string> controllers = {};  // empty: AllControllers(); see ParseControllers
  int nodes = 1;  // simulated nodes: kubedouble-control-plane, kubedouble-worker, -worker2, ...
  // How long a container of a Job's pod runs before it exits 0.
  std::chrono::milliseconds job_pod_duration{std::chrono::milliseconds(500)};
  // A node renews its Lease this often (kubelet: 10 s of a 40 s lease).
  std::chrono::seconds lease_renew_interval{10};
  // The address and port service/kubernetes points at (the API server's own); empty/0: taken
  // from the Server given to the constructor.
  std::string api_address = {};
  int api_port = 0;
  std::string ca_pem = {};  // the cluster CA, for kube-root-ca.crt ConfigMaps; "" : the server's
  // Scripted pod fates (stages.h); the first that selects a pod decides. Empty: every
  // container starts, is ready at once and runs (a Job's exits 0 after job_pod_duration).
  std::vector<PodStage> stages = {};
};

class ControlPlane {
 public:
  // Runs against `server`'s store and clock. The server must outlive the ControlPlane.
  ControlPlane(fake::Server& server, Options options);
  // The parts, for a store without a Server (tests): `api_address`, `api_port` and `ca_pem`
  // are taken from `options`.
  ControlPlane(fake::Store& store, fake::ServerClock& clock, Options options);
  ~ControlPlane();  // Stop()
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Creates the nodes and starts following the store. With a fake clock, the first pass runs on
  // the first advance.
  void Start();
  void Stop();  // idempotent; returns once the control plane's threads have ended

  // Real clock: waits until every change so far has been handled and nothing new has come in
  // for `quiet` (work timed for later, such as a Job pod's exit, does not count) — so that a test
  // or a scenario starts once the cluster has settled. False when `timeout` passed first. Fake
  // clock: true at once (each advance returns settled).
  bool WaitIdle(std::chrono::milliseconds quiet = std::chrono::milliseconds(50),
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

  const Options& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubedouble::controlplane
