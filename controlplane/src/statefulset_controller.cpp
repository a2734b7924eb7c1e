// The StatefulSet controller: pods NAME-0 … NAME-(replicas-1) with stable names, hostname and
// subdomain (spec.serviceName); with the default OrderedReady policy each pod is made only
// once the one before it is Running and Ready, and scale-down removes the highest ordinal
// first; Parallel makes and removes them all at once. A new template replaces pods from the
// highest ordinal down, one at a time (RollingUpdate) or on deletion (OnDelete). Each template
// is recorded as a ControllerRevision (`kubectl rollout history/undo sts`), and each pod gets the
// PersistentVolumeClaims of the volumeClaimTemplates (claims.h).
#include <fmt/format.h>

#include <map>

#include "claims.h"
#include "controllers.h"
#include "objects.h"
#include "owner_controller.h"
#include "owners.h"
#include "revisions.h"

namespace kubedouble::controlplane {
namespace {

std::string Label(const json& pod, const char* label) {
  const json& labels = At(pod, "metadata.labels");
  return labels.is_object() && labels.contains(label) && labels[label].is_string()
             ? labels[label].get<std::string>()
             : "";
}

class StatefulSetController : public OwnerController {
 public:
  StatefulSetController()
      : OwnerController({"statefulset", "statefulsets", "StatefulSet", "apps/v1", "pods"}) {}

  void Sync(World& w, json sts) override {
    const std::string ns = Str(sts, "metadata.namespace"), sts_name = Str(sts, "metadata.name");
    const std::string hash = TemplateHash(At(sts, "spec.template"));
    const std::string revision = sts_name + "-" + hash;
    if (std::string& recorded = recorded_[Str(sts, "metadata.uid")]; recorded != revision) {
      RecordRevision(w, sts, revision, hash, Str(sts, "status.currentRevision"));
      recorded = revision;
    }
    const int64_t replicas = Int(sts, "spec.replicas", 1);
    const bool parallel = Str(sts, "spec.podManagementPolicy") == "Parallel";
    std::map<int64_t, json> pods;  // by ordinal
    for (const auto& k : w.cache("pods").OwnedBy(Str(sts, "metadata.uid"))) {
      const json* p = w.cache("pods").Find(k);
      if (!p || PodTerminating(*p)) continue;
      std::string pod_name = Str(*p, "metadata.name");
      try {
        pods[std::stoll(pod_name.substr(sts_name.size() + 1))] = *p;
      } catch (const std::exception&) {
      }
    }
    // Up: the missing ordinals, in order; OrderedReady waits for each to be ready.
    bool blocked = false;
    for (int64_t i = 0; i < replicas && !blocked; ++i) {
      auto it = pods.find(i);
      if (it == pods.end()) {
        if (auto made = CreatePod(w, sts, i, revision)) pods[i] = *made;
        if (!parallel) blocked = true;
      } else if (!parallel &&
                 !(PodReady(it->second) && Str(it->second, "status.phase") == "Running")) {
        blocked = true;
      }
    }
    // Down: ordinals past replicas, the highest first.
    for (auto it = pods.rbegin(); it != pods.rend() && !blocked;) {
      if (it->first < replicas) break;
      DeletePod(w, sts, it->second);
      it = decltype(it)(pods.erase(std::next(it).base()));
      if (!parallel) blocked = true;
    }
    // A new template: the highest ordinal still on an old revision goes (it comes back new).
    bool all_ready = true;
    for (const auto& [i, pod] : pods) all_ready = all_ready && PodReady(pod);
    if (!blocked && all_ready && Str(sts, "spec.updateStrategy.type") != "OnDelete") {
      for (auto it = pods.rbegin(); it != pods.rend(); ++it) {
        if (Label(it->second, "controller-revision-hash") != revision) {
          DeletePod(w, sts, it->second);
          break;
        }
      }
    }
    int64_t ready = 0, updated = 0;
    for (const auto& [i, pod] : pods) {
      if (PodReady(pod)) ++ready;
      if (Label(pod, "controller-revision-hash") == revision) ++updated;
    }
    json status =
        sts.contains("status") && sts["status"].is_object() ? sts["status"] : json::object();
    json want = status;
    want["observedGeneration"] = Int(sts, "metadata.generation", 1);
    want["replicas"] = static_cast<int64_t>(pods.size());
    want["readyReplicas"] = ready;
    want["availableReplicas"] = ready;
    want["updatedReplicas"] = updated;
    want["currentReplicas"] = updated;
    want["updateRevision"] = revision;
    if (updated == static_cast<int64_t>(pods.size()) || !want.contains("currentRevision"))
      want["currentRevision"] = revision;
    want["collisionCount"] = 0;
    if (want == status) return;
    sts["status"] = want;
    w.UpdateStatus("statefulsets", sts);
  }

 private:
  std::optional<json> CreatePod(World& w, const json& sts, int64_t ordinal,
                                const std::string& revision) {
    const std::string sts_name = Str(sts, "metadata.name");
    const std::string pod_name = fmt::format("{}-{}", sts_name, ordinal);
    json pod = PodFromTemplate(sts, pod_name);
    json& labels = pod["metadata"]["labels"];
    labels["controller-revision-hash"] = revision;
    labels["statefulset.kubernetes.io/pod-name"] = pod_name;
    labels["apps.kubernetes.io/pod-index"] = std::to_string(ordinal);
    pod["spec"]["hostname"] = pod_name;
    EnsureClaims(w, sts, ordinal, pod);
    if (!Str(sts, "spec.serviceName").empty())
      pod["spec"]["subdomain"] = Str(sts, "spec.serviceName");
    auto created = w.Create("pods", std::move(pod));
    if (created) {
      w.Event(sts, false, "SuccessfulCreate",
              fmt::format("create Pod {} in StatefulSet {} successful", pod_name, sts_name),
              "statefulset-controller");
    }
    return created;
  }

  std::map<std::string, std::string> recorded_;  // the revision recorded last, by uid

  void DeletePod(World& w, const json& sts, const json& pod) {
    if (w.Delete("pods", pod)) {
      w.Event(sts, false, "SuccessfulDelete",
              fmt::format("delete Pod {} in StatefulSet {} successful", Str(pod, "metadata.name"),
                          Str(sts, "metadata.name")),
              "statefulset-controller");
    }
  }
};

}  // namespace

std::unique_ptr<Controller> NewStatefulSetController() {
  return std::make_unique<StatefulSetController>();
}

}  // namespace kubedouble::controlplane
