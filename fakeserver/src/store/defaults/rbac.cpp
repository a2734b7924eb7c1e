// Defaults of the rbac.authorization.k8s.io/v1 kinds.
#include "defaults.h"

namespace kubedouble::fake::defaults {

void RbacApiGroups(json& obj) {
  constexpr char kGroup[] = "rbac.authorization.k8s.io";
  auto ref = obj.find("roleRef");
  if (ref != obj.end() && ref->is_object() &&
      (!ref->contains("apiGroup") || (*ref)["apiGroup"].is_null() || (*ref)["apiGroup"] == "")) {
    (*ref)["apiGroup"] = kGroup;
  }
  auto subjects = obj.find("subjects");
  if (subjects == obj.end() || !subjects->is_array()) return;
  for (auto& s : *subjects) {
    if (!s.is_object()) continue;
    bool empty = !s.contains("apiGroup") || s["apiGroup"].is_null() || s["apiGroup"] == "";
    std::string kind = s.value("kind", "");
    if (empty && (kind == "User" || kind == "Group")) s["apiGroup"] = kGroup;
  }
}

}  // namespace kubedouble::fake::defaults
