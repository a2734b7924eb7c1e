// Pruning and defaulting of custom resources along their structural schema.
#include <string>
#include <vector>

#include "crd_schema.h"

namespace kubedouble::fake {
namespace {

// The schema a child of an object takes: its property's, else additionalProperties' (when a
// schema), else nullptr.
const json* ChildSchema(const json& schema, const std::string& key) {
  auto props = schema.find("properties");
  if (props != schema.end() && props->is_object()) {
    auto it = props->find(key);
    if (it != props->end()) return &*it;
  }
  auto extra = schema.find("additionalProperties");
  if (extra != schema.end() && extra->is_object()) return &*extra;
  return nullptr;
}

bool IsTypeOrMeta(const std::string& key) {
  return key == "apiVersion" || key == "kind" || key == "metadata";
}

// Whether a field without a schema of its own is kept: additionalProperties: true, or
// x-kubernetes-preserve-unknown-fields.
bool KeepsUnknown(const json& schema) {
  auto extra = schema.find("additionalProperties");
  if (extra != schema.end() && extra->is_boolean() && extra->get<bool>()) return true;
  return SchemaFlag(schema, "x-kubernetes-preserve-unknown-fields");
}

void Prune(const json& schema, json& value, const std::string& path, bool resource,
           std::vector<std::string>& out) {
  if (!schema.is_object()) return;
  if (value.is_array()) {
    auto items = schema.find("items");
    if (items == schema.end() || !items->is_object()) return;
    for (size_t i = 0; i < value.size(); ++i) {
      Prune(*items, value[i], path + "[" + std::to_string(i) + "]", false, out);
    }
    return;
  }
  if (!value.is_object()) return;
  resource = resource || SchemaFlag(schema, "x-kubernetes-embedded-resource");
  std::vector<std::string> dropped;
  for (auto& [key, child] : value.items()) {
    std::string p = path.empty() ? key : path + "." + key;
    if (resource && IsTypeOrMeta(key)) continue;
    if (const json* s = ChildSchema(schema, key)) {
      Prune(*s, child, p, false, out);
      continue;
    }
    if (KeepsUnknown(schema)) continue;
    out.push_back(std::move(p));
    dropped.push_back(key);
  }
  for (const auto& key : dropped) value.erase(key);
}

void Default(const json& schema, json& value, bool root) {
  if (!schema.is_object()) return;
  if (value.is_array()) {
    auto items = schema.find("items");
    if (items == schema.end() || !items->is_object()) return;
    for (auto& item : value) Default(*items, item, false);
    return;
  }
  if (!value.is_object()) return;
  auto props = schema.find("properties");
  if (props != schema.end() && props->is_object()) {
    for (const auto& [key, sub] : props->items()) {
      if (root && IsTypeOrMeta(key)) continue;
      if (!sub.is_object()) continue;
      auto it = value.find(key);
      const bool has_default = sub.contains("default");
      if (it == value.end()) {
        if (has_default) value[key] = sub["default"];
      } else if (it->is_null() && !SchemaFlag(sub, "nullable")) {
        if (has_default) {
          *it = sub["default"];
        } else {
          value.erase(it);
        }
      }
    }
  }
  auto extra = schema.find("additionalProperties");
  if (extra != schema.end() && extra->is_object() && !SchemaFlag(*extra, "nullable")) {
    std::vector<std::string> nulls;
    for (auto& [key, child] : value.items()) {
      if (child.is_null() && !(props != schema.end() && props->contains(key))) nulls.push_back(key);
    }
    for (const auto& key : nulls) {
      if (extra->contains("default")) {
        value[key] = (*extra)["default"];
      } else {
        value.erase(key);
      }
    }
  }
  for (auto& [key, child] : value.items()) {
    if (root && IsTypeOrMeta(key)) continue;
    if (const json* s = ChildSchema(schema, key)) Default(*s, child, false);
  }
}

}  // namespace

std::vector<std::string> PruneBySchema(const json& schema, json& object) {
  std::vector<std::string> out;
  Prune(schema, object, "", true, out);
  return out;
}

void ApplySchemaDefaults(const json& schema, json& object) { Default(schema, object, true); }

}  // namespace kubedouble::fake
