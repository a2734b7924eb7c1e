// Whether a CustomResourceDefinition's schemas are structural, as apiextensions.k8s.io/v1
// requires: every field typed, no $ref, no additionalProperties beside properties, no
// uniqueItems, and defaults that fit their own schema.
#include <string>

#include "crd_schema.h"
#include "validation.h"

namespace kubedouble::fake {
namespace {

enum class Level { kRoot, kItem, kField };

void Walk(const json& s, const std::string& path, Level level, json& causes) {
  if (!s.is_object()) {
    causes.push_back(InvalidShownCause(path, s.dump(), "must be a schema object"));
    return;
  }
  const std::string type = SchemaString(s, "type");
  if (s.contains("$ref")) causes.push_back(ForbiddenCause(path + ".$ref", "$ref is not supported"));
  if (SchemaFlag(s, "x-kubernetes-embedded-resource") && type != "object") {
    if (type.empty()) {
      causes.push_back(RequiredCause(path + ".type",
                                     "must be object if x-kubernetes-embedded-resource is true"));
    } else {
      causes.push_back(InvalidCause(path + ".type", type,
                                    "must be object if x-kubernetes-embedded-resource is true"));
    }
  } else if (type.empty() && !SchemaFlag(s, "x-kubernetes-int-or-string") &&
             !SchemaFlag(s, "x-kubernetes-preserve-unknown-fields")) {
    const char* detail = level == Level::kRoot   ? "must not be empty at the root"
                         : level == Level::kItem ? "must not be empty for specified array items"
                                                 : "must not be empty for specified object fields";
    causes.push_back(RequiredCause(path + ".type", detail));
  }
  if (level == Level::kRoot && !type.empty() && type != "object") {
    causes.push_back(InvalidCause(path + ".type", type, "must be object at the root"));
  }
  if (auto it = s.find("x-kubernetes-preserve-unknown-fields");
      it != s.end() && it->is_boolean() && !it->get<bool>()) {
    causes.push_back(InvalidShownCause(path + ".x-kubernetes-preserve-unknown-fields", "false",
                                       "must be true or undefined"));
  }
  if (SchemaFlag(s, "uniqueItems")) {
    causes.push_back(ForbiddenCause(
        path + ".uniqueItems",
        "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
  }
  auto extra = s.find("additionalProperties");
  if (extra != s.end()) {
    if (s.contains("properties")) {
      causes.push_back(ForbiddenCause(path + ".additionalProperties",
                                      "additionalProperties and properties are mutual exclusive"));
    } else if (extra->is_boolean() && !extra->get<bool>()) {
      causes.push_back(ForbiddenCause(path + ".additionalProperties",
                                      "additionalProperties cannot be set to false"));
    } else if (extra->is_object()) {
      Walk(*extra, path + ".additionalProperties", Level::kField, causes);
    }
  }
  if (type == "array" && !s.contains("items")) {
    causes.push_back(RequiredCause(path + ".items", "must be specified"));
  }
  if (auto items = s.find("items"); items != s.end()) {
    Walk(*items, path + ".items", Level::kItem, causes);
  }
  if (auto props = s.find("properties"); props != s.end() && props->is_object()) {
    for (const auto& [key, sub] : props->items()) {
      Walk(sub, path + ".properties[" + key + "]", Level::kField, causes);
    }
  }
  if (auto def = s.find("default"); def != s.end()) {
    // The default is pruned and then validated by its own schema, as values are.
    json value = *def;
    PruneBySchema(s, value);
    for (json cause : SchemaCauses(s, value)) {
      std::string rel = cause.value("field", "");
      cause["field"] = path + ".default" + (rel.empty() ? "" : "." + rel);
      causes.push_back(std::move(cause));
    }
  }
}

}  // namespace

bool SchemaFlag(const json& schema, const char* key) {
  auto it = schema.find(key);
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

std::string SchemaString(const json& schema, const char* key) {
  auto it = schema.find(key);
  return it != schema.end() && it->is_string() ? it->get<std::string>() : "";
}

const json* CrdVersionSchema(const json& crd, const std::string& version) {
  const json* versions =
      crd.contains("spec") && crd["spec"].is_object() && crd["spec"].contains("versions")
          ? &crd["spec"]["versions"]
          : nullptr;
  if (!versions || !versions->is_array()) return nullptr;
  for (const auto& v : *versions) {
    if (!v.is_object() || v.value("name", "") != version) continue;
    auto schema = v.find("schema");
    if (schema == v.end() || !schema->is_object()) return nullptr;
    auto open = schema->find("openAPIV3Schema");
    return open != schema->end() && open->is_object() ? &*open : nullptr;
  }
  return nullptr;
}

json StructuralCauses(const json& crd) {
  json causes = json::array();
  const json& versions = crd["spec"]["versions"];
  for (size_t i = 0; i < versions.size(); ++i) {
    const std::string path = "spec.versions[" + std::to_string(i) + "].schema.openAPIV3Schema";
    const json& v = versions[i];
    const json* schema =
        v.contains("schema") && v["schema"].is_object() && v["schema"].contains("openAPIV3Schema")
            ? &v["schema"]["openAPIV3Schema"]
            : nullptr;
    if (!schema) {
      causes.push_back(RequiredCause(path, "schemas are required"));
      continue;
    }
    Walk(*schema, path, Level::kRoot, causes);
  }
  return causes;
}

}  // namespace kubedouble::fake
