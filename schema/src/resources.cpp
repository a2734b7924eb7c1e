// Look-ups over the generated tables (resources_table.cpp).
#include <algorithm>
#include <array>

#include "kubedouble/schema/resources.h"

namespace kubedouble::schema {
namespace {
constexpr std::array<std::pair<std::string_view, Verb>, 8> kVerbs = {{
    {"create", kCreate},
    {"delete", kDelete},
    {"deletecollection", kDeleteCollection},
    {"get", kGet},
    {"list", kList},
    {"patch", kPatch},
    {"update", kUpdate},
    {"watch", kWatch},
}};
}  // namespace

uint16_t VerbBit(std::string_view verb) {
  for (const auto& [name, bit] : kVerbs) {
    if (name == verb) return bit;
  }
  return 0;
}

std::vector<std::string> VerbNames(uint16_t verbs) {
  std::vector<std::string> out;
  for (const auto& [name, bit] : kVerbs) {
    if (verbs & bit) out.emplace_back(name);
  }
  return out;
}

const Group* FindGroup(std::string_view group) {
  auto groups = Groups();
  auto it =
      std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == group; });
  return it == groups.end() ? nullptr : &*it;
}

int GroupPosition(std::string_view group) {
  const Group* g = FindGroup(group);
  return g ? static_cast<int>(g - Groups().data()) : -1;
}

const Resource* FindResource(std::string_view group, std::string_view version,
                             std::string_view plural) {
  for (const Resource& r : Resources()) {
    if (r.group == group && r.version == version && r.plural == plural) return &r;
  }
  return nullptr;
}

}  // namespace kubedouble::schema
