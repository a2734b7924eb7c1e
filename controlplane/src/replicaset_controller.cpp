// The ReplicaSet controller: as many active pods as spec.replicas, made from the template with
// an ownerReference to the ReplicaSet (SuccessfulCreate / SuccessfulDelete Events), and the
// status counts (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <vector>

#include "controllers.h"
#include "objects.h"
#include "owner_controller.h"
#include "owners.h"

namespace kubedouble::controlplane {
namespace {

class ReplicaSetController : public OwnerController {
 public:
  ReplicaSetController()
      : OwnerController({"replicaset", "replicasets", "ReplicaSet", "apps/v1", "pods"}) {}

  void Sync(World& w, json rs) override {
    const std::string uid = Str(rs, "metadata.uid");
    std::vector<const json*> active = Active(w, uid);
    const int64_t want = Int(rs, "spec.replicas", 1);
    if (int64_t diff = want - static_cast<int64_t>(active.size()); diff > 0) {
      for (int64_t i = 0; i < diff; ++i) CreatePod(w, rs);
    } else if (diff < 0) {
      std::sort(active.begin(), active.end(),
                [](const json* a, const json* b) { return DeleteFirst(*a, *b); });
      std::vector<json> victims;
      for (int64_t i = 0; i < -diff; ++i) victims.push_back(*active[i]);
      for (const auto& victim : victims) {
        if (w.Delete("pods", victim)) {
          w.Event(rs, false, "SuccessfulDelete",
                  fmt::format("Deleted pod: {}", Str(victim, "metadata.name")),
                  "replicaset-controller");
        }
      }
    }
    UpdateStatus(w, rs);
  }

 private:
  // The ReplicaSet's active pods, as they are in the cache (valid until the next write).
  std::vector<const json*> Active(World& w, const std::string& uid) {
    std::vector<const json*> out;
    for (const auto& k : w.cache("pods").OwnedBy(uid)) {
      if (const json* p = w.cache("pods").Find(k); p && PodActive(*p)) out.push_back(p);
    }
    return out;
  }

  // Which pods go first when scaling down: unscheduled, pending, not ready, then the newest.
  static bool DeleteFirst(const json& a, const json& b) {
    auto rank = [](const json& p) {
      if (Str(p, "spec.nodeName").empty()) return 0;
      if (Str(p, "status.phase") == "Pending") return 1;
      if (!PodReady(p)) return 2;
      return 3;
    };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    std::string ta = Str(a, "metadata.creationTimestamp"),
                tb = Str(b, "metadata.creationTimestamp");
    if (ta != tb) return ta > tb;
    return Str(a, "metadata.name") > Str(b, "metadata.name");
  }

  void CreatePod(World& w, const json& rs) {
    const std::string ns = Str(rs, "metadata.namespace"), rs_name = Str(rs, "metadata.name");
    json pod = PodFromTemplate(rs, NextPodName(w.cache("pods"), ns, rs_name + "-", counters_));
    pod["metadata"]["generateName"] = rs_name + "-";
    if (auto created = w.Create("pods", std::move(pod))) {
      w.Event(rs, false, "SuccessfulCreate",
              fmt::format("Created pod: {}", Str(*created, "metadata.name")),
              "replicaset-controller");
    }
  }

  void UpdateStatus(World& w, json rs) {
    int64_t replicas = 0, labelled = 0, ready = 0;
    const json& template_labels = At(rs, "spec.template.metadata.labels");
    for (const json* pod : Active(w, Str(rs, "metadata.uid"))) {
      ++replicas;
      if (MapMatches(template_labels, At(*pod, "metadata.labels"))) ++labelled;
      if (PodReady(*pod)) ++ready;
    }
    json status = rs.contains("status") && rs["status"].is_object() ? rs["status"] : json::object();
    json want = status;
    want["replicas"] = replicas;
    want["fullyLabeledReplicas"] = labelled;
    want["readyReplicas"] = ready;
    want["availableReplicas"] = ready;
    want["observedGeneration"] = Int(rs, "metadata.generation", 1);
    if (want == status) return;
    rs["status"] = want;
    w.UpdateStatus("replicasets", rs);
  }

  std::map<std::string, uint64_t> counters_;
};

}  // namespace

std::unique_ptr<Controller> NewReplicaSetController() {
  return std::make_unique<ReplicaSetController>();
}

}  // namespace kubedouble::controlplane
