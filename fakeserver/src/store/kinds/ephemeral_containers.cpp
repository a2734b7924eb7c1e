#include "ephemeral_containers.h"

#include <kubedouble/fakeserver/store.h>

#include <string>

#include "../validation.h"

namespace kubedouble::fake::kinds {

using json = nlohmann::json;

namespace {

// The pod's spec.ephemeralContainers (null when it has none).
json List(const json& pod) {
  return pod.is_object() ? pod.value("/spec/ephemeralContainers"_json_pointer, json()) : json();
}

const json* Named(const json& list, const std::string& name) {
  for (const auto& c : list) {
    if (c.is_object() && c.value("name", "") == name) return &c;
  }
  return nullptr;
}

}  // namespace

json EphemeralContainersOnly(const json& old, const json& body) {
  const json had = List(old);
  const json wanted = List(body);
  json causes = json::array();
  for (const auto& c : had) {
    if (!c.is_object()) continue;
    const std::string name = c.value("name", "");
    const json* now = Named(wanted, name);
    if (!now) {
      causes.push_back(
          ForbiddenCause("spec.ephemeralContainers",
                         "existing ephemeral containers \"" + name + "\" may not be removed"));
    } else if (*now != c) {
      causes.push_back(
          ForbiddenCause("spec.ephemeralContainers",
                         "existing ephemeral containers \"" + name + "\" may not be changed"));
    }
  }
  const json& meta = old.value("metadata", json::object());
  if (!causes.empty()) throw StatusError::Invalid("Pod", meta.value("name", ""), causes);
  json out = old;
  if (!wanted.is_array() || wanted.empty()) {
    if (out.contains("spec") && out["spec"].is_object()) out["spec"].erase("ephemeralContainers");
  } else {
    out["spec"]["ephemeralContainers"] = wanted;
  }
  return out;
}

}  // namespace kubedouble::fake::kinds
