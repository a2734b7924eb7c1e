// The scheduler: binds each pending pod to a node that fits it — the node it names, nodes whose
// labels match its nodeSelector, whose taints it tolerates, that are not cordoned, and that have
// room (pods, cpu and memory requests against allocatable). Of the nodes that fit, the one with
// the fewest pods wins (ties: by name). A pod that fits nowhere gets PodScheduled=False with the
// reasons, counted per node as kube-scheduler words them, and a FailedScheduling Event.
#include <fmt/format.h>

#include <map>
#include <vector>

#include "controllers.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

// The sum of the requests of a pod's containers (init containers: the largest, as upstream).
std::pair<double, double> Requests(const json& pod) {
  double cpu = 0, memory = 0, init_cpu = 0, init_memory = 0;
  for (const auto& c :
       At(pod, "spec.containers").is_array() ? pod["spec"]["containers"] : json::array()) {
    cpu += Quantity(At(c, "resources.requests.cpu"));
    memory += Quantity(At(c, "resources.requests.memory"));
  }
  for (const auto& c :
       At(pod, "spec.initContainers").is_array() ? pod["spec"]["initContainers"] : json::array()) {
    init_cpu = std::max(init_cpu, Quantity(At(c, "resources.requests.cpu")));
    init_memory = std::max(init_memory, Quantity(At(c, "resources.requests.memory")));
  }
  return {std::max(cpu, init_cpu), std::max(memory, init_memory)};
}

bool NodeMatchesAffinity(const json& pod, const json& node) {
  const json& terms =
      At(pod,
         "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
         "nodeSelectorTerms");
  if (!terms.is_array() || terms.empty()) return true;
  const json& labels = At(node, "metadata.labels");
  for (const auto& term : terms) {  // terms are ORed, expressions within one ANDed
    json selector = {{"matchExpressions", At(term, "matchExpressions")}};
    if (SelectorMatches(selector, labels, true)) return true;
  }
  return false;
}

class Scheduler : public Controller {
 public:
  std::string name() const override { return "scheduler"; }

  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override {
    if (resource == "pods") Account(object, deleted);
    if (resource == "pods" && !deleted && Pending(object)) {
      w.Enqueue(name(), KeyOf(object));
    } else if ((resource == "nodes" && !deleted) || (resource == "pods" && deleted)) {
      // Room or a node may have appeared: try the pods that are waiting again.
      for (const auto& key : waiting_) w.Enqueue(name(), key);
    }
  }

  void Reconcile(World& w, const std::string& key) override {
    const json* found = w.cache("pods").Find(key);
    if (!found || !Pending(*found)) {
      waiting_.erase(key);
      return;
    }
    json pod = *found;
    std::map<std::string, int> reasons;  // reason -> nodes
    std::string best;
    size_t best_pods = 0;
    const auto& nodes = w.cache("nodes").all();
    for (const auto& [node_key, node] : nodes) {
      std::string why = Misfit(pod, node);
      if (!why.empty()) {
        ++reasons[why];
        continue;
      }
      size_t pods = static_cast<size_t>(node_usage_[Str(node, "metadata.name")].pods);
      if (best.empty() || pods < best_pods) {
        best = Str(node, "metadata.name");
        best_pods = pods;
      }
    }
    if (!best.empty()) {
      waiting_.erase(key);
      Bind(w, pod, best);
      return;
    }
    waiting_.insert(key);
    std::vector<std::string> parts;
    for (const auto& [why, n] : reasons) parts.push_back(fmt::format("{} {}", n, why));
    std::sort(parts.begin(), parts.end());
    std::string message = fmt::format("0/{} nodes are available", nodes.size());
    if (!parts.empty()) message += ": " + fmt::format("{}", fmt::join(parts, ", "));
    message += fmt::format(
        ". preemption: 0/{} nodes are available: {} Preemption is not helpful "
        "for scheduling.",
        nodes.size(), nodes.size());
    json status = pod["status"];
    if (!SetCondition(status["conditions"], "PodScheduled", "False", "Unschedulable", message,
                      w.NowText(), true))
      return;
    pod["status"] = status;
    if (w.UpdateStatus("pods", pod, Origin::kOwn)) {
      w.Event(pod, true, "FailedScheduling", message, "default-scheduler");
    }
  }

 private:
  static bool Pending(const json& pod) {
    std::string scheduler = Str(pod, "spec.schedulerName");
    return Str(pod, "spec.nodeName").empty() && PodActive(pod) &&
           (scheduler.empty() || scheduler == "default-scheduler");
  }

  // Why `node` cannot take `pod`, in kube-scheduler's words; "" when it can.
  std::string Misfit(const json& pod, const json& node) {
    if (At(node, "spec.unschedulable") == true) return "node(s) were unschedulable";
    const json& taints = At(node, "spec.taints");
    if (taints.is_array()) {
      for (const auto& t : taints) {
        std::string effect = Str(t, "effect");
        if (effect != "NoSchedule" && effect != "NoExecute") continue;
        if (!Tolerates(At(pod, "spec.tolerations"), t)) {
          return fmt::format("node(s) had untolerated taint {{{}: {}}}", Str(t, "key"),
                             Str(t, "value"));
        }
      }
    }
    if (!MapMatches(At(pod, "spec.nodeSelector"), At(node, "metadata.labels")) ||
        !NodeMatchesAffinity(pod, node))
      return "node(s) didn't match Pod's node affinity/selector";
    const Usage used = node_usage_[Str(node, "metadata.name")];
    if (double max = Quantity(At(node, "status.allocatable.pods")); max > 0 && used.pods + 1 > max)
      return "Too many pods";
    auto [c, m] = Requests(pod);
    if (c > 0 && used.cpu + c > Quantity(At(node, "status.allocatable.cpu")))
      return "Insufficient cpu";
    if (m > 0 && used.memory + m > Quantity(At(node, "status.allocatable.memory")))
      return "Insufficient memory";
    return "";
  }

  // What the pods bound to each node request, kept up to date from every pod change.
  struct Usage {
    std::string node;
    double pods = 0, cpu = 0, memory = 0;
  };
  void Account(const json& pod, bool deleted) {
    const std::string key = KeyOf(pod);
    if (auto old = pod_usage_.find(key); old != pod_usage_.end()) {
      Usage& n = node_usage_[old->second.node];
      n.pods -= 1;
      n.cpu -= old->second.cpu;
      n.memory -= old->second.memory;
      pod_usage_.erase(old);
    }
    std::string node = Str(pod, "spec.nodeName");
    if (deleted || node.empty() || PodFinished(pod)) return;
    auto [cpu, memory] = Requests(pod);
    pod_usage_[key] = {node, 1, cpu, memory};
    Usage& n = node_usage_[node];
    n.pods += 1;
    n.cpu += cpu;
    n.memory += memory;
  }

  // What POST pods/NAME/binding does: nodeName set and PodScheduled=True, in one write.
  void Bind(World& w, json pod, const std::string& node) {
    pod["spec"]["nodeName"] = node;
    SetCondition(pod["status"]["conditions"], "PodScheduled", "True", "", "", w.NowText(), true);
    if (w.Put("pods", pod, Origin::kOwn)) {
      w.Event(pod, false, "Scheduled",
              fmt::format("Successfully assigned {}/{} to {}", Str(pod, "metadata.namespace"),
                          Str(pod, "metadata.name"), node),
              "default-scheduler");
    }
  }

  std::set<std::string> waiting_;  // pods that fit nowhere, tried again when nodes change
  std::map<std::string, Usage> pod_usage_, node_usage_;
};

}  // namespace

std::unique_ptr<Controller> NewScheduler() { return std::make_unique<Scheduler>(); }

}  // namespace kubedouble::controlplane
