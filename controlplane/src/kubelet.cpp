// The kubelets of every node: a pod bound to an existing node starts at once — Running, with an
// IP from the node's pod CIDR (the lowest free one), hostIP, startTime, container statuses and
// the five conditions a running pod has — with the Pulled, Created and Started Events. The pods
// of a Job (restartPolicy Never or OnFailure) exit 0 after Options::job_pod_duration (or as long
// as their `sh -c` script sleeps, if longer) and end Succeeded. A pod being deleted
// (deletionTimestamp set, the store waiting for its grace period) has its containers stopped (a
// Killing Event) and its deletion confirmed at once.
#include <fmt/format.h>
#include <kubedouble/fakeserver/container_log.h>

#include <map>
#include <set>

#include "controllers.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

// docker.io/library/nginx@sha256:... for "nginx:1.27", as containerd reports image ids.
std::string ImageId(const std::string& image) {
  std::string repo = image.substr(0, image.find('@'));
  auto slash = repo.rfind('/');
  auto colon = repo.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    repo = repo.substr(0, colon);
  auto first = repo.find('/');
  if (first == std::string::npos) {
    repo = "docker.io/library/" + repo;
  } else {
    std::string host = repo.substr(0, first);
    if (host.find('.') == std::string::npos && host.find(':') == std::string::npos &&
        host != "localhost")
      repo = "docker.io/" + repo;
  }
  return repo + "@sha256:" + Hex64("image/" + image);
}

bool IsJobPod(const json& pod) {
  if (Str(pod, "spec.restartPolicy") == "Always") return false;
  const json& refs = At(pod, "metadata.ownerReferences");
  if (!refs.is_array()) return false;
  for (const auto& r : refs) {
    if (Str(r, "kind") == "Job" && r.value("controller", false)) return true;
  }
  return false;
}

const json& Containers(const json& pod, const char* which) {
  static const json kNone = json::array();
  const json& c = At(pod, std::string("spec.") + which);
  return c.is_array() ? c : kNone;
}

class Kubelet : public Controller {
 public:
  std::string name() const override { return "kubelet"; }

  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override {
    if (deleted) return;
    if (resource == "pods" && !Str(object, "spec.nodeName").empty() &&
        (PodActive(object) || PodTerminating(object))) {
      w.Enqueue(name(), KeyOf(object));
    } else if (resource == "nodes") {
      for (const auto& key : w.cache("pods").OnNode(Str(object, "metadata.name")))
        w.Enqueue(name(), key);
    }
  }

  void Reconcile(World& w, const std::string& key) override {
    const json* found = w.cache("pods").Find(key);
    if (!found) return;
    const std::string node_name = Str(*found, "spec.nodeName");
    if (node_name.empty()) return;
    const json* node = w.cache("nodes").Find(KeyOf("", node_name));
    if (!node) return;  // no kubelet there
    if (PodTerminating(*found)) return Confirm(w, *found);
    if (!PodActive(*found)) return;
    std::string phase = Str(*found, "status.phase");
    if (phase == "Pending" || phase.empty()) {
      Start(w, *found, *node);
    } else if (phase == "Running" && IsJobPod(*found)) {
      Finish(w, *found);
    }
  }

 private:
  std::string HostIpOf(const json& node) {
    const json& addresses = At(node, "status.addresses");
    if (addresses.is_array()) {
      for (const auto& a : addresses) {
        if (Str(a, "type") == "InternalIP") return Str(a, "address");
      }
    }
    return "";
  }

  // The lowest address of the node's pod CIDR (a /24) that no pod on it holds.
  std::string FreeIp(World& w, const json& node) {
    std::string cidr = Str(node, "spec.podCIDR");
    auto dot = cidr.rfind('.');
    if (cidr.empty() || dot == std::string::npos) return "";
    std::string prefix = cidr.substr(0, dot + 1);
    std::set<std::string> used;
    for (const auto& key : w.cache("pods").OnNode(Str(node, "metadata.name"))) {
      if (const json* p = w.cache("pods").Find(key); p && !PodFinished(*p))
        used.insert(Str(*p, "status.podIP"));
    }
    for (int host = 2; host < 255; ++host) {
      std::string ip = prefix + std::to_string(host);
      if (!used.count(ip)) return ip;
    }
    return "";
  }

  void Start(World& w, json pod, const json& node) {
    const std::string now = w.NowText();
    const std::string host_ip = HostIpOf(node);
    std::string pod_ip = At(pod, "spec.hostNetwork") == true ? host_ip : FreeIp(w, node);
    const std::string pod_key = KeyOf(pod);
    json& status = pod["status"];
    status["phase"] = "Running";
    if (!host_ip.empty()) {
      status["hostIP"] = host_ip;
      status["hostIPs"] = {{{"ip", host_ip}}};
    }
    if (!pod_ip.empty()) {
      status["podIP"] = pod_ip;
      status["podIPs"] = {{{"ip", pod_ip}}};
    }
    status["startTime"] = now;
    json& conditions = status["conditions"];
    SetCondition(conditions, "PodReadyToStartContainers", "True", "", "", now);
    SetCondition(conditions, "Initialized", "True", "", "", now);
    SetCondition(conditions, "Ready", "True", "", "", now);
    SetCondition(conditions, "ContainersReady", "True", "", "", now);
    SetCondition(conditions, "PodScheduled", "True", "", "", now);
    json init_statuses = json::array();
    for (const auto& c : Containers(pod, "initContainers")) {
      std::string cname = Str(c, "name"), image = Str(c, "image");
      init_statuses.push_back(
          {{"name", cname},
           {"image", image},
           {"imageID", ImageId(image)},
           {"containerID", "containerd://" + Hex64(pod_key + "/" + cname)},
           {"ready", true},
           {"started", false},
           {"restartCount", 0},
           {"state",
            {{"terminated",
              {{"exitCode", 0},
               {"reason", "Completed"},
               {"startedAt", now},
               {"finishedAt", now},
               {"containerID", "containerd://" + Hex64(pod_key + "/" + cname)}}}}}});
    }
    if (!init_statuses.empty()) status["initContainerStatuses"] = init_statuses;
    json statuses = json::array();
    for (const auto& c : Containers(pod, "containers")) {
      std::string cname = Str(c, "name"), image = Str(c, "image");
      statuses.push_back({{"name", cname},
                          {"image", image},
                          {"imageID", ImageId(image)},
                          {"containerID", "containerd://" + Hex64(pod_key + "/" + cname)},
                          {"ready", true},
                          {"started", true},
                          {"restartCount", 0},
                          {"lastState", json::object()},
                          {"state", {{"running", {{"startedAt", now}}}}}});
    }
    status["containerStatuses"] = statuses;
    auto written = w.UpdateStatus("pods", pod);
    if (!written) return;
    const std::string node_name = Str(node, "metadata.name");
    for (const char* which : {"initContainers", "containers"}) {
      for (const auto& c : Containers(pod, which)) {
        std::string cname = Str(c, "name"), image = Str(c, "image");
        std::string field = fmt::format("spec.{}{{{}}}", which, cname);
        if (Str(c, "imagePullPolicy") == "Always") {
          w.Event(*written, false, "Pulling", fmt::format("Pulling image \"{}\"", image), "kubelet",
                  node_name, field);
          w.Event(*written, false, "Pulled",
                  fmt::format("Successfully pulled image \"{}\" in 0s (0s including waiting). "
                              "Image size: 0 bytes.",
                              image),
                  "kubelet", node_name, field);
        } else {
          w.Event(*written, false, "Pulled",
                  fmt::format("Container image \"{}\" already present on machine", image),
                  "kubelet", node_name, field);
        }
        w.Event(*written, false, "Created", fmt::format("Created container: {}", cname), "kubelet",
                node_name, field);
        w.Event(*written, false, "Started", fmt::format("Started container {}", cname), "kubelet",
                node_name, field);
      }
    }
    if (IsJobPod(*written)) {
      due_[pod_key] = w.now() + RunTime(w, *written);
      w.After(due_[pod_key], name(), pod_key);
    }
  }

  // A pod being deleted: its containers stop at once, and the kubelet confirms the deletion
  // (grace period 0), as kwok does, rather than letting the whole grace period run.
  void Confirm(World& w, const json& pod) {
    const std::string node_name = Str(pod, "spec.nodeName");
    if (Str(pod, "status.phase") == "Running") {
      for (const auto& c : Containers(pod, "containers")) {
        std::string cname = Str(c, "name");
        w.Event(pod, false, "Killing", fmt::format("Stopping container {}", cname), "kubelet",
                node_name, fmt::format("spec.containers{{{}}}", cname));
      }
    }
    due_.erase(KeyOf(pod));
    w.Delete("pods", pod, 0);
  }

  // How long a Job's pod runs: job_pod_duration, or longer if a container's script sleeps
  // longer (`sh -c 'echo a; sleep 5; echo b'` writes both lines before it exits).
  static std::chrono::nanoseconds RunTime(World& w, const json& pod) {
    std::chrono::nanoseconds longest = w.options().job_pod_duration;
    for (const auto& c : Containers(pod, "containers")) {
      longest = std::max(longest, fake::ProgramRunTime(c));
    }
    return longest;
  }

  // A Job's pod whose containers have run their time exits 0.
  void Finish(World& w, json pod) {
    const std::string key = KeyOf(pod);
    auto due = due_.find(key);
    if (due == due_.end()) {  // started before this control plane was
      due = due_.emplace(key, w.now() + RunTime(w, pod)).first;
      w.After(due->second, name(), key);
    }
    if (w.now() < due->second) return;
    due_.erase(due);
    const std::string now = w.NowText();
    json& status = pod["status"];
    status["phase"] = "Succeeded";
    json& conditions = status["conditions"];
    SetCondition(conditions, "PodReadyToStartContainers", "False", "", "", now);
    SetCondition(conditions, "Initialized", "True", "PodCompleted", "", now);
    SetCondition(conditions, "Ready", "False", "PodCompleted", "", now);
    SetCondition(conditions, "ContainersReady", "False", "PodCompleted", "", now);
    if (status["containerStatuses"].is_array()) {
      for (auto& cs : status["containerStatuses"]) {
        std::string started_at = Str(cs, "state.running.startedAt");
        cs["ready"] = false;
        cs["started"] = false;
        cs["state"] = {{"terminated",
                        {{"exitCode", 0},
                         {"reason", "Completed"},
                         {"startedAt", started_at.empty() ? now : started_at},
                         {"finishedAt", now},
                         {"containerID", Str(cs, "containerID")}}}};
      }
    }
    w.UpdateStatus("pods", pod);
  }

  std::map<std::string, TimePoint> due_;  // when each running Job pod's containers exit
};

}  // namespace

std::unique_ptr<Controller> NewKubelet() { return std::make_unique<Kubelet>(); }

}  // namespace kubedouble::controlplane
