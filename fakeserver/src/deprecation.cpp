#include "deprecation.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "kubedouble/schema/resources.h"

namespace kubedouble::fake {

namespace {
// Built-in kinds deprecated in the releases up to 1.32 that a 1.32 server still serves.
struct Deprecated {
  const char* group;
  const char* version;
  const char* plural;
  const char* warning;
};
constexpr Deprecated kBuiltIn[] = {
    {"", "v1", "componentstatuses", "v1 ComponentStatus is deprecated in v1.19+"},
};

// A version name as Kubernetes orders it: v<major>[(alpha|beta)<minor>]; others sort last.
struct VersionKey {
  bool kube = false;
  int major = 0;
  int stage = 0;  // 3 GA, 2 beta, 1 alpha
  int minor = 0;
};

VersionKey KeyOf(const std::string& v) {
  static const RE2 kPattern(R"(v([0-9]+)(?:(alpha|beta)([0-9]+))?)");
  VersionKey k;
  std::string stage, minor;  // empty for a GA version (an int would not parse)
  if (!RE2::FullMatch(v, kPattern, &k.major, &stage, &minor)) return k;
  k.kube = true;
  k.stage = stage.empty() ? 3 : stage == "beta" ? 2 : 1;
  k.minor = minor.empty() ? 0 : std::atoi(minor.c_str());
  return k;
}

const json& At(const json& j, const char* key) {
  static const json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}
}  // namespace

int CompareKubeAwareVersions(const std::string& a, const std::string& b) {
  VersionKey ka = KeyOf(a), kb = KeyOf(b);
  if (ka.kube != kb.kube) return ka.kube ? 1 : -1;
  if (!ka.kube) return b.compare(a);  // non-Kubernetes names: alphabetical, first is greatest
  if (ka.stage != kb.stage) return ka.stage - kb.stage;
  if (ka.major != kb.major) return ka.major - kb.major;
  return ka.minor - kb.minor;
}

std::optional<std::string> DeprecationWarning(const Store& store, const Registry& registry,
                                              const ResourceInfo& res) {
  for (const Deprecated& d : kBuiltIn) {
    if (res.group == d.group && res.version == d.version && res.plural == d.plural) {
      return std::string(d.warning);
    }
  }
  if (res.group.empty() || schema::FindGroup(res.group)) return std::nullopt;
  auto crds = registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  if (!crds) return std::nullopt;
  std::optional<json> found = store.Find(*crds, "", res.plural + "." + res.group);
  if (!found) return std::nullopt;  // a resource from --resources, without a CRD object
  const json& crd = *found;
  const json& versions = At(At(crd, "spec"), "versions");
  if (!versions.is_array()) return std::nullopt;
  const json* mine = nullptr;
  for (const json& v : versions) {
    if (At(v, "name") == res.version) mine = &v;
  }
  if (mine == nullptr || At(*mine, "deprecated") != true) return std::nullopt;
  if (At(*mine, "deprecationWarning").is_string()) {
    return At(*mine, "deprecationWarning").get<std::string>();
  }
  std::string warning = fmt::format("{}/{} {} is deprecated", res.group, res.version, res.kind);
  std::vector<std::string> newer;
  for (const json& v : versions) {
    if (At(v, "served") == true && At(v, "deprecated") != true && At(v, "name").is_string() &&
        CompareKubeAwareVersions(res.version, At(v, "name").get<std::string>()) < 0) {
      newer.push_back(At(v, "name").get<std::string>());
    }
  }
  if (newer.empty()) return warning;
  std::string best = *std::max_element(
      newer.begin(), newer.end(),
      [](const auto& a, const auto& b) { return CompareKubeAwareVersions(a, b) < 0; });
  return warning + fmt::format("; use {}/{} {}", res.group, best, res.kind);
}

}  // namespace kubedouble::fake
