// The kubelets of every node: a pod bound to an existing node starts at once — Running, with an
// IP from the node's pod CIDR (the lowest free one), hostIP, startTime, container statuses and
// the five conditions a running pod has — with the Pulled, Created and Started Events. The pods
// of a Job (restartPolicy Never or OnFailure) exit 0 after Options::job_pod_duration (or as long
// as their `sh -c` script sleeps, if longer) and end Succeeded. A pod being deleted
// (deletionTimestamp set, the store waiting for its grace period) has its containers stopped (a
// Killing Event) and its deletion confirmed at once.
//
// A pod that a stage selects (Options::stages, stages.h) follows the stage instead: it waits in
// ContainerCreating for startDelay, its containers stay unready, or they exit with the stage's
// code after its run time — ending the pod (restartPolicy Never) or restarting the containers
// with the kubelet's back-off (CrashLoopBackOff, restartCount, lastState.terminated, the BackOff
// Event) — or their images cannot be pulled (ErrImagePull, ImagePullBackOff).
#include <fmt/format.h>
#include <kubedouble/fakeserver/container_log.h>

#include <algorithm>
#include <map>
#include <set>

#include "controllers.h"
#include "objects.h"
#include "pod_status.h"

namespace kubedouble::controlplane {
namespace {

bool IsJobPod(const json& pod) {
  if (Str(pod, "spec.restartPolicy") == "Always") return false;
  const json& refs = At(pod, "metadata.ownerReferences");
  if (!refs.is_array()) return false;
  for (const auto& r : refs) {
    if (Str(r, "kind") == "Job" && r.value("controller", false)) return true;
  }
  return false;
}

// A whole number of seconds as Go prints a time.Duration: "10s", "2m40s", "5m0s".
std::string GoSeconds(std::chrono::seconds d) {
  if (d.count() < 60) return fmt::format("{}s", d.count());
  return fmt::format("{}m{}s", d.count() / 60, d.count() % 60);
}

class Kubelet : public Controller {
 public:
  std::string name() const override { return "kubelet"; }

  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override {
    if (deleted) {
      if (resource == "pods") runs_.erase(KeyOf(object));
      return;
    }
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
    if (!PodActive(*found)) {
      runs_.erase(key);
      return;
    }
    const std::string phase = Str(*found, "status.phase");
    auto it = runs_.find(key);
    if (it == runs_.end() || it->second.uid != Str(*found, "metadata.uid")) {
      Run fresh;
      fresh.uid = Str(*found, "metadata.uid");
      fresh.stage = Select(w, *found);
      it = runs_.insert_or_assign(key, fresh).first;
      Run& run = it->second;
      if (phase == "Running") {  // started before this control plane was
        run.step = Step::kRunning;
        ScheduleExit(w, *found, run);
        return;
      }
      if (run.stage && run.stage->start_delay.count() > 0) {
        run.step = Step::kCreating;
        run.next = w.now() + run.stage->start_delay;
        w.After(run.next, name(), key);
        Creating(w, *found, *node);
        return;
      }
      return Begin(w, *found, *node, run);
    }
    Run& run = it->second;
    if (phase == "Running" && StartEphemeralContainers(w, *found)) return;
    if (w.now() < run.next) return;
    switch (run.step) {
      case Step::kCreating:
      case Step::kPullBackOff:
        return Begin(w, *found, *node, run);
      case Step::kPullFailed:
        return PullBackOff(w, *found, run);
      case Step::kRunning:
        if (run.exit) return Exit(w, *found, run);
        return;
      case Step::kBackOff:
        return Restart(w, *found, run);
      case Step::kDone:
        return;
    }
  }

 private:
  enum class Step { kCreating, kPullFailed, kPullBackOff, kRunning, kBackOff, kDone };
  // What the kubelet is doing with one pod.
  struct Run {
    std::string uid;
    const PodStage* stage = nullptr;  // the stage that selected the pod, if any
    Step step = Step::kCreating;
    TimePoint next{};                   // when the current step ends
    std::optional<ContainerExit> exit;  // how the current start ends (nullopt: it runs on)
    int64_t exits = 0;                  // starts that have exited so far
    int64_t pulls = 0;                  // image pulls that have failed so far
  };

  static const PodStage* Select(World& w, const json& pod) {
    for (const auto& stage : w.options().stages) {
      if (StageSelects(stage, pod)) return &stage;
    }
    return nullptr;
  }

  static bool Ready(const Run& run) { return !run.stage || run.stage->ready; }

  // Whether the next image pull fails (the stage's pullError).
  static bool PullFails(const Run& run) {
    if (!run.stage) return false;
    const auto& failures = run.stage->pull_failures;
    return !failures || run.pulls < *failures;
  }

  // The containers are due to start: their images are pulled, or the pull fails.
  void Begin(World& w, const json& pod, const json& node, Run& run) {
    if (PullFails(run)) return PullFailed(w, pod, node, run);
    Start(w, pod, node, run);
  }

  // The images could not be pulled: Pending, the containers waiting with ErrImagePull, and
  // the kubelet's Pulling and Failed Events; the back-off follows at once.
  void PullFailed(World& w, json pod, const json& node, Run& run) {
    ++run.pulls;
    const std::string now = w.NowText();
    json& status = pod["status"];
    status["phase"] = "Pending";
    SetHost(status, node, now);
    if (Str(status, "podIP").empty()) {  // the pod's sandbox (and address) exists
      if (std::string ip = FreeIp(w, node); !ip.empty()) {
        status["podIP"] = ip;
        status["podIPs"] = {{{"ip", ip}}};
      }
    }
    json statuses = json::array();
    for (const auto& c : Containers(pod, "containers")) {
      json cs = WaitingContainer(c, "ErrImagePull");
      cs["state"]["waiting"]["message"] = PullError(Str(c, "image"));
      statuses.push_back(std::move(cs));
    }
    status["containerStatuses"] = statuses;
    SetSandboxConditions(status, now);
    run.step = Step::kPullFailed;
    run.next = w.now();
    auto written = w.UpdateStatus("pods", pod, Origin::kOwn);
    if (!written) return;
    for (const auto& c : Containers(pod, "containers")) {
      const std::string image = Str(c, "image"), node_name = Str(pod, "spec.nodeName");
      const std::string field = fmt::format("spec.containers{{{}}}", Str(c, "name"));
      w.Event(*written, false, "Pulling", fmt::format("Pulling image \"{}\"", image), "kubelet",
              node_name, field);
      w.Event(*written, true, "Failed",
              fmt::format("Failed to pull image \"{}\": {}", image, PullError(image)), "kubelet",
              node_name, field);
      w.Event(*written, true, "Failed", "Error: ErrImagePull", "kubelet", node_name, field);
    }
    w.After(run.next, name(), KeyOf(pod));
  }

  // After a failed pull: ImagePullBackOff until the next try, 10 s doubling to 5 min.
  void PullBackOff(World& w, json pod, Run& run) {
    const auto back_off = RestartBackOff(run.pulls + 1);
    const std::string now = w.NowText();
    json& status = pod["status"];
    if (status["containerStatuses"].is_array()) {
      for (auto& cs : status["containerStatuses"]) {
        cs["state"] = {
            {"waiting",
             {{"reason", "ImagePullBackOff"},
              {"message", fmt::format("Back-off pulling image \"{}\"", Str(cs, "image"))}}}};
      }
    }
    run.step = Step::kPullBackOff;
    run.next = w.now() + back_off;
    auto written = w.UpdateStatus("pods", pod, Origin::kOwn);
    if (!written) return;
    for (const auto& c : Containers(pod, "containers")) {
      const std::string image = Str(c, "image"), node_name = Str(pod, "spec.nodeName");
      const std::string field = fmt::format("spec.containers{{{}}}", Str(c, "name"));
      w.Event(*written, false, "BackOff", fmt::format("Back-off pulling image \"{}\"", image),
              "kubelet", node_name, field);
      w.Event(*written, true, "Failed", "Error: ImagePullBackOff", "kubelet", node_name, field);
    }
    w.After(run.next, name(), KeyOf(pod));
  }

  // What containerd answers for an image that is not there.
  static std::string PullError(const std::string& image) {
    const std::string ref = ImageReference(image);
    return fmt::format(
        "rpc error: code = NotFound desc = failed to pull and unpack image \"{0}\": failed to "
        "resolve reference \"{0}\": {0}: not found",
        ref);
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

  // How the start just made ends: the stage's exit while it has exits left, else a Job's pod
  // exits 0 after its run time and any other runs on.
  void ScheduleExit(World& w, const json& pod, Run& run) {
    run.exit.reset();
    if (run.stage && run.stage->exit &&
        (!run.stage->exit->times || run.exits < *run.stage->exit->times)) {
      run.exit = run.stage->exit;
    } else if (IsJobPod(pod)) {
      ContainerExit done;
      done.after = std::chrono::duration_cast<std::chrono::milliseconds>(RunTime(w, pod));
      run.exit = done;
    }
    if (!run.exit) return;
    run.next = w.now() + run.exit->after;
    w.After(run.next, name(), KeyOf(pod));
  }

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

  void SetHost(json& status, const json& node, const std::string& now) {
    const std::string host_ip = HostIpOf(node);
    if (!host_ip.empty()) {
      status["hostIP"] = host_ip;
      status["hostIPs"] = {{{"ip", host_ip}}};
    }
    if (!status.contains("startTime")) status["startTime"] = now;
  }

  // A stage's startDelay: Pending, the containers being created (kubectl: ContainerCreating).
  void Creating(World& w, json pod, const json& node) {
    const std::string now = w.NowText();
    json& status = pod["status"];
    status["phase"] = "Pending";
    SetHost(status, node, now);
    const json& inits = Containers(pod, "initContainers");
    json init_statuses = json::array(), statuses = json::array();
    std::string incomplete;
    for (const auto& c : inits) {
      init_statuses.push_back(WaitingContainer(c, "ContainerCreating"));
      if (!incomplete.empty()) incomplete += ' ';
      incomplete += Str(c, "name");
    }
    for (const auto& c : Containers(pod, "containers"))
      statuses.push_back(
          WaitingContainer(c, inits.empty() ? "ContainerCreating" : "PodInitializing"));
    if (!init_statuses.empty()) status["initContainerStatuses"] = init_statuses;
    status["containerStatuses"] = statuses;
    json& conditions = status["conditions"];
    SetCondition(conditions, "PodReadyToStartContainers", "False", "", "", now);
    if (incomplete.empty()) {
      SetCondition(conditions, "Initialized", "True", "", "", now);
    } else {
      SetCondition(conditions, "Initialized", "False", "ContainersNotInitialized",
                   fmt::format("containers with incomplete status: [{}]", incomplete), now);
    }
    SetReadiness(status, now);
    SetCondition(conditions, "PodScheduled", "True", "", "", now);
    w.UpdateStatus("pods", pod, Origin::kOwn);
  }

  // The Pulled, Created and Started Events of starting `containers`.
  // The ephemeral containers kubectl debug added to a running pod start at once: each without a
  // status gets a running one. True when a status was written.
  static bool StartEphemeralContainers(World& w, const json& found) {
    const json& had = found.value("/status/ephemeralContainerStatuses"_json_pointer, json::array());
    json statuses = had.is_array() ? had : json::array();
    const std::string now = w.NowText(), pod_key = KeyOf(found);
    for (const auto& c : Containers(found, "ephemeralContainers")) {
      const std::string cname = Str(c, "name"), image = Str(c, "image");
      const bool known = std::any_of(statuses.begin(), statuses.end(), [&](const json& s) {
        return s.is_object() && s.value("name", "") == cname;
      });
      if (known) continue;
      statuses.push_back({{"name", cname},
                          {"image", image},
                          {"imageID", ImageId(image)},
                          {"containerID", "containerd://" + Hex64(pod_key + "/" + cname)},
                          {"ready", false},
                          {"restartCount", 0},
                          {"lastState", json::object()},
                          {"state", {{"running", {{"startedAt", now}}}}}});
    }
    if (statuses.size() == (had.is_array() ? had.size() : 0)) return false;
    json pod = found;
    pod["status"]["ephemeralContainerStatuses"] = std::move(statuses);
    w.UpdateStatus("pods", pod, Origin::kOwn);
    return true;
  }

  void StartEvents(World& w, const json& pod, const char* which) {
    const std::string node_name = Str(pod, "spec.nodeName");
    for (const auto& c : Containers(pod, which)) {
      std::string cname = Str(c, "name"), image = Str(c, "image");
      std::string field = fmt::format("spec.{}{{{}}}", which, cname);
      if (Str(c, "imagePullPolicy") == "Always") {
        w.Event(pod, false, "Pulling", fmt::format("Pulling image \"{}\"", image), "kubelet",
                node_name, field);
        w.Event(pod, false, "Pulled",
                fmt::format("Successfully pulled image \"{}\" in 0s (0s including waiting). "
                            "Image size: 0 bytes.",
                            image),
                "kubelet", node_name, field);
      } else {
        w.Event(pod, false, "Pulled",
                fmt::format("Container image \"{}\" already present on machine", image), "kubelet",
                node_name, field);
      }
      w.Event(pod, false, "Created", fmt::format("Created container: {}", cname), "kubelet",
              node_name, field);
      w.Event(pod, false, "Started", fmt::format("Started container {}", cname), "kubelet",
              node_name, field);
    }
  }

  // A never-ready container with a readinessProbe: the Unhealthy Warning its failing probe
  // gives, worded per probe kind as the kubelet's prober words it.
  void ProbeFailures(World& w, const json& pod) {
    for (const auto& c : Containers(pod, "containers")) {
      const json& probe = At(c, "readinessProbe");
      if (!probe.is_object()) continue;
      std::string why;
      if (probe.contains("httpGet")) {
        why = "HTTP probe failed with statuscode: 503";
      } else if (probe.contains("tcpSocket")) {
        const json& port = At(probe, "tcpSocket.port");
        std::string number = port.is_number() ? port.dump() : Str(probe, "tcpSocket.port");
        if (const json& ports = At(c, "ports"); port.is_string() && ports.is_array()) {
          for (const auto& p : ports) {
            if (Str(p, "name") == Str(probe, "tcpSocket.port"))
              number = At(p, "containerPort").dump();
          }
        }
        why = fmt::format("dial tcp {}:{}: connect: connection refused", Str(pod, "status.podIP"),
                          number);
      } else if (probe.contains("grpc")) {
        why = "service unhealthy (responded with \"NOT_SERVING\")";
      }
      const std::string cname = Str(c, "name");
      w.Event(pod, true, "Unhealthy", "Readiness probe failed: " + why, "kubelet",
              Str(pod, "spec.nodeName"), fmt::format("spec.containers{{{}}}", cname));
    }
  }

  void Start(World& w, json pod, const json& node, Run& run) {
    const std::string now = w.NowText();
    const std::string host_ip = HostIpOf(node);
    std::string pod_ip = At(pod, "spec.hostNetwork") == true ? host_ip
                         : !Str(pod, "status.podIP").empty() ? Str(pod, "status.podIP")
                                                             : FreeIp(w, node);
    const std::string pod_key = KeyOf(pod);
    json& status = pod["status"];
    status["phase"] = "Running";
    SetHost(status, node, now);
    if (!pod_ip.empty()) {
      status["podIP"] = pod_ip;
      status["podIPs"] = {{{"ip", pod_ip}}};
    }
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
                          {"ready", Ready(run)},
                          {"started", true},
                          {"restartCount", 0},
                          {"lastState", json::object()},
                          {"state", {{"running", {{"startedAt", now}}}}}});
    }
    status["containerStatuses"] = statuses;
    SetSandboxConditions(status, now);
    run.step = Step::kRunning;
    auto written = w.UpdateStatus("pods", pod, Origin::kOwn);
    if (!written) {
      runs_.erase(pod_key);  // read again and start over
      return;
    }
    StartEvents(w, *written, "initContainers");
    StartEvents(w, *written, "containers");
    if (!Ready(run)) ProbeFailures(w, *written);
    ScheduleExit(w, *written, run);
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
    runs_.erase(KeyOf(pod));
    w.Delete("pods", pod, 0);
  }

  // The containers of a start exit with the code of `run.exit`. Under restartPolicy Never (or
  // OnFailure with code 0) that ends the pod; otherwise the containers restart, at once the
  // first time and after the back-off later (CrashLoopBackOff in between).
  void Exit(World& w, json pod, Run& run) {
    const int code = run.exit->code;
    ++run.exits;
    const std::string now = w.NowText();
    std::string policy = Str(pod, "spec.restartPolicy");
    if (policy.empty()) policy = "Always";
    const bool restart = policy == "Always" || (policy == "OnFailure" && code != 0);
    json& status = pod["status"];
    int64_t restarts = 0;
    if (status["containerStatuses"].is_array()) {
      for (auto& cs : status["containerStatuses"]) {
        json terminated = Terminated(code, Str(cs, "state.running.startedAt"), now,
                                     Str(cs, "containerID"), run.exit->reason, run.exit->message);
        cs["ready"] = false;
        cs["started"] = false;
        restarts = std::max(restarts, Int(cs, "restartCount", 0));
        if (restart) cs["lastState"] = {{"terminated", terminated}};
        cs["state"] = {{"terminated", terminated}};
      }
    }
    json& conditions = status["conditions"];
    if (!restart) {
      const char* reason = code == 0 ? "PodCompleted" : "PodFailed";
      status["phase"] = code == 0 ? "Succeeded" : "Failed";
      SetCondition(conditions, "PodReadyToStartContainers", "False", "", "", now);
      // Initialized says PodCompleted for a pod that succeeded only, as upstream's kubelet.
      SetCondition(conditions, "Initialized", "True", code == 0 ? reason : "", "", now);
      SetCondition(conditions, "Ready", "False", reason, "", now);
      SetCondition(conditions, "ContainersReady", "False", reason, "", now);
      run.step = Step::kDone;
      w.UpdateStatus("pods", pod, Origin::kOwn);
      return;
    }
    const auto back_off = RestartBackOff(restarts + 1);
    run.step = Step::kBackOff;
    run.next = w.now() + back_off;
    if (back_off.count() > 0) {
      for (auto& cs : status["containerStatuses"]) {
        cs["state"] = {
            {"waiting",
             {{"reason", "CrashLoopBackOff"},
              {"message",
               fmt::format("back-off {} restarting failed container={} pod={}", GoSeconds(back_off),
                           Str(cs, "name"), PodDescription(pod))}}}};
      }
    }
    SetReadiness(status, now);
    auto written = w.UpdateStatus("pods", pod, Origin::kOwn);
    if (!written) return;
    if (back_off.count() > 0) {
      for (const auto& c : Containers(pod, "containers")) {
        std::string cname = Str(c, "name");
        w.Event(*written, true, "BackOff",
                fmt::format("Back-off restarting failed container {} in pod {}", cname,
                            PodDescription(*written)),
                "kubelet", Str(pod, "spec.nodeName"), fmt::format("spec.containers{{{}}}", cname));
      }
    }
    w.After(run.next, name(), KeyOf(pod));
  }

  // The containers start again, as new containers: restartCount one up, the last run kept in
  // lastState.
  void Restart(World& w, json pod, Run& run) {
    const std::string now = w.NowText();
    json& status = pod["status"];
    if (status["containerStatuses"].is_array()) {
      for (auto& cs : status["containerStatuses"]) {
        const int64_t count = Int(cs, "restartCount", 0) + 1;
        cs["restartCount"] = count;
        // A new container: its own ID (the runtime's), so lastState keeps the old one's.
        cs["containerID"] =
            "containerd://" + Hex64(fmt::format("{}/{}/{}", KeyOf(pod), Str(cs, "name"), count));
        cs["ready"] = Ready(run);
        cs["started"] = true;
        cs["state"] = {{"running", {{"startedAt", now}}}};
      }
    }
    SetReadiness(status, now);
    run.step = Step::kRunning;
    auto written = w.UpdateStatus("pods", pod, Origin::kOwn);
    if (!written) return;
    StartEvents(w, *written, "containers");
    if (!Ready(run)) ProbeFailures(w, *written);
    ScheduleExit(w, *written, run);
  }

  std::map<std::string, Run> runs_;  // by pod key
};

}  // namespace

std::unique_ptr<Controller> NewKubelet() { return std::make_unique<Kubelet>(); }

}  // namespace kubedouble::controlplane
