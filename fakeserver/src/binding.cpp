#include "binding.h"

#include <fmt/format.h>

#include "kubedouble/base/status.h"

namespace kubedouble::fake {

json BindPod(Store& store, const std::string& ns, const std::string& pod_name, const json& binding,
             const std::string& now) {
  const json meta = binding.value("metadata", json::object());
  if (meta.is_object() && meta.contains("name") && meta["name"] != pod_name) {
    throw StatusError::BadRequest(fmt::format(
        "the name of the binding ({}) does not match the pod ({})",
        meta["name"].is_string() ? meta["name"].get<std::string>() : meta["name"].dump(),
        pod_name));
  }
  const json target = binding.value("target", json::object());
  std::string node = target.is_object() ? target.value("name", "") : "";
  if (node.empty()) {
    throw StatusError::Invalid("Binding", pod_name,
                               json::array({{{"reason", "FieldValueRequired"},
                                             {"message", "Required value"},
                                             {"field", "target.name"}}}));
  }
  auto pods = store.registry()->Find("", "v1", "pods");
  json pod = store.Get(*pods, ns, pod_name);
  const std::string assigned = pod["spec"].value("nodeName", "");
  if (!assigned.empty()) {
    throw StatusError::Conflict(
        "pods/binding", pod_name,
        fmt::format("pod {} is already assigned to node \"{}\"", pod_name, assigned));
  }
  pod["spec"]["nodeName"] = node;
  json& conditions = pod["status"]["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  json scheduled = {{"type", "PodScheduled"},
                    {"status", "True"},
                    {"lastProbeTime", nullptr},
                    {"lastTransitionTime", now}};
  bool replaced = false;
  for (auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == "PodScheduled") {
      c = scheduled;
      replaced = true;
    }
  }
  if (!replaced) conditions.push_back(scheduled);
  store.Put(*pods, std::move(pod));
  return base::MakeSuccessStatus(nullptr, 201);
}

}  // namespace kubedouble::fake
