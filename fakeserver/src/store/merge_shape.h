// What server-side apply needs to know of a place in an object: whether it is a scalar, a
// structure of named fields, a map of free keys or a list, and how it merges — atomic (owned and
// replaced as one value) or granular; a list as a set (x-kubernetes-list-type: set) or a map keyed
// by x-kubernetes-list-map-keys (or, without a list type, by a strategic-merge patchMergeKey, as
// upstream reads those). From the built-in kinds' OpenAPI (kubedouble::schema), a CRD's structural
// schema, or deduced from the value where neither says (free-form fields, unknown kinds): then an
// object is a granular map, a list atomic and anything else a scalar.
//
//   MergeShape s = MergeShape::ForKind("apps", "v1", "Deployment", nullptr);
//   s.Field("spec").Field("template").Field("spec").Field("containers").keys()   // {"name"}
#pragma once

#include <string>
#include <vector>

#include "kubedouble/fakeserver/store.h"
#include "kubedouble/schema/types.h"

namespace kubedouble::fake {

class MergeShape {
 public:
  enum class Kind { kScalar, kStruct, kMap, kList };
  enum class ListType { kAtomic, kSet, kMap };

  // The root of an object of the kind; `crd_schema` (a CRD version's openAPIV3Schema) for custom
  // resources, nullptr for built-in kinds. Unknown kinds without a schema are deduced.
  static MergeShape ForKind(const std::string& group, const std::string& version,
                            const std::string& kind, const json* crd_schema);
  static MergeShape Deduced() { return MergeShape(); }

  // How `value` (the value found here) is treated.
  Kind KindOf(const json& value) const;
  // A struct or map owned and replaced as a whole; a list of list type atomic.
  bool Atomic(const json& value) const;
  ListType list_type() const { return list_type_; }
  const std::vector<std::string>& keys() const { return keys_; }
  // Whether the place is always present in its parent (a required field): it is then not
  // recorded as added by the manager who first fills it.
  bool required() const { return required_; }

  // The shape of a field of a struct, or of a value of a map.
  MergeShape Field(const std::string& name) const;
  // The shape of a list's items.
  MergeShape Item() const;

 private:
  enum class Source { kDeduced, kBuiltin, kCrd };
  Source source_ = Source::kDeduced;
  // Built-in: the JSON type here, its elements' type, the object type (of the value or of its
  // elements) and the field that leads here (nullptr at the root and inside maps and lists).
  schema::FieldType type_ = schema::FieldType::kAny;
  schema::FieldType elem_ = schema::FieldType::kAny;
  const schema::ObjectType* object_ = nullptr;
  const schema::ObjectField* field_ = nullptr;
  const json* crd_ = nullptr;  // CRD: the schema node here
  bool crd_root_ = false;
  bool atomic_ = false;
  bool required_ = false;
  ListType list_type_ = ListType::kAtomic;
  std::vector<std::string> keys_;

  static MergeShape Builtin(schema::FieldType type, schema::FieldType elem,
                            const schema::ObjectType* object, const schema::ObjectField* field);
  static MergeShape Crd(const json* node, bool required);
};

}  // namespace kubedouble::fake
