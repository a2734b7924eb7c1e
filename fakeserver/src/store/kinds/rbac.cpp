// Validation of the rbac.authorization.k8s.io/v1 kinds, with upstream's fields and wording.
#include <fmt/format.h>

#include "../validation.h"
#include "kind_validation.h"

namespace kubedouble::fake::kinds {

namespace {
constexpr char kGroup[] = "rbac.authorization.k8s.io";

bool NonEmptyList(const json& rule, const char* field) {
  auto it = rule.find(field);
  return it != rule.end() && it->is_array() && !it->empty();
}

void RuleCauses(const json& rule, const std::string& path, bool namespaced, json& causes) {
  if (!rule.is_object()) return;
  if (!NonEmptyList(rule, "verbs")) {
    causes.push_back(RequiredCause(path + ".verbs", "verbs must contain at least one value"));
  }
  if (NonEmptyList(rule, "nonResourceURLs")) {
    std::string urls = GoStrings(rule["nonResourceURLs"]);
    if (namespaced) {
      causes.push_back(InvalidShownCause(path + ".nonResourceURLs", urls,
                                         "namespaced rules cannot apply to non-resource URLs"));
    }
    if (NonEmptyList(rule, "apiGroups") || NonEmptyList(rule, "resources") ||
        NonEmptyList(rule, "resourceNames")) {
      causes.push_back(
          InvalidShownCause(path + ".nonResourceURLs", urls,
                            "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return;
  }
  if (!NonEmptyList(rule, "apiGroups")) {
    causes.push_back(
        RequiredCause(path + ".apiGroups", "resource rules must supply at least one api group"));
  }
  if (!NonEmptyList(rule, "resources")) {
    causes.push_back(
        RequiredCause(path + ".resources", "resource rules must supply at least one resource"));
  }
}

std::string Str(const json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string GoRoleRef(const json& ref) {
  return fmt::format("rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                     json(Str(ref, "apiGroup")).dump(), json(Str(ref, "kind")).dump(),
                     json(Str(ref, "name")).dump());
}

void SubjectCauses(const json& s, const std::string& path, bool namespaced, json& causes) {
  if (!s.is_object()) return;
  std::string name = Str(s, "name"), kind = Str(s, "kind"), group = Str(s, "apiGroup");
  if (name.empty()) causes.push_back(RequiredCause(path + ".name", ""));
  if (kind == "ServiceAccount") {
    if (!name.empty()) {
      for (const auto& e : Dns1123SubdomainErrors(name)) {
        causes.push_back(InvalidCause(path + ".name", name, e));
      }
    }
    if (!group.empty()) causes.push_back(NotSupportedCause(path + ".apiGroup", group, {""}));
    if (!namespaced && Str(s, "namespace").empty()) {
      causes.push_back(RequiredCause(path + ".namespace", ""));
    }
  } else if (kind == "User" || kind == "Group") {
    if (group != kGroup) causes.push_back(NotSupportedCause(path + ".apiGroup", group, {kGroup}));
  } else {
    causes.push_back(NotSupportedCause(path + ".kind", kind, {"ServiceAccount", "User", "Group"}));
  }
}
}  // namespace

void RbacCauses(const std::string& kind, const json& obj, const json* old, json& causes) {
  if (kind == "Role" || kind == "ClusterRole") {
    auto rules = obj.find("rules");
    if (rules == obj.end() || !rules->is_array()) return;
    for (size_t i = 0; i < rules->size(); ++i) {
      RuleCauses((*rules)[i], fmt::format("rules[{}]", i), kind == "Role", causes);
    }
    return;
  }
  if (kind != "RoleBinding" && kind != "ClusterRoleBinding") return;
  bool cluster = kind == "ClusterRoleBinding";
  json ref = obj.value("roleRef", json::object());
  if (!ref.is_object()) ref = json::object();
  std::string group = Str(ref, "apiGroup"), ref_kind = Str(ref, "kind"), name = Str(ref, "name");
  if (group != kGroup) causes.push_back(NotSupportedCause("roleRef.apiGroup", group, {kGroup}));
  if (cluster && ref_kind != "ClusterRole") {
    causes.push_back(NotSupportedCause("roleRef.kind", ref_kind, {"ClusterRole"}));
  } else if (!cluster && ref_kind != "Role" && ref_kind != "ClusterRole") {
    causes.push_back(NotSupportedCause("roleRef.kind", ref_kind, {"Role", "ClusterRole"}));
  }
  if (name.empty()) {
    causes.push_back(RequiredCause("roleRef.name", ""));
  } else {
    for (const auto& e : PathSegmentNameErrors(name)) {
      causes.push_back(InvalidCause("roleRef.name", name, e));
    }
  }
  auto subjects = obj.find("subjects");
  if (subjects != obj.end() && subjects->is_array()) {
    for (size_t i = 0; i < subjects->size(); ++i) {
      SubjectCauses((*subjects)[i], fmt::format("subjects[{}]", i), !cluster, causes);
    }
  }
  if (old && old->contains("roleRef") && (*old)["roleRef"] != obj.value("roleRef", json())) {
    causes.push_back(InvalidShownCause("roleRef", GoRoleRef(ref), "cannot change roleRef"));
  }
}

}  // namespace kubedouble::fake::kinds
