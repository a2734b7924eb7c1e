// The swagger document in the protobuf form kubectl asks /openapi/v2 for
// (application/com.github.proto-openapi.spec.v2@v1.0+protobuf: message openapi.v2.Document of
// gnostic's OpenAPIv2.proto). Field numbers below are that message set's. Vendor extensions,
// defaults, examples and enum values are `Any` messages carrying their JSON text in `yaml` (JSON
// is YAML), as clients read them back.
#include <cstring>
#include <string_view>

#include "kubedouble/schema/openapi.h"

namespace kubedouble::schema {

using json = nlohmann::json;

namespace {

// Appends protobuf fields to a buffer. Scalars equal to their zero value are left out (proto3).
class Writer {
 public:
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  void Key(int number, int wire_type) { Varint(uint64_t(number) << 3 | uint64_t(wire_type)); }
  void Bytes(int number, std::string_view s) {  // written even when empty
    Key(number, 2);
    Varint(s.size());
    out_.append(s);
  }
  void String(int number, std::string_view s) {
    if (!s.empty()) Bytes(number, s);
  }
  void Bool(int number, bool b) {
    if (!b) return;
    Key(number, 0);
    Varint(1);
  }
  void Int64(int number, int64_t v) {
    if (v == 0) return;
    Key(number, 0);
    Varint(static_cast<uint64_t>(v));
  }
  void Double(int number, double d) {
    if (d == 0) return;
    Key(number, 1);
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    for (int i = 0; i < 8; ++i) out_ += static_cast<char>((bits >> (8 * i)) & 0xff);
  }
  void Message(int number, const Writer& m) { Bytes(number, m.out_); }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

std::string Str(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

bool Flag(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() && it->get<bool>();
}

int64_t Integer(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

double Number(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : 0;
}

// openapi.v2.Any {value = 1 (google.protobuf.Any), yaml = 2}
Writer AnyOf(const json& v) {
  Writer w;
  w.String(2, v.dump());
  return w;
}

// NamedAny {name = 1, value = 2} for every "x-" key of `o`, as field `number`.
void VendorExtensions(const json& o, int number, Writer& w) {
  for (const auto& [k, v] : o.items()) {
    if (!k.starts_with("x-")) continue;
    Writer named;
    named.String(1, k);
    named.Message(2, AnyOf(v));
    w.Message(number, named);
  }
}

void Strings(const json& o, const char* key, int number, Writer& w) {
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return;
  for (const auto& s : *it) {
    if (s.is_string()) w.Bytes(number, s.get<std::string>());
  }
}

Writer Schema(const json& s) {
  Writer w;
  if (!s.is_object()) return w;
  w.String(1, Str(s, "$ref"));
  w.String(2, Str(s, "format"));
  w.String(3, Str(s, "title"));
  w.String(4, Str(s, "description"));
  if (s.contains("default")) w.Message(5, AnyOf(s["default"]));
  w.Double(6, Number(s, "multipleOf"));
  w.Double(7, Number(s, "maximum"));
  w.Bool(8, Flag(s, "exclusiveMaximum"));
  w.Double(9, Number(s, "minimum"));
  w.Bool(10, Flag(s, "exclusiveMinimum"));
  w.Int64(11, Integer(s, "maxLength"));
  w.Int64(12, Integer(s, "minLength"));
  w.String(13, Str(s, "pattern"));
  w.Int64(14, Integer(s, "maxItems"));
  w.Int64(15, Integer(s, "minItems"));
  w.Bool(16, Flag(s, "uniqueItems"));
  w.Int64(17, Integer(s, "maxProperties"));
  w.Int64(18, Integer(s, "minProperties"));
  Strings(s, "required", 19, w);
  if (s.contains("enum") && s["enum"].is_array()) {
    for (const auto& v : s["enum"]) w.Message(20, AnyOf(v));
  }
  if (s.contains("additionalProperties")) {  // {schema = 1 | boolean = 2}
    const json& ap = s["additionalProperties"];
    Writer item;
    if (ap.is_boolean()) {
      item.Key(2, 0);
      item.Varint(ap.get<bool>() ? 1 : 0);
    } else {
      item.Message(1, Schema(ap));
    }
    w.Message(21, item);
  }
  if (s.contains("type")) {  // TypeItem {repeated value = 1}
    Writer type;
    if (s["type"].is_string()) type.Bytes(1, s["type"].get<std::string>());
    Strings(s, "type", 1, type);
    w.Message(22, type);
  }
  if (s.contains("items")) {  // ItemsItem {repeated schema = 1}
    Writer items;
    if (s["items"].is_array()) {
      for (const auto& i : s["items"]) items.Message(1, Schema(i));
    } else {
      items.Message(1, Schema(s["items"]));
    }
    w.Message(23, items);
  }
  if (s.contains("allOf") && s["allOf"].is_array()) {
    for (const auto& a : s["allOf"]) w.Message(24, Schema(a));
  }
  if (s.contains("properties") && s["properties"].is_object()) {
    Writer props;  // Properties {repeated NamedSchema additional_properties = 1}
    for (const auto& [name, p] : s["properties"].items()) {
      Writer named;
      named.String(1, name);
      named.Message(2, Schema(p));
      props.Message(1, named);
    }
    w.Message(25, props);
  }
  w.String(26, Str(s, "discriminator"));
  w.Bool(27, Flag(s, "readOnly"));
  if (s.contains("example")) w.Message(30, AnyOf(s["example"]));
  VendorExtensions(s, 31, w);
  return w;
}

// A non-body parameter: header and path parameters number their fields one lower from `type`
// on than query and formData ones (which have allow_empty_value = 5).
Writer SubSchema(const json& p, bool query_like) {
  Writer w;
  const int shift = query_like ? 1 : 0;
  w.Bool(1, Flag(p, "required"));
  w.String(2, Str(p, "in"));
  w.String(3, Str(p, "description"));
  w.String(4, Str(p, "name"));
  if (query_like) w.Bool(5, Flag(p, "allowEmptyValue"));
  w.String(5 + shift, Str(p, "type"));
  w.String(6 + shift, Str(p, "format"));
  w.String(8 + shift, Str(p, "collectionFormat"));
  if (p.contains("default")) w.Message(9 + shift, AnyOf(p["default"]));
  w.Bool(19 + shift, Flag(p, "uniqueItems"));
  VendorExtensions(p, 22 + shift, w);
  return w;
}

// Parameter {body_parameter = 1 | non_body_parameter = 2}
Writer Parameter(const json& p) {
  Writer w;
  const std::string in = Str(p, "in");
  if (in == "body") {
    Writer body;
    body.String(1, Str(p, "description"));
    body.String(2, Str(p, "name"));
    body.String(3, in);
    body.Bool(4, Flag(p, "required"));
    if (p.contains("schema")) body.Message(5, Schema(p["schema"]));
    VendorExtensions(p, 6, body);
    w.Message(1, body);
    return w;
  }
  // NonBodyParameter {header = 1, formData = 2, query = 3, path = 4}
  const int kind = in == "header" ? 1 : in == "formData" ? 2 : in == "query" ? 3 : 4;
  Writer non_body;
  non_body.Message(kind, SubSchema(p, kind == 2 || kind == 3));
  w.Message(2, non_body);
  return w;
}

// ParametersItem {parameter = 1 | json_reference = 2 {_ref = 1}}
Writer ParametersItem(const json& p) {
  Writer w;
  if (p.is_object() && p.contains("$ref")) {
    Writer ref;
    ref.String(1, Str(p, "$ref"));
    w.Message(2, ref);
  } else {
    w.Message(1, Parameter(p));
  }
  return w;
}

Writer Operation(const json& op) {
  Writer w;
  Strings(op, "tags", 1, w);
  w.String(2, Str(op, "summary"));
  w.String(3, Str(op, "description"));
  w.String(5, Str(op, "operationId"));
  Strings(op, "produces", 6, w);
  Strings(op, "consumes", 7, w);
  if (op.contains("parameters") && op["parameters"].is_array()) {
    for (const auto& p : op["parameters"]) w.Message(8, ParametersItem(p));
  }
  if (op.contains("responses") && op["responses"].is_object()) {
    Writer responses;  // Responses {repeated NamedResponseValue response_code = 1}
    for (const auto& [code, r] : op["responses"].items()) {
      Writer response;  // Response {description = 1, schema = 2 SchemaItem {schema = 1}}
      response.String(1, r.is_object() ? Str(r, "description") : "");
      if (r.is_object() && r.contains("schema")) {
        Writer item;
        item.Message(1, Schema(r["schema"]));
        response.Message(2, item);
      }
      Writer value;  // ResponseValue {response = 1}
      value.Message(1, response);
      Writer named;
      named.String(1, code);
      named.Message(2, value);
      responses.Message(1, named);
    }
    w.Message(9, responses);
  }
  Strings(op, "schemes", 10, w);
  w.Bool(11, Flag(op, "deprecated"));
  VendorExtensions(op, 13, w);
  return w;
}

Writer PathItem(const json& item) {
  Writer w;
  static constexpr std::pair<const char*, int> kOps[] = {{"get", 2},    {"put", 3},     {"post", 4},
                                                         {"delete", 5}, {"options", 6}, {"head", 7},
                                                         {"patch", 8}};
  for (const auto& [method, number] : kOps) {
    if (item.contains(method)) w.Message(number, Operation(item[method]));
  }
  if (item.contains("parameters") && item["parameters"].is_array()) {
    for (const auto& p : item["parameters"]) w.Message(9, ParametersItem(p));
  }
  VendorExtensions(item, 10, w);
  return w;
}

// A map of `values` as repeated {name = 1, value = 2} entries (field `number` of `w`).
template <typename Fn>
void Named(const json& values, int number, Writer& w, Fn encode) {
  if (!values.is_object()) return;
  for (const auto& [name, v] : values.items()) {
    Writer named;
    named.String(1, name);
    named.Message(2, encode(v));
    w.Message(number, named);
  }
}

}  // namespace

std::string SwaggerToProtobuf(const json& swagger) {
  Writer doc;
  doc.String(1, Str(swagger, "swagger"));
  if (swagger.contains("info")) {
    Writer info;
    info.String(1, Str(swagger["info"], "title"));
    info.String(2, Str(swagger["info"], "version"));
    doc.Message(2, info);
  }
  if (swagger.contains("paths")) {
    Writer paths;  // Paths {path = 2}
    Named(swagger["paths"], 2, paths, PathItem);
    doc.Message(8, paths);
  }
  if (swagger.contains("definitions")) {
    Writer defs;
    Named(swagger["definitions"], 1, defs, Schema);
    doc.Message(9, defs);
  }
  if (swagger.contains("parameters")) {
    Writer params;
    Named(swagger["parameters"], 1, params, Parameter);
    doc.Message(10, params);
  }
  if (swagger.contains("security") && swagger["security"].is_array()) {
    for (const auto& requirement : swagger["security"]) {
      Writer req;  // SecurityRequirement {NamedStringArray {name, StringArray {value = 1}}}
      Named(requirement, 1, req, [](const json& scopes) {
        Writer values;
        if (scopes.is_array()) {
          for (const auto& s : scopes) {
            if (s.is_string()) values.Bytes(1, s.get<std::string>());
          }
        }
        return values;
      });
      doc.Message(12, req);
    }
  }
  if (swagger.contains("securityDefinitions")) {
    Writer defs;  // {NamedSecurityDefinitionsItem {name, {api_key_security = 2}}}
    Named(swagger["securityDefinitions"], 1, defs, [](const json& d) {
      Writer key;
      key.String(1, Str(d, "type"));
      key.String(2, Str(d, "name"));
      key.String(3, Str(d, "in"));
      key.String(4, Str(d, "description"));
      Writer item;
      item.Message(2, key);
      return item;
    });
    doc.Message(13, defs);
  }
  VendorExtensions(swagger, 16, doc);
  return doc.str();
}

}  // namespace kubedouble::schema
