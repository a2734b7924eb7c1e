// Which kinds carry metadata.generation.
#include "generation.h"

#include <kubedouble/schema/resources.h>

#include <set>
#include <string>
#include <utility>

namespace kubedouble::fake {

bool TracksGeneration(const ResourceInfo& res) {
  static const std::set<std::pair<std::string, std::string>> kBuiltIn = {
      {"", "replicationcontrollers"},
      {"apps", "deployments"},
      {"apps", "replicasets"},
      {"apps", "statefulsets"},
      {"apps", "daemonsets"},
      {"batch", "jobs"},
      {"batch", "cronjobs"},
      {"networking.k8s.io", "ingresses"},
      {"networking.k8s.io", "ingressclasses"},
      {"networking.k8s.io", "networkpolicies"},
      {"policy", "poddisruptionbudgets"},
      {"apiextensions.k8s.io", "customresourcedefinitions"},
      {"admissionregistration.k8s.io", "validatingwebhookconfigurations"},
      {"admissionregistration.k8s.io", "mutatingwebhookconfigurations"},
      {"admissionregistration.k8s.io", "validatingadmissionpolicies"},
      {"admissionregistration.k8s.io", "validatingadmissionpolicybindings"},
      {"flowcontrol.apiserver.k8s.io", "flowschemas"},
      {"flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"},
  };
  if (kBuiltIn.count({res.group, res.plural})) return true;
  // Custom resources (from CRDs or --resources) always do; other built-ins do not.
  return schema::FindResource(res.group, res.version, res.plural) == nullptr;
}

bool HasStatusSubresource(const ResourceInfo& res) { return res.Subresource("status") != nullptr; }

bool GenerationMoves(const ResourceInfo& res, const json& before, const json& after) {
  const bool status_counts = !HasStatusSubresource(res);
  auto ignored = [&](const std::string& key) {
    return key == "metadata" || (key == "status" && !status_counts);
  };
  for (const auto& [key, value] : after.items()) {
    if (!ignored(key) && (!before.contains(key) || before[key] != value)) return true;
  }
  for (const auto& [key, value] : before.items()) {
    if (!ignored(key) && !after.contains(key)) return true;
  }
  return false;
}

void ResetStatusOnCreate(const ResourceInfo& res, json& object, const std::string& now) {
  if (!HasStatusSubresource(res) || !object.is_object()) return;
  if (res.group.empty() && (res.plural == "nodes" || res.plural == "pods")) return;
  object.erase("status");
  if (res.group.empty() && res.plural == "persistentvolumes") {
    object["status"] = {{"phase", "Pending"}, {"lastPhaseTransitionTime", now}};
  }
}

}  // namespace kubedouble::fake
