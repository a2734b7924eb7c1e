// The DaemonSet controller: one pod on every node that matches the nodeSelector and whose
// NoSchedule/NoExecute taints the pods tolerate (cordoned nodes included, as upstream), placed
// on its node directly; pods of an older template replaced one at a time (RollingUpdate) or
// left (OnDelete); the status counts `kubectl rollout status daemonset` reads; each template
// recorded as a ControllerRevision (`kubectl rollout history/undo daemonset`).
#include <fmt/format.h>

#include <map>
#include <vector>

#include "controllers.h"
#include "objects.h"
#include "owner_controller.h"
#include "owners.h"
#include "revisions.h"

namespace kubedouble::controlplane {
namespace {

bool Eligible(const json& ds, const json& node) {
  if (!MapMatches(At(ds, "spec.template.spec.nodeSelector"), At(node, "metadata.labels")))
    return false;
  const json& taints = At(node, "spec.taints");
  if (!taints.is_array()) return true;
  for (const auto& t : taints) {
    std::string effect = Str(t, "effect");
    if (effect != "NoSchedule" && effect != "NoExecute") continue;
    // Daemon pods tolerate the node-condition taints and cordon.
    if (Str(t, "key").rfind("node.kubernetes.io/", 0) == 0) continue;
    if (!Tolerates(At(ds, "spec.template.spec.tolerations"), t)) return false;
  }
  return true;
}

class DaemonSetController : public OwnerController {
 public:
  DaemonSetController()
      : OwnerController({"daemonset", "daemonsets", "DaemonSet", "apps/v1", "pods"}) {}

  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override {
    OwnerController::Changed(w, resource, object, deleted);
    if (resource == "nodes") {
      for (const auto& [key, ds] : w.cache("daemonsets").all()) w.Enqueue(name(), key);
    }
  }

  void Sync(World& w, json ds) override {
    const std::string hash = TemplateHash(At(ds, "spec.template"));
    if (std::string& recorded = recorded_[Str(ds, "metadata.uid")]; recorded != hash) {
      RecordRevision(w, ds, Str(ds, "metadata.name") + "-" + hash, hash);
      recorded = hash;
    }
    std::map<std::string, std::vector<json>> by_node;
    for (const auto& k : w.cache("pods").OwnedBy(Str(ds, "metadata.uid"))) {
      const json* p = w.cache("pods").Find(k);
      if (p && PodActive(*p)) by_node[Str(*p, "spec.nodeName")].push_back(*p);
    }
    int64_t desired = 0, scheduled = 0, ready = 0, updated = 0;
    bool all_available = true;
    std::vector<json> stale;
    for (const auto& [node_key, node] : w.cache("nodes").all()) {
      const std::string node_name = Str(node, "metadata.name");
      auto have = by_node.find(node_name);
      if (!Eligible(ds, node)) continue;
      ++desired;
      if (have == by_node.end() || have->second.empty()) {
        CreatePod(w, ds, node_name, hash);
        all_available = false;
        continue;
      }
      ++scheduled;
      const json& pod = have->second.front();
      bool current = LabelOf(pod, "controller-revision-hash") == hash;
      if (PodReady(pod))
        ++ready;
      else
        all_available = false;
      if (current)
        ++updated;
      else
        stale.push_back(pod);
    }
    // Pods on nodes that no longer qualify, or a second pod on one node.
    for (auto& [node_name, pods] : by_node) {
      const json* node = w.cache("nodes").Find(KeyOf("", node_name));
      size_t keep = node && Eligible(ds, *node) ? 1 : 0;
      for (size_t i = keep; i < pods.size(); ++i) w.Delete("pods", pods[i]);
    }
    if (!stale.empty() && all_available && Str(ds, "spec.updateStrategy.type") != "OnDelete") {
      w.Delete("pods", stale.front());  // maxUnavailable 1: the next once this one is back
    }
    json status = ds.contains("status") && ds["status"].is_object() ? ds["status"] : json::object();
    json want = status;
    want["observedGeneration"] = Int(ds, "metadata.generation", 1);
    want["desiredNumberScheduled"] = desired;
    want["currentNumberScheduled"] = scheduled;
    want["numberMisscheduled"] = 0;
    want["numberReady"] = ready;
    want["numberAvailable"] = ready;
    want["updatedNumberScheduled"] = updated;
    if (desired - ready > 0) {
      want["numberUnavailable"] = desired - ready;
    } else {
      want.erase("numberUnavailable");
    }
    if (want == status) return;
    ds["status"] = want;
    w.UpdateStatus("daemonsets", ds);
  }

 private:
  static std::string LabelOf(const json& pod, const char* label) {
    const json& labels = At(pod, "metadata.labels");
    return labels.is_object() && labels.contains(label) && labels[label].is_string()
               ? labels[label].get<std::string>()
               : "";
  }

  void CreatePod(World& w, const json& ds, const std::string& node, const std::string& hash) {
    const std::string ns = Str(ds, "metadata.namespace"), ds_name = Str(ds, "metadata.name");
    json pod = PodFromTemplate(ds, NextPodName(w.cache("pods"), ns, ds_name + "-", counters_));
    pod["metadata"]["generateName"] = ds_name + "-";
    pod["metadata"]["labels"]["controller-revision-hash"] = hash;
    pod["metadata"]["labels"]["pod-template-generation"] =
        std::to_string(Int(ds, "metadata.generation", 1));
    pod["spec"]["nodeName"] = node;
    if (auto created = w.Create("pods", std::move(pod))) {
      w.Event(ds, false, "SuccessfulCreate",
              fmt::format("Created pod: {}", Str(*created, "metadata.name")),
              "daemonset-controller");
    }
  }

  std::map<std::string, uint64_t> counters_;
  std::map<std::string, std::string> recorded_;  // the template hash recorded last, by uid
};

}  // namespace

std::unique_ptr<Controller> NewDaemonSetController() {
  return std::make_unique<DaemonSetController>();
}

}  // namespace kubedouble::controlplane
