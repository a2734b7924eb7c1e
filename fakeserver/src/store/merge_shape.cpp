// MergeShape: the built-in kinds' list and map types, a CRD's structural schema, or deduction.
#include "merge_shape.h"

#include "crd_schema.h"

namespace kubedouble::fake {

using schema::FieldType;

MergeShape MergeShape::Builtin(FieldType type, FieldType elem, const schema::ObjectType* object,
                               const schema::ObjectField* field) {
  MergeShape s;
  s.source_ = Source::kBuiltin;
  s.type_ = type;
  s.elem_ = elem;
  s.object_ = object;
  s.field_ = field;
  s.required_ = field != nullptr && field->required;
  const std::string_view map_type = field != nullptr ? field->map_type : std::string_view();
  if (type == FieldType::kObject) {
    s.atomic_ = map_type == "atomic" || (map_type != "granular" && object && object->atomic);
  } else if (type == FieldType::kMap) {
    s.atomic_ = map_type == "atomic";
  } else if (type == FieldType::kArray && field != nullptr) {
    if (field->list_type == "set") {
      s.list_type_ = ListType::kSet;
    } else if (field->list_type == "map") {
      s.list_type_ = ListType::kMap;
      for (auto k : field->list_map_keys) s.keys_.emplace_back(k);
    } else if (field->list_type.empty() && field->MergesList()) {
      // No list type, but a strategic-merge key: upstream treats the list as keyed by it (a set
      // when there is no key).
      if (field->patch_merge_key.empty()) {
        s.list_type_ = ListType::kSet;
      } else {
        s.list_type_ = ListType::kMap;
        s.keys_.emplace_back(field->patch_merge_key);
      }
    }
  }
  return s;
}

MergeShape MergeShape::Crd(const json* node, bool required) {
  MergeShape s;
  if (node == nullptr || !node->is_object()) return s;
  s.source_ = Source::kCrd;
  s.crd_ = node;
  s.required_ = required;
  const std::string type = SchemaString(*node, "type");
  if (type == "object") {
    s.atomic_ = SchemaString(*node, "x-kubernetes-map-type") == "atomic";
  } else if (type == "array") {
    const std::string list_type = SchemaString(*node, "x-kubernetes-list-type");
    if (list_type == "set") {
      s.list_type_ = ListType::kSet;
    } else if (list_type == "map") {
      s.list_type_ = ListType::kMap;
      auto keys = node->find("x-kubernetes-list-map-keys");
      if (keys != node->end() && keys->is_array()) {
        for (const auto& k : *keys) {
          if (k.is_string()) s.keys_.push_back(k.get<std::string>());
        }
      }
    }
  }
  return s;
}

MergeShape MergeShape::ForKind(const std::string& group, const std::string& version,
                               const std::string& kind, const json* crd_schema) {
  if (crd_schema != nullptr) {
    MergeShape s = Crd(crd_schema, false);
    s.crd_root_ = true;
    return s;
  }
  const schema::ObjectType* t = schema::FindKindType(group, version, kind);
  if (t == nullptr) return Deduced();
  return Builtin(FieldType::kObject, FieldType::kAny, t, nullptr);
}

MergeShape::Kind MergeShape::KindOf(const json& value) const {
  auto deduce = [&] {
    if (value.is_object()) return Kind::kMap;
    if (value.is_array()) return Kind::kList;
    return Kind::kScalar;
  };
  switch (source_) {
    case Source::kDeduced:
      return deduce();
    case Source::kBuiltin:
      switch (type_) {
        case FieldType::kObject:
          return value.is_object() ? Kind::kStruct : Kind::kScalar;
        case FieldType::kMap:
          return value.is_object() ? Kind::kMap : Kind::kScalar;
        case FieldType::kArray:
          return value.is_array() ? Kind::kList : Kind::kScalar;
        case FieldType::kAny:
          return deduce();
        default:
          return Kind::kScalar;
      }
    case Source::kCrd: {
      if (SchemaFlag(*crd_, "x-kubernetes-int-or-string")) return Kind::kScalar;
      const std::string type = SchemaString(*crd_, "type");
      if (type == "array") return value.is_array() ? Kind::kList : Kind::kScalar;
      if (type == "object" || (type.empty() && value.is_object())) {
        if (!value.is_object()) return Kind::kScalar;
        return crd_->contains("properties") || crd_root_ ? Kind::kStruct : Kind::kMap;
      }
      return type.empty() ? deduce() : Kind::kScalar;
    }
  }
  return Kind::kScalar;
}

bool MergeShape::Atomic(const json& value) const {
  if (source_ == Source::kDeduced || (source_ == Source::kBuiltin && type_ == FieldType::kAny)) {
    return value.is_array();
  }
  if (value.is_array()) return list_type_ == ListType::kAtomic;
  return atomic_;
}

MergeShape MergeShape::Field(const std::string& name) const {
  switch (source_) {
    case Source::kDeduced:
      return Deduced();
    case Source::kBuiltin: {
      if (type_ == FieldType::kMap) return Builtin(elem_, FieldType::kAny, object_, nullptr);
      if (type_ != FieldType::kObject || object_ == nullptr) return Deduced();
      const schema::ObjectField* f = object_->Field(name);
      if (f == nullptr) return Deduced();
      return Builtin(f->type, f->elem, schema::ObjectTypeAt(f->object), f);
    }
    case Source::kCrd: {
      if (crd_root_ && name == "metadata") {
        return Builtin(FieldType::kObject, FieldType::kAny,
                       schema::FindObjectType("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"),
                       nullptr);
      }
      auto props = crd_->find("properties");
      if (props != crd_->end() && props->is_object() && props->contains(name)) {
        bool required = false;
        auto req = crd_->find("required");
        if (req != crd_->end() && req->is_array()) {
          for (const auto& r : *req) required = required || r == name;
        }
        return Crd(&(*props)[name], required);
      }
      auto extra = crd_->find("additionalProperties");
      if (extra != crd_->end() && extra->is_object()) return Crd(&*extra, false);
      return Deduced();
    }
  }
  return Deduced();
}

MergeShape MergeShape::Item() const {
  if (source_ == Source::kBuiltin && type_ == FieldType::kArray) {
    return Builtin(elem_, FieldType::kAny, object_, nullptr);
  }
  if (source_ == Source::kCrd) {
    auto items = crd_->find("items");
    if (items != crd_->end() && items->is_object()) return Crd(&*items, false);
  }
  return Deduced();
}

}  // namespace kubedouble::fake
