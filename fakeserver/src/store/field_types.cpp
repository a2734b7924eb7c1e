#include "field_types.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

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

using Fields = std::vector<std::pair<std::string, const GoType*>>;

// The Go types of the built-in kinds (k8s.io/api/core/v1), the fields clients commonly send.
// Fields not listed are accepted as they are (as an interface{} would be).
class Schema {
 public:
  Schema() {
    auto* str = Scalar(GoType::kString, "string");
    auto* i32 = Scalar(GoType::kInt32, "int32");
    auto* i64 = Scalar(GoType::kInt64, "int64");
    auto* boolean = Scalar(GoType::kBool, "bool");
    auto* any = Scalar(GoType::kAny, "interface {}");
    auto* uid = Scalar(GoType::kString, "types.UID");
    auto* strings = Slice(str);
    auto* string_map = Map(str);
    auto* bytes_map = Map(Scalar(GoType::kBytes, "[]uint8"));
    auto named = [&](const char* n) { return Scalar(GoType::kString, n); };

    auto* owner_ref = Struct("OwnerReference", {{"apiVersion", str},
                                                {"kind", str},
                                                {"name", str},
                                                {"uid", uid},
                                                {"controller", boolean},
                                                {"blockOwnerDeletion", boolean}});
    meta_ = Struct("ObjectMeta", {{"name", str},
                                  {"generateName", str},
                                  {"namespace", str},
                                  {"selfLink", str},
                                  {"uid", uid},
                                  {"resourceVersion", str},
                                  {"generation", i64},
                                  {"creationTimestamp", any},
                                  {"deletionTimestamp", any},
                                  {"deletionGracePeriodSeconds", i64},
                                  {"labels", string_map},
                                  {"annotations", string_map},
                                  {"ownerReferences", Slice(owner_ref)},
                                  {"finalizers", strings},
                                  {"managedFields", any}});
    auto* object_ref = Struct("ObjectReference", {{"kind", str},
                                                  {"namespace", str},
                                                  {"name", str},
                                                  {"uid", uid},
                                                  {"apiVersion", str},
                                                  {"resourceVersion", str},
                                                  {"fieldPath", str}});
    auto* local_refs = Slice(Struct("LocalObjectReference", {{"name", str}}));

    kinds_["ConfigMap"] = Kind(
        "ConfigMap", {{"immutable", boolean}, {"data", string_map}, {"binaryData", bytes_map}});
    kinds_["Secret"] = Kind("Secret", {{"immutable", boolean},
                                       {"data", bytes_map},
                                       {"stringData", string_map},
                                       {"type", named("v1.SecretType")}});
    kinds_["ServiceAccount"] = Kind("ServiceAccount", {{"secrets", Slice(object_ref)},
                                                       {"imagePullSecrets", local_refs},
                                                       {"automountServiceAccountToken", boolean}});
    kinds_["Namespace"] =
        Kind("Namespace",
             {{"spec", Struct("NamespaceSpec", {{"finalizers", Slice(named("v1.FinalizerName"))}})},
              {"status", Struct("NamespaceStatus",
                                {{"phase", named("v1.NamespacePhase")}, {"conditions", any}})}});

    auto* container_port = Struct("ContainerPort", {{"name", str},
                                                    {"hostPort", i32},
                                                    {"containerPort", i32},
                                                    {"protocol", named("v1.Protocol")},
                                                    {"hostIP", str}});
    auto* env_var = Struct("EnvVar", {{"name", str}, {"value", str}, {"valueFrom", any}});
    auto* containers = Slice(
        Struct("Container", {{"name", str},
                             {"image", str},
                             {"command", strings},
                             {"args", strings},
                             {"workingDir", str},
                             {"ports", Slice(container_port)},
                             {"env", Slice(env_var)},
                             {"imagePullPolicy", named("v1.PullPolicy")},
                             {"terminationMessagePath", str},
                             {"terminationMessagePolicy", named("v1.TerminationMessagePolicy")},
                             {"stdin", boolean},
                             {"stdinOnce", boolean},
                             {"tty", boolean}}));
    auto* pod_spec = Struct("PodSpec", {{"initContainers", containers},
                                        {"containers", containers},
                                        {"restartPolicy", named("v1.RestartPolicy")},
                                        {"terminationGracePeriodSeconds", i64},
                                        {"activeDeadlineSeconds", i64},
                                        {"dnsPolicy", named("v1.DNSPolicy")},
                                        {"nodeSelector", string_map},
                                        {"serviceAccountName", str},
                                        {"serviceAccount", str},
                                        {"automountServiceAccountToken", boolean},
                                        {"nodeName", str},
                                        {"hostNetwork", boolean},
                                        {"hostPID", boolean},
                                        {"hostIPC", boolean},
                                        {"imagePullSecrets", local_refs},
                                        {"hostname", str},
                                        {"subdomain", str},
                                        {"schedulerName", str},
                                        {"priorityClassName", str},
                                        {"priority", i32}});
    auto* pod_status = Struct("PodStatus", {{"phase", named("v1.PodPhase")},
                                            {"message", str},
                                            {"reason", str},
                                            {"nominatedNodeName", str},
                                            {"hostIP", str},
                                            {"podIP", str},
                                            {"qosClass", named("v1.PodQOSClass")}});
    kinds_["Pod"] = Kind("Pod", {{"spec", pod_spec}, {"status", pod_status}});

    auto* service_port = Struct("ServicePort", {{"name", str},
                                                {"protocol", named("v1.Protocol")},
                                                {"appProtocol", str},
                                                {"port", i32},
                                                {"targetPort", any},  // IntOrString
                                                {"nodePort", i32}});
    kinds_["Service"] =
        Kind("Service",
             {{"spec", Struct("ServiceSpec", {{"ports", Slice(service_port)},
                                              {"selector", string_map},
                                              {"clusterIP", str},
                                              {"clusterIPs", strings},
                                              {"type", named("v1.ServiceType")},
                                              {"externalIPs", strings},
                                              {"sessionAffinity", named("v1.ServiceAffinity")},
                                              {"loadBalancerIP", str},
                                              {"externalName", str}})}});
    kinds_["Event"] = Kind("Event", {{"involvedObject", object_ref},
                                     {"reason", str},
                                     {"message", str},
                                     {"count", i32},
                                     {"type", str},
                                     {"action", str},
                                     {"reportingComponent", str},
                                     {"reportingInstance", str}});
    kinds_["Node"] = Kind("Node", {{"spec", Struct("NodeSpec", {{"podCIDR", str},
                                                                {"podCIDRs", strings},
                                                                {"providerID", str},
                                                                {"unschedulable", boolean}})}});
  }

  // The type of an object of `res`: a built-in kind's table, or kind, apiVersion and metadata.
  const GoType* For(const ResourceInfo& res) {
    if (res.group.empty() && res.version == "v1") {
      auto it = kinds_.find(res.kind);
      if (it != kinds_.end()) return it->second;
    }
    std::lock_guard lock(mu_);
    auto it = others_.find(res.kind);
    if (it != others_.end()) return it->second;
    return others_[res.kind] = Kind(res.kind, {});
  }

 private:
  const GoType* Add(GoType t) {
    types_.push_back(std::move(t));
    return &types_.back();
  }
  const GoType* Scalar(GoType::Kind k, std::string name) {
    GoType t;
    t.kind = k;
    t.name = std::move(name);
    return Add(std::move(t));
  }
  const GoType* Map(const GoType* elem) {
    GoType t;
    t.kind = GoType::kMap;
    t.name = "map[string]" + elem->name;
    t.elem = elem;
    return Add(std::move(t));
  }
  const GoType* Slice(const GoType* elem) {
    GoType t;
    t.kind = GoType::kSlice;
    t.name = "[]" + elem->name;
    t.elem = elem;
    return Add(std::move(t));
  }
  const GoType* Struct(std::string name, Fields fields) {
    GoType t;
    t.kind = GoType::kStruct;
    t.name = "v1." + name;
    t.struct_name = std::move(name);
    t.fields = std::move(fields);
    return Add(std::move(t));
  }
  // A top-level kind: TypeMeta (inline) and ObjectMeta, then its own fields.
  const GoType* Kind(const std::string& name, Fields fields) {
    Fields all = {{"kind", str_}, {"apiVersion", str_}, {"metadata", meta_}};
    all.insert(all.end(), fields.begin(), fields.end());
    return Struct(name, std::move(all));
  }

  std::deque<GoType> types_;  // stable addresses
  const GoType* str_ = Scalar(GoType::kString, "string");
  const GoType* meta_ = nullptr;
  std::map<std::string, const GoType*> kinds_;
  std::mutex mu_;
  std::map<std::string, const GoType*> others_;  // custom resources, by kind
};

Schema& TheSchema() {
  static Schema schema;
  return schema;
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
          if (auto at = Base64ErrorOffset(v.get<std::string>())) return Base64Error(*at);
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
          if (auto at = Base64ErrorOffset(v.get<std::string>())) {
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

std::optional<size_t> Base64ErrorOffset(const std::string& s) {
  auto value = [](unsigned char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  auto newline = [](char c) { return c == '\n' || c == '\r'; };
  const size_t n = s.size();
  size_t si = 0;
  // One quantum of four characters at a time, as encoding/base64's decodeQuantum.
  while (si < n) {
    for (int j = 0; j < 4; ++j) {
      if (si == n) {
        if (j == 0) return std::nullopt;
        return si - static_cast<size_t>(j);  // padding is required
      }
      unsigned char in = static_cast<unsigned char>(s[si++]);
      if (value(in) >= 0) continue;
      if (newline(static_cast<char>(in))) {
        --j;
        continue;
      }
      if (in != '=') return si - 1;
      switch (j) {
        case 0:
        case 1:
          return si - 1;  // incorrect padding
        case 2:           // "==" expected
          while (si < n && newline(s[si])) ++si;
          if (si == n) return n;
          if (s[si] != '=') return si - 1;
          ++si;
          break;
        default:
          break;
      }
      while (si < n && newline(s[si])) ++si;
      if (si < n) return si;  // trailing garbage
      return std::nullopt;
    }
  }
  return std::nullopt;
}

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
