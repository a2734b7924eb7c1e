// Workload defaults: Deployments, ReplicaSets (and ReplicationControllers), StatefulSets and
// DaemonSets.
#include "defaults.h"

namespace kubedouble::fake::defaults {
namespace {

json& Spec(json& obj) {
  json& spec = Child(obj, "spec");
  if (spec.contains("template") && spec["template"].is_object()) PodTemplate(spec["template"]);
  return spec;
}

}  // namespace

void Deployment(json& obj) {
  json& spec = Spec(obj);
  Default(spec, "replicas", 1);
  json& strategy = Child(spec, "strategy");
  Default(strategy, "type", "RollingUpdate");
  if (strategy["type"] == "RollingUpdate") {
    json& rolling = Child(strategy, "rollingUpdate");
    Default(rolling, "maxUnavailable", "25%");
    Default(rolling, "maxSurge", "25%");
  }
  Default(spec, "revisionHistoryLimit", 10);
  Default(spec, "progressDeadlineSeconds", 600);
}

void ReplicaSet(json& obj) {
  json& spec = Spec(obj);
  Default(spec, "replicas", 1);
}

void StatefulSet(json& obj) {
  json& spec = Spec(obj);
  Default(spec, "replicas", 1);
  Default(spec, "podManagementPolicy", "OrderedReady");
  json& strategy = Child(spec, "updateStrategy");
  Default(strategy, "type", "RollingUpdate");
  if (strategy["type"] == "RollingUpdate")
    Default(Child(strategy, "rollingUpdate"), "partition", 0);
  Default(spec, "revisionHistoryLimit", 10);
  json& retention = Child(spec, "persistentVolumeClaimRetentionPolicy");
  Default(retention, "whenDeleted", "Retain");
  Default(retention, "whenScaled", "Retain");
}

void DaemonSet(json& obj) {
  json& spec = Spec(obj);
  json& strategy = Child(spec, "updateStrategy");
  Default(strategy, "type", "RollingUpdate");
  if (strategy["type"] == "RollingUpdate") {
    json& rolling = Child(strategy, "rollingUpdate");
    Default(rolling, "maxUnavailable", 1);
    Default(rolling, "maxSurge", 0);
  }
  Default(spec, "revisionHistoryLimit", 10);
}

}  // namespace kubedouble::fake::defaults
