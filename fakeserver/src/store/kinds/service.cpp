// Services: a known type, ports (unless ExternalName or headless) with valid numbers, names
// when there are several, an externalName for ExternalName.
#include <set>

#include "../validation.h"
#include "kind_validation.h"

namespace kubedouble::fake::kinds {
namespace {

void PortNumberCause(const json& port, const char* key, const std::string& at, bool required,
                     json& causes) {
  const json v = port.value(key, json());
  const std::string field = at + "." + key;
  if (v.is_null()) {
    if (required) causes.push_back(RequiredCause(field, ""));
    return;
  }
  if (v.is_string()) return;  // a named target port
  if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 65535) {
    causes.push_back(InvalidShownCause(field, v.dump(), "must be between 1 and 65535, inclusive"));
  }
}

}  // namespace

void ServiceCauses(const json& svc, const json* /*old*/, json& causes) {
  const json spec = svc.value("spec", json::object());
  if (!spec.is_object()) return;
  const std::string type = spec.value("type", "ClusterIP");
  const std::vector<std::string> types = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"};
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    causes.push_back(NotSupportedCause("spec.type", type, types));
  }
  const json ports = spec.value("ports", json::array());
  const bool headless = spec.value("clusterIP", "") == "None";
  if (type == "ExternalName") {
    if (spec.value("externalName", "").empty()) {
      causes.push_back(RequiredCause("spec.externalName", ""));
    }
  } else if ((!ports.is_array() || ports.empty()) && !headless) {
    causes.push_back(RequiredCause("spec.ports", ""));
  }
  if (!ports.is_array()) return;
  std::set<std::string> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    const json port = ports[i].is_object() ? ports[i] : json::object();
    const std::string at = "spec.ports[" + std::to_string(i) + "]";
    const std::string name = port.value("name", "");
    if (ports.size() > 1 && name.empty()) causes.push_back(RequiredCause(at + ".name", ""));
    if (!name.empty()) {
      for (const auto& e : Dns1123LabelErrors(name)) {
        causes.push_back(InvalidCause(at + ".name", name, e));
      }
      if (!names.insert(name).second) causes.push_back(DuplicateCause(at + ".name", name));
    }
    PortNumberCause(port, "port", at, true, causes);
    PortNumberCause(port, "targetPort", at, false, causes);
    const std::string protocol = port.value("protocol", "TCP");
    if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      causes.push_back(NotSupportedCause(at + ".protocol", protocol, {"SCTP", "TCP", "UDP"}));
    }
  }
}

}  // namespace kubedouble::fake::kinds
