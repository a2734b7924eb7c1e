// kubedouble::schema — the object types of the built-in kinds, field by field, as the OpenAPI
// document declares them: JSON type, the object type a field (or its elements) holds, list type
// and map keys, and the strategic merge patch strategy and merge key.
//
// Generated from the definitions of schema/data/openapi-v2.json that are objects of properties
// (497 types). Time, Quantity, IntOrString, RawExtension, FieldsV1 and JSON are not objects of
// their own here: a field of one of them has type kAny.
//
//   const schema::ObjectType* d = schema::FindKindType("apps", "v1", "Deployment");
//   const schema::ObjectField* spec = d->Field("spec");
//   schema::ObjectTypeAt(spec->object)->Field("replicas")->type   // FieldType::kInt32
//   ... PodSpec's "containers": kArray of kObject, patch_strategy "merge", patch_merge_key "name"
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kubedouble::schema {

// The JSON type of a field (OpenAPI type and format).
enum class FieldType : uint8_t {
  kString,  // string
  kBytes,   // string, format byte: base64 ([]byte in Go)
  kInt32,   // integer, format int32
  kInt64,   // integer, format int64
  kNumber,  // number (float64)
  kBool,    // boolean
  kObject,  // an object of the ObjectType `object`
  kMap,     // an object with free keys, values of type `elem`
  kArray,   // an array of `elem`
  kAny,     // any JSON value (free-form objects, Time, Quantity, IntOrString, ...)
};

struct ObjectField {
  std::string_view name;  // the JSON name
  FieldType type;
  FieldType elem;  // kArray, kMap: the type of the elements; else kAny
  int16_t object;  // the ObjectTypes() index of the object type (of the field or its elements)
  // x-kubernetes-patch-strategy: "", "merge", "retainKeys", "merge,retainKeys", "replace".
  std::string_view patch_strategy;
  std::string_view patch_merge_key;  // x-kubernetes-patch-merge-key: "name", "port", ...
  std::string_view list_type;        // x-kubernetes-list-type: "", "atomic", "set", "map"
  std::span<const std::string_view> list_map_keys;  // x-kubernetes-list-map-keys
  // The Go name of a named string type (of the field, or of its elements): "v1.Protocol",
  // "types.UID"; empty for a plain string and every other type.
  std::string_view go_name;
  // x-kubernetes-map-type of the field: "", "atomic", "granular" (overrides its type's).
  std::string_view map_type;
  // The definition lists the field as required (its Go field is then mostly not omitempty).
  bool required = false;

  // Whether a strategic merge patch merges this list (else it replaces it).
  bool MergesList() const;
};

struct ObjectType {
  std::string_view name;                // "io.k8s.api.core.v1.PodSpec"
  std::span<const ObjectField> fields;  // by name
  // x-kubernetes-map-type "atomic" on the definition: server-side apply owns and replaces the
  // object as one value (LabelSelector, ObjectReference, OwnerReference, ...).
  bool atomic = false;

  const ObjectField* Field(std::string_view json_name) const;  // nullptr when not a field
  // The Go type name: "v1.PodSpec" (the last two parts of `name`).
  std::string_view GoName() const;
};

// A kind (x-kubernetes-group-version-kind) and its object type.
struct KindType {
  std::string_view group, version, kind;
  int16_t object;
};

std::span<const ObjectType> ObjectTypes();
std::span<const KindType> KindTypes();  // by group, version, kind

// The object type of a definition name ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").
const ObjectType* FindObjectType(std::string_view name);
// ObjectTypes()[index]; nullptr for -1.
const ObjectType* ObjectTypeAt(int16_t index);
// The object type of a kind; nullptr for a kind the schema does not know (custom resources).
const ObjectType* FindKindType(std::string_view group, std::string_view version,
                               std::string_view kind);

}  // namespace kubedouble::schema
