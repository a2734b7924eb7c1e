// Pods and PodSpecs: containers required, container names (unique DNS-1123 labels) and images
// required, restartPolicy and dnsPolicy from their sets.
#include <set>

#include "../validation.h"
#include "kind_validation.h"

namespace kubedouble::fake::kinds {
namespace {

std::string Str(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>()
                                                                      : "";
}

void ContainerCauses(const json& list, const std::string& path, std::set<std::string>& names,
                     json& causes) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& c = list[i];
    const std::string at = path + "[" + std::to_string(i) + "]";
    const std::string name = Str(c, "name");
    if (name.empty()) {
      causes.push_back(RequiredCause(at + ".name", ""));
    } else {
      for (const auto& e : Dns1123LabelErrors(name)) {
        causes.push_back(InvalidCause(at + ".name", name, e));
      }
      if (!names.insert(name).second) causes.push_back(DuplicateCause(at + ".name", name));
    }
    if (Str(c, "image").empty()) causes.push_back(RequiredCause(at + ".image", ""));
    if (!c.is_object() || !c.contains("ports") || !c["ports"].is_array()) continue;
    for (size_t j = 0; j < c["ports"].size(); ++j) {
      const json& port = c["ports"][j];
      const json number = port.is_object() ? port.value("containerPort", json()) : json();
      const std::string field = at + ".ports[" + std::to_string(j) + "].containerPort";
      if (number.is_null()) {
        causes.push_back(RequiredCause(field, ""));
      } else if (!number.is_number_integer() || number.get<int64_t>() < 1 ||
                 number.get<int64_t>() > 65535) {
        causes.push_back(
            InvalidShownCause(field, number.dump(), "must be between 1 and 65535, inclusive"));
      }
    }
  }
}

void OneOf(const json& spec, const char* key, const std::string& path,
           const std::vector<std::string>& allowed, json& causes) {
  const std::string value = Str(spec, key);
  if (value.empty() && !(spec.contains(key) && spec[key].is_string())) return;
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    causes.push_back(NotSupportedCause(path + "." + key, value, allowed));
  }
}

}  // namespace

void PodSpecCauses(const json& spec, const std::string& path, json& causes) {
  if (!spec.is_object()) {
    causes.push_back(RequiredCause(path + ".containers", ""));
    return;
  }
  std::set<std::string> names;
  const json containers = spec.value("containers", json());
  if (!containers.is_array() || containers.empty()) {
    causes.push_back(RequiredCause(path + ".containers", ""));
  } else {
    ContainerCauses(containers, path + ".containers", names, causes);
  }
  const json init = spec.value("initContainers", json());
  if (init.is_array()) ContainerCauses(init, path + ".initContainers", names, causes);
  OneOf(spec, "restartPolicy", path, {"Always", "OnFailure", "Never"}, causes);
  OneOf(spec, "dnsPolicy", path, {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"},
        causes);
}

void PodCauses(const json& pod, json& causes) {
  PodSpecCauses(pod.value("spec", json()), "spec", causes);
}

}  // namespace kubedouble::fake::kinds
