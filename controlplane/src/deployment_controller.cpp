// The Deployment controller: one ReplicaSet per pod template (named after its pod-template-hash,
// with the revision annotations `kubectl rollout history/undo` read), rolled from the old to the
// new within maxSurge and maxUnavailable (or all at once for Recreate), paused while
// spec.paused, old ReplicaSets beyond revisionHistoryLimit deleted, and the status and
// conditions `kubectl rollout status` waits for.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "controllers.h"
#include "objects.h"
#include "owner_controller.h"
#include "owners.h"

namespace kubedouble::controlplane {
namespace {

constexpr const char* kRevision = "deployment.kubernetes.io/revision";
constexpr const char* kDesired = "deployment.kubernetes.io/desired-replicas";
constexpr const char* kMax = "deployment.kubernetes.io/max-replicas";

int64_t Revision(const json& rs) {
  std::string r;
  const json& a = At(rs, "metadata.annotations");  // keys hold dots: not a path for At
  if (a.is_object() && a.contains(kRevision) && a[kRevision].is_string()) r = a[kRevision];
  try {
    return r.empty() ? 0 : std::stoll(r);
  } catch (const std::exception&) {
    return 0;
  }
}

// maxSurge / maxUnavailable: a number, or a percentage of `replicas` rounded up or down.
int64_t Resolve(const json& value, int64_t replicas, bool round_up, int64_t fallback_percent) {
  double percent = static_cast<double>(fallback_percent);
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    std::string s = value;
    if (!s.empty() && s.back() == '%') {
      percent = std::atof(s.c_str());
    } else {
      return std::atoll(s.c_str());
    }
  }
  double v = replicas * percent / 100.0;
  return static_cast<int64_t>(round_up ? std::ceil(v) : std::floor(v));
}

int64_t SpecReplicas(const json& rs) { return Int(rs, "spec.replicas", 0); }
int64_t Available(const json& rs) { return Int(rs, "status.availableReplicas", 0); }

class DeploymentController : public OwnerController {
 public:
  DeploymentController()
      : OwnerController({"deployment", "deployments", "Deployment", "apps/v1", "replicasets"}) {}

  void Sync(World& w, json d) override {
    const int64_t replicas = Int(d, "spec.replicas", 1);
    const bool paused = At(d, "spec.paused") == true;
    std::vector<json> all = Owned(w, d);
    json* fresh = nullptr;
    const json want_template = WithoutHashLabel(At(d, "spec.template"));
    int64_t max_revision = 0;
    for (auto& rs : all) {
      max_revision = std::max(max_revision, Revision(rs));
      if (!fresh && WithoutHashLabel(At(rs, "spec.template")) == want_template) fresh = &rs;
    }
    bool created = false;
    if (!paused) {
      if (!fresh) {
        auto made = NewReplicaSet(w, d, all, max_revision + 1);
        if (!made) return;
        all.push_back(*made);
        fresh = &all.back();
        created = true;
      } else if (Revision(*fresh) < max_revision) {  // a rollback to an older template
        json rs = *fresh;
        rs["metadata"]["annotations"][kRevision] = std::to_string(max_revision + 1);
        if (auto written = w.Update("replicasets", rs)) *fresh = *written;
      }
      if (fresh) SyncRevision(w, d, *fresh);
      if (At(d, "spec.strategy.type") == "Recreate") {
        Recreate(w, d, all, *fresh, replicas);
      } else {
        Roll(w, d, all, *fresh, replicas);
      }
      Cleanup(w, d, all, *fresh);
    }
    UpdateStatus(w, d, Owned(w, d), fresh ? Str(*fresh, "metadata.name") : "", created, paused);
  }

 private:
  std::vector<json> Owned(World& w, const json& d) {
    std::vector<json> out;
    for (const auto& k : w.cache("replicasets").OwnedBy(Str(d, "metadata.uid"))) {
      if (const json* rs = w.cache("replicasets").Find(k)) out.push_back(*rs);
    }
    std::sort(out.begin(), out.end(),
              [](const json& a, const json& b) { return Revision(a) < Revision(b); });
    return out;
  }

  std::optional<json> NewReplicaSet(World& w, const json& d, const std::vector<json>& all,
                                    int64_t revision) {
    const std::string ns = Str(d, "metadata.namespace"), dname = Str(d, "metadata.name");
    int64_t collisions = Int(d, "status.collisionCount", 0);
    std::string hash = TemplateHash(At(d, "spec.template"), collisions);
    while (w.cache("replicasets").Find(KeyOf(ns, dname + "-" + hash)))
      hash = TemplateHash(At(d, "spec.template"), ++collisions);
    json tmpl = At(d, "spec.template");
    tmpl["metadata"]["labels"]["pod-template-hash"] = hash;
    json selector = At(d, "spec.selector");
    selector["matchLabels"]["pod-template-hash"] = hash;
    json annotations = json::object();
    if (const json& a = At(d, "metadata.annotations"); a.is_object()) {
      for (const auto& [k, v] : a.items()) {
        if (k != kRevision && k != "kubectl.kubernetes.io/last-applied-configuration")
          annotations[k] = v;
      }
    }
    const int64_t replicas = Int(d, "spec.replicas", 1);
    annotations[kRevision] = std::to_string(revision);
    annotations[kDesired] = std::to_string(replicas);
    annotations[kMax] = std::to_string(replicas + Surge(d, replicas));
    json labels = At(tmpl, "metadata.labels");
    // The first revision starts at its full size when nothing else runs (nothing to surge over).
    int64_t start = 0;
    bool others =
        std::any_of(all.begin(), all.end(), [](const json& rs) { return SpecReplicas(rs) > 0; });
    if (!others) {
      start = At(d, "spec.strategy.type") == "Recreate"
                  ? replicas
                  : std::min(replicas, replicas + Surge(d, replicas));
    }
    json rs = {{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"metadata",
                {{"name", dname + "-" + hash},
                 {"namespace", ns},
                 {"labels", labels},
                 {"annotations", annotations},
                 {"ownerReferences", {ControllerRef(d)}}}},
               {"spec",
                {{"replicas", start},
                 {"minReadySeconds", Int(d, "spec.minReadySeconds", 0)},
                 {"selector", selector},
                 {"template", tmpl}}}};
    auto made = w.Create("replicasets", std::move(rs));
    if (made && start > 0) {
      w.Event(
          d, false, "ScalingReplicaSet",
          fmt::format("Scaled up replica set {} from 0 to {}", Str(*made, "metadata.name"), start),
          "deployment-controller");
    }
    return made;
  }

  static int64_t Surge(const json& d, int64_t replicas) {
    return Resolve(At(d, "spec.strategy.rollingUpdate.maxSurge"), replicas, true, 25);
  }

  // The Deployment carries its newest ReplicaSet's revision.
  void SyncRevision(World& w, json& d, const json& rs) {
    std::string revision = std::to_string(Revision(rs));
    const json& a = At(d, "metadata.annotations");
    if (a.is_object() && a.value(kRevision, "") == revision) return;
    d["metadata"]["annotations"][kRevision] = revision;
    if (auto written = w.Update("deployments", d)) {
      d = *written;
      d["kind"] = "Deployment";
      d["apiVersion"] = "apps/v1";
    }
  }

  bool Scale(World& w, const json& d, json& rs, int64_t to, int64_t replicas) {
    int64_t from = SpecReplicas(rs);
    if (from == to) return false;
    json copy = rs;
    copy["spec"]["replicas"] = to;
    copy["metadata"]["annotations"][kDesired] = std::to_string(replicas);
    copy["metadata"]["annotations"][kMax] = std::to_string(replicas + Surge(d, replicas));
    auto written = w.Update("replicasets", copy);
    if (!written) return false;
    rs = *written;
    w.Event(d, false, "ScalingReplicaSet",
            fmt::format("Scaled {} replica set {} from {} to {}", to > from ? "up" : "down",
                        Str(rs, "metadata.name"), from, to),
            "deployment-controller");
    return true;
  }

  void Recreate(World& w, const json& d, std::vector<json>& all, json& fresh, int64_t replicas) {
    bool old_running = false;
    for (auto& rs : all) {
      if (Str(rs, "metadata.uid") == Str(fresh, "metadata.uid")) continue;
      Scale(w, d, rs, 0, replicas);
      if (Int(rs, "status.replicas", 0) > 0) old_running = true;
    }
    if (!old_running) Scale(w, d, fresh, replicas, replicas);
  }

  void Roll(World& w, const json& d, std::vector<json>& all, json& fresh, int64_t replicas) {
    const json& rolling = At(d, "spec.strategy.rollingUpdate");
    int64_t surge = Resolve(At(rolling, "maxSurge"), replicas, true, 25);
    int64_t unavailable = Resolve(At(rolling, "maxUnavailable"), replicas, false, 25);
    if (surge == 0 && unavailable == 0) unavailable = 1;
    const std::string fresh_uid = Str(fresh, "metadata.uid");
    int64_t total = 0, available = 0;
    for (const auto& rs : all) {
      total += SpecReplicas(rs);
      available += Available(rs);
    }
    // Up: the new ReplicaSet grows as far as the surge allows.
    int64_t current = SpecReplicas(fresh);
    if (current > replicas) {
      if (Scale(w, d, fresh, replicas, replicas)) return;
    } else if (current < replicas && total < replicas + surge) {
      int64_t to = std::min(replicas, current + (replicas + surge - total));
      if (Scale(w, d, fresh, to, replicas)) return;
    }
    // Down: old ReplicaSets shrink as far as availability allows, unhealthy replicas first.
    int64_t min_available = replicas - unavailable;
    int64_t fresh_unavailable = SpecReplicas(fresh) - Available(fresh);
    int64_t budget = total - min_available - fresh_unavailable;
    for (auto& rs : all) {  // oldest revision first
      if (budget <= 0) break;
      if (Str(rs, "metadata.uid") == fresh_uid || SpecReplicas(rs) == 0) continue;
      int64_t unhealthy = std::max<int64_t>(0, SpecReplicas(rs) - Available(rs));
      int64_t cut = std::min(budget, unhealthy);
      if (cut > 0 && Scale(w, d, rs, SpecReplicas(rs) - cut, replicas)) budget -= cut;
    }
    int64_t can = available - min_available - fresh_unavailable;
    for (auto& rs : all) {
      if (can <= 0) break;
      if (Str(rs, "metadata.uid") == fresh_uid || SpecReplicas(rs) == 0) continue;
      int64_t cut = std::min(can, SpecReplicas(rs));
      if (Scale(w, d, rs, SpecReplicas(rs) - cut, replicas)) can -= cut;
    }
  }

  // Old ReplicaSets scaled to nothing, beyond revisionHistoryLimit, oldest first.
  void Cleanup(World& w, const json& d, const std::vector<json>& all, const json& fresh) {
    int64_t limit = Int(d, "spec.revisionHistoryLimit", 10);
    std::vector<const json*> idle;
    for (const auto& rs : all) {
      if (Str(rs, "metadata.uid") == Str(fresh, "metadata.uid")) continue;
      if (SpecReplicas(rs) == 0 && Int(rs, "status.replicas", 0) == 0) idle.push_back(&rs);
    }
    for (size_t i = 0; static_cast<int64_t>(idle.size() - i) > limit; ++i) {
      w.Delete("replicasets", *idle[i]);
    }
  }

  void UpdateStatus(World& w, json d, const std::vector<json>& all, const std::string& fresh_name,
                    bool created, bool paused) {
    const int64_t replicas = Int(d, "spec.replicas", 1);
    int64_t total = 0, updated = 0, ready = 0, available = 0;
    for (const auto& rs : all) {
      int64_t n = Int(rs, "status.replicas", 0);
      total += n;
      ready += Int(rs, "status.readyReplicas", 0);
      available += Available(rs);
      if (Str(rs, "metadata.name") == fresh_name) updated = n;
    }
    json status = d.contains("status") && d["status"].is_object() ? d["status"] : json::object();
    json want = status;
    want["observedGeneration"] = Int(d, "metadata.generation", 1);
    want["replicas"] = total;
    want["updatedReplicas"] = updated;
    want["readyReplicas"] = ready;
    want["availableReplicas"] = available;
    if (replicas - available > 0) {
      want["unavailableReplicas"] = replicas - available;
    } else {
      want.erase("unavailableReplicas");
    }
    for (const char* zeroable :
         {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) {
      if (want[zeroable] == 0) want.erase(zeroable);
    }
    const std::string now = w.NowText();
    int64_t unavailable_allowed =
        Resolve(At(d, "spec.strategy.rollingUpdate.maxUnavailable"), replicas, false, 25);
    if (At(d, "spec.strategy.type") == "Recreate") unavailable_allowed = 0;
    json& conditions = want["conditions"];
    auto set = [&](const char* type, const char* s, const char* reason,
                   const std::string& message) {
      if (SetCondition(conditions, type, s, reason, message, now)) {
        for (auto& c : conditions) {
          if (Str(c, "type") == type) c["lastUpdateTime"] = now;
        }
      }
    };
    if (available >= replicas - unavailable_allowed) {
      set("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
    } else {
      set("Available", "False", "MinimumReplicasUnavailable",
          "Deployment does not have minimum availability.");
    }
    if (paused) {
      set("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
    } else if (!fresh_name.empty()) {
      if (updated == replicas && available == replicas && total == replicas) {
        set("Progressing", "True", "NewReplicaSetAvailable",
            fmt::format("ReplicaSet \"{}\" has successfully progressed.", fresh_name));
      } else if (created) {
        set("Progressing", "True", "NewReplicaSetCreated",
            fmt::format("Created new replica set \"{}\"", fresh_name));
      } else {
        set("Progressing", "True", "ReplicaSetUpdated",
            fmt::format("ReplicaSet \"{}\" is progressing.", fresh_name));
      }
    }
    // Available first, then Progressing, as kube-controller-manager orders them.
    if (want == status) return;
    d["status"] = want;
    w.UpdateStatus("deployments", d);
  }
};

}  // namespace

std::unique_ptr<Controller> NewDeploymentController() {
  return std::make_unique<DeploymentController>();
}

}  // namespace kubedouble::controlplane
