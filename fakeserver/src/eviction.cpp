#include "eviction.h"

#include <fmt/format.h>
#include <kubedouble/base/rfc3339.h>

#include "delete_options.h"
#include "status.h"
#include "store/kinds/kind_validation.h"

namespace kubedouble::fake {

namespace {

// Upstream's bound on status.disruptedPods (MaxDisruptedPodSize).
constexpr size_t kMaxDisruptedPods = 2000;
constexpr int kConflictRetries = 5;

std::string Phase(const json& pod) {
  return pod.contains("status") && pod["status"].is_object() ? pod["status"].value("phase", "")
                                                             : "";
}

bool Terminating(const json& pod) {
  return pod["metadata"].contains("deletionTimestamp") &&
         !pod["metadata"]["deletionTimestamp"].is_null();
}

bool Ready(const json& pod) {
  if (!pod.contains("status") || !pod["status"].is_object()) return false;
  const json conditions = pod["status"].value("conditions", json::array());
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

int64_t StatusInt(const json& pdb, const char* key) {
  const json status = pdb.value("status", json::object());
  return status.is_object() && status.contains(key) && status[key].is_number_integer()
             ? status[key].get<int64_t>()
             : 0;
}

StatusError TooManyRequests(const std::string& cause, int retry_after) {
  json details = {{"causes", json::array({{{"reason", "DisruptionBudget"}, {"message", cause}}})}};
  if (retry_after > 0) details["retryAfterSeconds"] = retry_after;
  return StatusError(429, "TooManyRequests",
                     "Cannot evict pod as it would violate the pod's disruption budget.", details);
}

DeleteOptions DeleteOptionsOf(const json& eviction, bool dry_run) {
  DeleteOptions d;
  d.dry_run = dry_run;
  ReadDeleteOptions(eviction.value("deleteOptions", json::object()), d);
  return d;
}

// The pod's DisruptionTarget condition, then the delete.
void Delete(Store& store, const ResourceInfo& pods, json pod, const DeleteOptions& options,
            const std::string& now) {
  if (options.dry_run) return;
  json conditions = json::array();
  const json& had = pod["status"]["conditions"];
  for (const auto& c : had.is_array() ? had : json::array()) {
    if (!c.is_object() || c.value("type", "") != "DisruptionTarget") conditions.push_back(c);
  }
  pod["status"]["conditions"] = conditions;
  pod["status"]["conditions"].push_back({{"type", "DisruptionTarget"},
                                         {"status", "True"},
                                         {"lastProbeTime", nullptr},
                                         {"lastTransitionTime", now},
                                         {"reason", "EvictionByEvictionAPI"},
                                         {"message", "Eviction API: evicting"}});
  WriteOptions status_only;
  status_only.status_only = true;
  const std::string ns = pod["metadata"].value("namespace", ""),
                    name = pod["metadata"].value("name", "");
  store.Update(pods, ns, name, std::move(pod), status_only);
  store.Delete(pods, ns, name, options);
}

// Takes one disruption from `pdb` for pod `pod_name` (upstream's checkAndDecrement).
void CheckAndDecrement(Store& store, const ResourceInfo& pdbs, json pdb,
                       const std::string& pod_name, bool dry_run, const std::string& now) {
  const std::string name = pdb["metadata"].value("name", "");
  for (int attempt = 0;; ++attempt) {
    if (StatusInt(pdb, "observedGeneration") < pdb["metadata"].value("generation", int64_t{0})) {
      throw TooManyRequests(
          fmt::format("The disruption budget {} is still being processed by the server.", name),
          10);
    }
    const int64_t allowed = StatusInt(pdb, "disruptionsAllowed");
    json& status = pdb["status"];
    if (!status.is_object()) status = json::object();
    json& disrupted = status["disruptedPods"];
    if (!disrupted.is_object()) disrupted = json::object();
    if (allowed < 0) {
      throw StatusError(403, "Forbidden",
                        fmt::format("poddisruptionbudgets.policy \"{}\" is forbidden: pdb "
                                    "disruptions allowed is negative",
                                    name),
                        {{"name", name}, {"group", "policy"}, {"kind", "poddisruptionbudgets"}});
    }
    if (disrupted.size() > kMaxDisruptedPods) {
      throw StatusError(403, "Forbidden",
                        fmt::format("poddisruptionbudgets.policy \"{}\" is forbidden: "
                                    "DisruptedPods map too big - too many evictions not "
                                    "confirmed by PDB controller",
                                    name),
                        {{"name", name}, {"group", "policy"}, {"kind", "poddisruptionbudgets"}});
    }
    if (allowed == 0) {
      throw TooManyRequests(
          fmt::format("The disruption budget {} needs {} healthy pods and has {} "
                      "currently",
                      name, StatusInt(pdb, "desiredHealthy"), StatusInt(pdb, "currentHealthy")),
          0);
    }
    status["disruptionsAllowed"] = allowed - 1;
    if (allowed - 1 == 0 && status.contains("conditions") && status["conditions"].is_array()) {
      for (auto& c : status["conditions"]) {
        if (!c.is_object() || c.value("type", "") != "DisruptionAllowed") continue;
        if (c.value("status", "") != "False") c["lastTransitionTime"] = now;
        c["status"] = "False";
        c["reason"] = "InsufficientPods";
        c["message"] = "";
      }
    }
    if (dry_run) return;
    disrupted[pod_name] = now;
    WriteOptions status_only;
    status_only.status_only = true;
    try {
      store.Update(pdbs, pdb["metadata"].value("namespace", ""), name, pdb, status_only);
      return;
    } catch (const StatusError& e) {
      if (e.code() != 409) throw;
      if (attempt + 1 >= kConflictRetries) {
        throw StatusError(
            504, "Timeout",
            fmt::format("couldn't update PodDisruptionBudget \"{}\" due to conflicts", name),
            {{"retryAfterSeconds", 10}});
      }
      pdb = store.Get(pdbs, pdb["metadata"].value("namespace", ""), name);
    }
  }
}

json Success() {
  return {{"kind", "Status"},
          {"apiVersion", "v1"},
          {"metadata", json::object()},
          {"status", "Success"},
          {"code", 201}};
}

}  // namespace

json EvictPod(Store& store, const std::string& ns, const std::string& name, const json& eviction,
              std::chrono::system_clock::time_point now, bool dry_run) {
  for (auto [field, ok] :
       {std::pair<const char*, bool>{"apiVersion", !eviction.contains("apiVersion") ||
                                                       eviction["apiVersion"] == "policy/v1" ||
                                                       eviction["apiVersion"] == "policy/v1beta1"},
        std::pair<const char*, bool>{
            "kind", !eviction.contains("kind") || eviction["kind"] == "Eviction"}}) {
    if (!ok) {
      throw StatusError::BadRequest(fmt::format(
          "the {} in the data ({}) does not match the expected {} (policy/v1 Eviction)", field,
          eviction[field].dump(-1, ' ', false, json::error_handler_t::replace), field));
    }
  }
  const json meta = eviction.value("metadata", json::object());
  if (!meta.is_object() || meta.value("name", json()) != name) {
    throw StatusError::BadRequest("name in URL does not match name in Eviction object");
  }
  const DeleteOptions options = DeleteOptionsOf(eviction, dry_run);
  const std::string now_text = base::FormatRfc3339(now);
  const ResourceInfo pods = *store.registry()->Find("", "v1", "pods");
  const ResourceInfo pdbs = *store.registry()->Find("policy", "v1", "poddisruptionbudgets");

  json pod = store.Get(pods, ns, name);
  const std::string phase = Phase(pod);
  if (phase == "Succeeded" || phase == "Failed" || phase == "Pending" || Terminating(pod)) {
    Delete(store, pods, std::move(pod), options, now_text);
    return Success();
  }
  const json labels = pod["metadata"].value("labels", json::object());
  std::vector<json> matching;
  json budgets = store.List(pdbs, ns, {});
  for (auto& pdb : budgets["items"]) {
    const json spec = pdb.value("spec", json::object());
    if (!spec.is_object() || !spec.contains("selector") || !spec["selector"].is_object()) continue;
    if (kinds::SelectorMatches(spec["selector"], labels)) matching.push_back(std::move(pdb));
  }
  if (matching.size() > 1) {
    throw StatusError(500, "",
                      "This pod has more than one PodDisruptionBudget, which the eviction "
                      "subresource does not support.");
  }
  if (matching.size() == 1) {
    const json& pdb = matching[0];
    bool unready_passes = false;
    if (!Ready(pod)) {
      const json spec = pdb.value("spec", json::object());
      unready_passes = spec.value("unhealthyPodEvictionPolicy", "") == "AlwaysAllow" ||
                       (StatusInt(pdb, "currentHealthy") >= StatusInt(pdb, "desiredHealthy") &&
                        StatusInt(pdb, "desiredHealthy") > 0);
    }
    if (!unready_passes) {
      CheckAndDecrement(store, pdbs, pdb, name, options.dry_run, now_text);
    }
  }
  Delete(store, pods, std::move(pod), options, now_text);
  return Success();
}

}  // namespace kubedouble::fake
