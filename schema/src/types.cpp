// Look-ups over the generated object types (types_table.cpp).
#include "kubedouble/schema/types.h"

#include <algorithm>
#include <tuple>

namespace kubedouble::schema {

bool ObjectField::MergesList() const {
  if (type != FieldType::kArray) return false;
  std::string_view rest = patch_strategy;  // comma-separated: "merge,retainKeys"
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (rest.substr(0, comma) == "merge") return true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return false;
}

const ObjectField* ObjectType::Field(std::string_view json_name) const {
  auto it = std::lower_bound(fields.begin(), fields.end(), json_name,
                             [](const ObjectField& f, std::string_view n) { return f.name < n; });
  return it != fields.end() && it->name == json_name ? &*it : nullptr;
}

std::string_view ObjectType::GoName() const {
  size_t last = name.rfind('.');
  if (last == std::string_view::npos || last == 0) return name;
  size_t before = name.rfind('.', last - 1);
  return before == std::string_view::npos ? name : name.substr(before + 1);
}

const ObjectType* ObjectTypeAt(int16_t index) {
  if (index < 0 || static_cast<size_t>(index) >= ObjectTypes().size()) return nullptr;
  return &ObjectTypes()[static_cast<size_t>(index)];
}

const ObjectType* FindObjectType(std::string_view name) {
  auto types = ObjectTypes();
  auto it = std::lower_bound(types.begin(), types.end(), name,
                             [](const ObjectType& t, std::string_view n) { return t.name < n; });
  return it != types.end() && it->name == name ? &*it : nullptr;
}

const ObjectType* FindKindType(std::string_view group, std::string_view version,
                               std::string_view kind) {
  auto kinds = KindTypes();
  auto key = std::tie(group, version, kind);
  auto it = std::lower_bound(kinds.begin(), kinds.end(), key, [](const KindType& k, auto& want) {
    return std::tie(k.group, k.version, k.kind) < want;
  });
  if (it == kinds.end() || std::tie(it->group, it->version, it->kind) != key) return nullptr;
  return ObjectTypeAt(it->object);
}

}  // namespace kubedouble::schema
