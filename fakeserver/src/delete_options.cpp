#include "delete_options.h"

namespace kubedouble::fake {

void ReadDeleteOptions(const json& body, DeleteOptions& d) {
  if (!body.is_object()) return;
  if (body.contains("preconditions") && body["preconditions"].is_object()) {
    const auto& p = body["preconditions"];
    if (p.contains("uid") && p["uid"].is_string()) d.precondition_uid = p["uid"];
    if (p.contains("resourceVersion") && p["resourceVersion"].is_string()) {
      d.precondition_resource_version = p["resourceVersion"];
    }
  }
  if (body.contains("propagationPolicy") && body["propagationPolicy"].is_string()) {
    d.propagation_policy = body["propagationPolicy"];
  }
  if (body.contains("gracePeriodSeconds") && body["gracePeriodSeconds"].is_number_integer()) {
    d.grace_period_seconds = body["gracePeriodSeconds"].get<int64_t>();
  }
  if (body.contains("orphanDependents") && body["orphanDependents"].is_boolean()) {
    d.orphan_dependents = body["orphanDependents"].get<bool>();
  }
  if (body.contains("dryRun") && body["dryRun"].is_array() && !body["dryRun"].empty()) {
    d.dry_run = true;
  }
}

}  // namespace kubedouble::fake
