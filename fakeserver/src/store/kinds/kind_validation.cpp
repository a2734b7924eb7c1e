// Which checks an object gets, by its resource.
#include "kind_validation.h"

namespace kubedouble::fake::kinds {

json Causes(const ResourceInfo& res, const json& object, const json* old) {
  json causes = json::array();
  const std::string& g = res.group;
  const std::string& p = res.plural;
  if (g.empty() && p == "pods") PodCauses(object, causes);
  if (g.empty() && p == "pods" && old) PodUpdateCauses(object, *old, causes);
  if (g.empty() && p == "services") ServiceCauses(object, old, causes);
  if (g == "apps" &&
      (p == "deployments" || p == "replicasets" || p == "statefulsets" || p == "daemonsets")) {
    WorkloadCauses(res.kind, object, old, causes);
  }
  if (g == "batch" && p == "jobs") JobCauses(object, old, causes);
  if (g == "batch" && p == "cronjobs") CronJobCauses(object, old, causes);
  if (g == "rbac.authorization.k8s.io") RbacCauses(res.kind, object, old, causes);
  return causes;
}

}  // namespace kubedouble::fake::kinds
