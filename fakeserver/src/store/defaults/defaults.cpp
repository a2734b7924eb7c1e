// Which defaulting an object gets, by its resource.
#include "defaults.h"

namespace kubedouble::fake::defaults {

json& Child(json& parent, const char* key) {
  auto it = parent.find(key);
  if (it == parent.end() || !it->is_object()) parent[key] = json::object();
  return parent[key];
}

void Default(json& obj, const char* key, json value) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) obj[key] = std::move(value);
}

void Apply(const ResourceInfo& res, json& object, bool creating) {
  if (!object.is_object()) return;
  const std::string& g = res.group;
  const std::string& p = res.plural;
  if (g.empty()) {
    if (p == "pods") return Pod(object, creating);
    if (p == "services") return Service(object);
    if (p == "replicationcontrollers") return ReplicaSet(object);
    if (p == "podtemplates") {
      if (object.contains("template") && object["template"].is_object()) {
        PodTemplate(object["template"]);
      }
    }
    return;
  }
  if (g == "apps") {
    if (p == "deployments") return Deployment(object);
    if (p == "replicasets") return ReplicaSet(object);
    if (p == "statefulsets") return StatefulSet(object);
    if (p == "daemonsets") return DaemonSet(object);
    return;
  }
  if (g == "rbac.authorization.k8s.io") return RbacApiGroups(object);
  if (g == "batch") {
    if (p == "jobs") return Job(object, creating);
    if (p == "cronjobs") return CronJob(object);
  }
}

}  // namespace kubedouble::fake::defaults
