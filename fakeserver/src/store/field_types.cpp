#include "field_types.h"

#include "kubedouble/schema/types.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "kubedouble/base/encoding.h"

namespace kubedouble::fake {
namespace {

// A Go type, as far as decoding JSON into it goes.
struct GoType {
  enum Kind { kString, kInt32, kInt64, kBool, kBytes, kMap, kSlice, kStruct, kAny };
  Kind kind = kAny;
  std::string name;  // reflect.Type.String(): "string", "v1.SecretType", "[]v1.Container"
  const GoType* elem = nullptr;                               // map value or slice element
  std::string struct_name;                                    // "PodSpec"
  std::vector<std::pair<std::string, const GoType*>> fields;  // JSON name -> type

  const GoType* Field(const std::string& key) const {
    for (const auto& [k, t] : fields) {
      if (k == key) return t;
    }
    return nullptr;  // unknown fields are dropped by the decoder
  }
};

// The Go types of the built-in kinds, built on first use from the schema's object types
// (schema/types.h: the OpenAPI definitions, with the Go names of named string types).
// Free-form fields (Time, Quantity, IntOrString, RawExtension, floats) are accepted as they are,
// as an interface{} would be.
class Schema {
 public:
  // The type of an object of `res`: a built-in kind's, or kind, apiVersion and metadata.
  const GoType* For(const ResourceInfo& res) {
    std::lock_guard lock(mu_);
    if (const schema::ObjectType* t = schema::FindKindType(res.group, res.version, res.kind)) {
      return Object(*t);
    }
    auto it = others_.find(res.kind);
    if (it != others_.end()) return it->second;
    GoType custom;
    custom.kind = GoType::kStruct;
    custom.name = "v1." + res.kind;
    custom.struct_name = res.kind;
    custom.fields = {{"kind", Scalar(GoType::kString, "string")},
                     {"apiVersion", Scalar(GoType::kString, "string")},
                     {"metadata", Object(*schema::FindObjectType(kObjectMeta))}};
    return others_[res.kind] = Add(std::move(custom));
  }

 private:
  static constexpr std::string_view kObjectMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

  const GoType* Add(GoType t) {
    types_.push_back(std::move(t));
    return &types_.back();
  }
  const GoType* Scalar(GoType::Kind k, std::string name) {
    auto key = std::make_pair(k, name);
    auto it = scalars_.find(key);
    if (it != scalars_.end()) return it->second;
    GoType t;
    t.kind = k;
    t.name = std::move(name);
    return scalars_[key] = Add(std::move(t));
  }
  const GoType* Container(GoType::Kind k, const GoType* elem) {
    GoType t;
    t.kind = k;
    t.name = (k == GoType::kMap ? "map[string]" : "[]") + elem->name;
    t.elem = elem;
    return Add(std::move(t));
  }
  // A value of `type` (an element's, for arrays and maps).
  const GoType* Value(schema::FieldType type, int16_t object, std::string_view go_name) {
    using schema::FieldType;
    switch (type) {
      case FieldType::kString:
        return Scalar(GoType::kString, go_name.empty() ? "string" : std::string(go_name));
      case FieldType::kBytes:
        return Scalar(GoType::kBytes, "[]uint8");
      case FieldType::kInt32:
        return Scalar(GoType::kInt32, "int32");
      case FieldType::kInt64:
        return Scalar(GoType::kInt64, "int64");
      case FieldType::kBool:
        return Scalar(GoType::kBool, "bool");
      case FieldType::kObject:
        if (const schema::ObjectType* t = schema::ObjectTypeAt(object)) return Object(*t);
        break;
      default:
        break;
    }
    return Scalar(GoType::kAny, "interface {}");
  }
  const GoType* Field(const schema::ObjectField& f) {
    using schema::FieldType;
    if (f.type == FieldType::kArray || f.type == FieldType::kMap) {
      const GoType* elem = Value(f.elem, f.object, f.go_name);
      return Container(f.type == FieldType::kArray ? GoType::kSlice : GoType::kMap, elem);
    }
    return Value(f.type, f.object, f.go_name);
  }
  const GoType* Object(const schema::ObjectType& t) {
    auto it = objects_.find(t.name);
    if (it != objects_.end()) return it->second;
    GoType s;
    s.kind = GoType::kStruct;
    s.name = std::string(t.GoName());                     // "v1.PodSpec"
    s.struct_name = s.name.substr(s.name.find('.') + 1);  // "PodSpec"
    GoType* out = const_cast<GoType*>(Add(std::move(s)));
    objects_[t.name] = out;  // before the fields: types refer to themselves (JSONSchemaProps)
    for (const schema::ObjectField& f : t.fields) out->fields.emplace_back(f.name, Field(f));
    return out;
  }

  std::mutex mu_;
  std::deque<GoType> types_;  // stable addresses
  std::map<std::pair<GoType::Kind, std::string>, const GoType*> scalars_;
  std::map<std::string_view, const GoType*> objects_;
  std::map<std::string, const GoType*> others_;  // custom resources, by kind
};

Schema& TheSchema() {
  static Schema schema;
  return schema;
}

// Where Go's StdEncoding stops reading `s`; nullopt when it decodes.
std::optional<size_t> Base64ErrorAt(const std::string& s) {
  size_t at = 0;
  if (base::Base64Decode(s, &at)) return std::nullopt;
  return at;
}

std::string Base64Error(size_t offset) {
  return "illegal base64 data at input byte " + std::to_string(offset);
}

// Walks a JSON value against a Go type, as encoding/json decodes it. Like Go, errors carry the
// innermost struct's name and the JSON path of the field (array indexes and map keys left out).
class JsonDecoder {
 public:
  std::optional<std::string> Decode(const json& v, const GoType& t, const std::string& in_struct,
                                    const std::string& path) const {
    if (v.is_null() || t.kind == GoType::kAny) return std::nullopt;  // null leaves the zero value
    switch (t.kind) {
      case GoType::kString:
        if (v.is_string()) return std::nullopt;
        break;
      case GoType::kInt32:
      case GoType::kInt64: {
        if (!v.is_number()) break;
        const int64_t lo = t.kind == GoType::kInt32 ? std::numeric_limits<int32_t>::min()
                                                    : std::numeric_limits<int64_t>::min();
        const int64_t hi = t.kind == GoType::kInt32 ? std::numeric_limits<int32_t>::max()
                                                    : std::numeric_limits<int64_t>::max();
        bool fits = false;
        if (v.is_number_unsigned()) {
          fits = v.get<uint64_t>() <= static_cast<uint64_t>(hi);
        } else if (v.is_number_integer()) {
          fits = v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
        }
        // strconv.ParseInt of the literal: a fraction or an exponent does not parse.
        if (!fits) return Error("number " + v.dump(), t, in_struct, path);
        return std::nullopt;
      }
      case GoType::kBool:
        if (v.is_boolean()) return std::nullopt;
        break;
      case GoType::kBytes:
        if (v.is_string()) {
          if (auto at = Base64ErrorAt(v.get_ref<const std::string&>())) return Base64Error(*at);
          return std::nullopt;
        }
        if (v.is_array()) {  // an array of numbers decodes into []byte too
          static const GoType u8{GoType::kInt32, "uint8", nullptr, "", {}};
          for (const auto& b : v) {
            if (b.is_null() || (b.is_number_unsigned() && b.get<uint64_t>() <= 255)) continue;
            return Error(b.is_number() ? "number " + b.dump() : TypeName(b), u8, in_struct, path);
          }
          return std::nullopt;
        }
        break;
      case GoType::kMap:
        if (!v.is_object()) break;
        for (const auto& [key, item] : v.items()) {
          if (auto e = Decode(item, *t.elem, in_struct, path)) return e;
        }
        return std::nullopt;
      case GoType::kSlice:
        if (!v.is_array()) break;
        for (const auto& item : v) {
          if (auto e = Decode(item, *t.elem, in_struct, path)) return e;
        }
        return std::nullopt;
      case GoType::kStruct:
        if (!v.is_object()) break;
        for (const auto& [key, item] : v.items()) {
          if (const GoType* f = t.Field(key)) {
            if (auto e = Decode(item, *f, t.struct_name, path.empty() ? key : path + "." + key)) {
              return e;
            }
          }
        }
        return std::nullopt;
      case GoType::kAny:
        return std::nullopt;
    }
    return Error(TypeName(v), t, in_struct, path);
  }

  static std::string TypeName(const json& v) {
    if (v.is_string()) return "string";
    if (v.is_number()) return "number";
    if (v.is_boolean()) return "bool";
    if (v.is_array()) return "array";
    return "object";
  }

 private:
  static std::string Error(const std::string& value, const GoType& t, const std::string& in_struct,
                           const std::string& path) {
    if (in_struct.empty() && path.empty()) {
      return "json: cannot unmarshal " + value + " into Go value of type " + t.name;
    }
    return "json: cannot unmarshal " + value + " into Go struct field " + in_struct + "." + path +
           " of type " + t.name;
  }
};

// Walks a JSON value against a Go type, as runtime.DefaultUnstructuredConverter converts a map
// into a typed object (integers as int64, other numbers as float64). Its errors carry no path.
class UnstructuredDecoder {
 public:
  std::optional<std::string> Decode(const json& v, const GoType& t) const {
    if (v.is_null() || t.kind == GoType::kAny) return std::nullopt;
    const bool integer = v.is_number_integer();  // also unsigned
    switch (t.kind) {
      case GoType::kString:
        if (v.is_string()) return std::nullopt;
        if (integer) return "cannot convert int64 to " + t.name;
        return std::string("unrecognized type: string");
      case GoType::kInt32:
      case GoType::kInt64:
        if (integer) return std::nullopt;
        if (v.is_number_float()) {
          double d = v.get<double>();
          if (d == std::trunc(d)) return std::nullopt;
          return "cannot convert float64 to " + t.name;
        }
        return "unrecognized type: " + std::string(t.kind == GoType::kInt32 ? "int32" : "int64");
      case GoType::kBool:
        if (v.is_boolean()) return std::nullopt;
        return std::string("unrecognized type: bool");
      case GoType::kBytes:
        if (v.is_string()) {
          if (auto at = Base64ErrorAt(v.get_ref<const std::string&>())) {
            return "error decoding from json: " + Base64Error(*at);
          }
          return std::nullopt;
        }
        if (v.is_array()) {
          for (const auto& b : v) {
            if (b.is_null() || b.is_number_integer()) continue;
            if (b.is_number_float() && b.get<double>() == std::trunc(b.get<double>())) continue;
            if (b.is_number_float()) return std::string("cannot convert float64 to uint8");
            return std::string("unrecognized type: uint8");
          }
          return std::nullopt;
        }
        return "cannot restore slice from " + KindName(v);
      case GoType::kMap:
        if (!v.is_object()) return "cannot restore map from " + KindName(v);
        for (const auto& [key, item] : v.items()) {
          if (auto e = Decode(item, *t.elem)) return e;
        }
        return std::nullopt;
      case GoType::kSlice:
        if (!v.is_array()) return "cannot restore slice from " + KindName(v);
        for (const auto& item : v) {
          if (auto e = Decode(item, *t.elem)) return e;
        }
        return std::nullopt;
      case GoType::kStruct:
        if (!v.is_object()) return "cannot restore struct from: " + KindName(v);
        for (const auto& [key, item] : v.items()) {
          if (const GoType* f = t.Field(key)) {
            if (auto e = Decode(item, *f)) return e;
          }
        }
        return std::nullopt;
      case GoType::kAny:
        break;
    }
    return std::nullopt;
  }

 private:
  // reflect.Kind of the value a JSON value decodes into as interface{}.
  static std::string KindName(const json& v) {
    if (v.is_string()) return "string";
    if (v.is_number_integer()) return "int64";
    if (v.is_number()) return "float64";
    if (v.is_boolean()) return "bool";
    if (v.is_array()) return "slice";
    return "map";
  }
};

// kind and apiVersion are read first, into an unnamed struct (runtime's SimpleMetaFactory).
std::optional<std::string> TypeMetaError(const json& object) {
  for (const char* f : {"apiVersion", "kind"}) {
    auto it = object.find(f);
    if (it == object.end() || it->is_null() || it->is_string()) continue;
    return "couldn't get version/kind; json parse error: json: cannot unmarshal " +
           JsonDecoder::TypeName(*it) + " into Go struct field ." + f + " of type string";
  }
  return std::nullopt;
}

std::string Compact(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Go's strconv.FormatFloat(f, 'g', -1, 64) as fmt's %v prints it (exponent from 1e21 on).
std::string GoFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (d == std::trunc(d) && std::fabs(d) < 1e21) {
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
  }
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  return buf;
}

}  // namespace

std::optional<std::string> FieldTypeError(const ResourceInfo& res, const json& object,
                                          Decoder decoder) {
  const GoType& t = *TheSchema().For(res);
  if (decoder == Decoder::kUnstructured) return UnstructuredDecoder().Decode(object, t);
  if (auto e = TypeMetaError(object)) return e;
  return JsonDecoder().Decode(object, t, "", "");
}

void CheckBodyTypes(const ResourceInfo& res, const json& body) {
  if (auto e = TypeMetaError(body)) {
    // Without a kind the decoder's error is worded apart, with the body's first 30 bytes.
    std::string text = Compact(body);
    std::string summary = text.size() > 30 ? text.substr(0, 30) + " ..." : text;
    throw StatusError::BadRequest("the object provided is unrecognized (must be of type " +
                                  res.kind + "): " + *e + " (" + summary + ")");
  }
  if (auto e = FieldTypeError(res, body, Decoder::kJson)) {
    throw StatusError::BadRequest(res.kind + " in version \"" + res.version +
                                  "\" cannot be handled as a " + res.kind + ": " + *e);
  }
}

void CheckPatchedTypes(const ResourceInfo& res, PatchType type, const std::string& patch_body,
                       const json& patched) {
  const bool strategic = type == PatchType::kStrategicMerge;
  auto e = FieldTypeError(res, patched, strategic ? Decoder::kUnstructured : Decoder::kJson);
  if (!e) return;
  // The value Go prints: the patched object's JSON, or the strategic patch as a Go map.
  std::string value =
      strategic ? GoFormat(json::parse(patch_body, nullptr, false)) : Compact(patched);
  // errors.NewInvalid(schema.GroupKind{}, "", ...): no kind and no name, hence ` "" is invalid`.
  std::string message = "Invalid value: " + Compact(json(value)) + ": " + *e;
  json cause = {{"reason", "FieldValueInvalid"}, {"message", message}, {"field", "patch"}};
  throw StatusError(422, "Invalid", " \"\" is invalid: patch: " + message,
                    json{{"causes", json::array({cause})}});
}

namespace {
void AppendGo(std::string& out, const json& v) {
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      out += "<nil>";
      return;
    case json::value_t::string:
      out += v.get_ref<const std::string&>();
      return;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    case json::value_t::number_float:
      out += GoFloat(v.get<double>());
      return;
    case json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ' ';
        AppendGo(out, v[i]);
      }
      out += ']';
      return;
    }
    case json::value_t::object: {  // fmt sorts map keys; so does json's std::map
      out += "map[";
      bool first = true;
      for (const auto& [k, x] : v.items()) {
        if (!first) out += ' ';
        first = false;
        out += k;
        out += ':';
        AppendGo(out, x);
      }
      out += ']';
      return;
    }
    default:  // integers
      out += v.dump();
      return;
  }
}
}  // namespace

std::string GoFormat(const json& v) {
  std::string out;
  AppendGo(out, v);
  return out;
}

}  // namespace kubedouble::fake
