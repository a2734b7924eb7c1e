// OpenAPI v3 documents from a swagger 2.0 document, one per group-version.
#include <set>
#include <vector>

#include "kubedouble/schema/openapi.h"

namespace kubedouble::schema {

using json = nlohmann::json;

namespace {

constexpr std::string_view kDefinitions = "#/definitions/";
constexpr std::string_view kParameters = "#/parameters/";
constexpr std::string_view kSchemas = "#/components/schemas/";

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string_view>& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

// A copy of a schema with "#/definitions/X" refs rewritten, collecting the names it refers to.
json RewriteRefs(const json& node, std::set<std::string>& reached) {
  if (node.is_object()) {
    json out = json::object();
    for (const auto& [k, v] : node.items()) {
      if (k == "$ref" && v.is_string()) {
        std::string_view ref = v.get_ref<const std::string&>();
        if (ref.starts_with(kDefinitions)) {
          std::string name(ref.substr(kDefinitions.size()));
          reached.insert(name);
          out[k] = std::string(kSchemas) + name;
          continue;
        }
      }
      out[k] = RewriteRefs(v, reached);
    }
    return out;
  }
  if (node.is_array()) {
    json out = json::array();
    for (const auto& v : node) out.push_back(RewriteRefs(v, reached));
    return out;
  }
  return node;
}

const json& Resolve(const json& swagger, const json& param) {
  if (param.contains("$ref") && param["$ref"].is_string()) {
    std::string_view ref = param["$ref"].get_ref<const std::string&>();
    if (ref.starts_with(kParameters)) {
      const json& params = swagger["parameters"];
      auto it = params.find(std::string(ref.substr(kParameters.size())));
      if (it != params.end()) return *it;
    }
  }
  return param;
}

// A non-body v2 parameter as v3 writes it: the type facts move into `schema`.
json Parameter(const json& p, std::set<std::string>& reached) {
  json out = json::object();
  json schema = json::object();
  for (const auto& [k, v] : p.items()) {
    if (k == "name" || k == "in" || k == "required" || k == "description") {
      out[k] = v;
    } else if (k == "type" || k == "format" || k == "items" || k == "uniqueItems" || k == "enum" ||
               k == "default" || k == "minimum" || k == "maximum") {
      schema[k] = RewriteRefs(v, reached);
    } else if (k.starts_with("x-")) {
      out[k] = v;
    }
  }
  if (!schema.empty()) out["schema"] = std::move(schema);
  return out;
}

json Content(const json& media_types, const json& schema, std::set<std::string>& reached) {
  json content = json::object();
  json s = RewriteRefs(schema, reached);
  if (media_types.is_array()) {
    for (const auto& m : media_types) {
      if (m.is_string()) content[m.get<std::string>()] = {{"schema", s}};
    }
  }
  return content;
}

json Operation(const json& swagger, const json& op, std::set<std::string>& reached) {
  json out = json::object();
  for (const auto& [k, v] : op.items()) {
    if (k == "tags" || k == "operationId" || k.starts_with("x-")) out[k] = v;
  }
  json params = json::array();
  if (op.contains("parameters")) {
    for (const auto& raw : op["parameters"]) {
      const json& p = Resolve(swagger, raw);
      if (p.value("in", "") == "body") {
        json body = {{"content", Content(op.value("consumes", json::array()),
                                         p.value("schema", json::object()), reached)}};
        if (p.value("required", false)) body["required"] = true;
        out["requestBody"] = std::move(body);
      } else {
        params.push_back(Parameter(p, reached));
      }
    }
  }
  if (!params.empty()) out["parameters"] = std::move(params);
  json responses = json::object();
  if (op.contains("responses") && op["responses"].is_object()) {
    for (const auto& [code, r] : op["responses"].items()) {
      json resp = {{"description", ""}};
      if (r.is_object() && r.contains("schema")) {
        resp["content"] = Content(op.value("produces", json::array()), r["schema"], reached);
      }
      responses[code] = std::move(resp);
    }
  }
  out["responses"] = std::move(responses);
  return out;
}

json PathItem(const json& swagger, const json& item, std::set<std::string>& reached) {
  json out = json::object();
  for (const auto& [k, v] : item.items()) {
    if (k == "parameters") {
      json params = json::array();
      for (const auto& raw : v) params.push_back(Parameter(Resolve(swagger, raw), reached));
      out[k] = std::move(params);
    } else if (k == "get" || k == "put" || k == "post" || k == "delete" || k == "patch" ||
               k == "head" || k == "options") {
      out[k] = Operation(swagger, v, reached);
    }
  }
  return out;
}

// Adds every definition reached (transitively) to `schemas`.
void AddSchemas(const json& definitions, std::set<std::string> pending, json& schemas) {
  while (!pending.empty()) {
    std::string name = *pending.begin();
    pending.erase(pending.begin());
    if (schemas.contains(name)) continue;
    auto it = definitions.find(name);
    if (it == definitions.end()) continue;
    std::set<std::string> more;
    schemas[name] = RewriteRefs(*it, more);
    for (auto& m : more) {
      if (!schemas.contains(m)) pending.insert(m);
    }
  }
}

}  // namespace

std::string OpenApiV3Key(std::string_view swagger_path) {
  auto parts = Segments(swagger_path);
  if (parts.empty()) return "";
  if (parts[0] == "api") return Join(parts, parts.size() >= 2 ? 2 : 1);
  if (parts[0] == "apis") return Join(parts, parts.size() >= 3 ? 3 : parts.size());
  // Other paths (/version/, /logs/{logpath}, /.well-known/openid-configuration/): up to the
  // first parameter.
  size_t n = 0;
  while (n < parts.size() && !parts[n].starts_with("{")) ++n;
  return Join(parts, n);
}

std::map<std::string, json> ToOpenApiV3(const json& swagger) {
  std::map<std::string, json> docs;
  std::map<std::string, std::set<std::string>> reached;
  if (!swagger.contains("paths") || !swagger["paths"].is_object()) return docs;
  for (const auto& [path, item] : swagger["paths"].items()) {
    if (!item.is_object()) continue;
    std::string key = OpenApiV3Key(path);
    json& doc = docs[key];
    if (doc.is_null()) {
      doc = {{"openapi", "3.0.0"},
             {"info", swagger.value("info", json::object())},
             {"paths", json::object()},
             {"components", json::object()}};
    }
    doc["paths"][path] = PathItem(swagger, item, reached[key]);
  }
  static const json kNone = json::object();
  const json& definitions = swagger.contains("definitions") ? swagger["definitions"] : kNone;
  for (auto& [key, doc] : docs) {
    json schemas = json::object();
    AddSchemas(definitions, reached[key], schemas);
    json& components = doc["components"];
    if (!schemas.empty()) components["schemas"] = std::move(schemas);
    if (swagger.contains("securityDefinitions")) {
      components["securitySchemes"] = swagger["securityDefinitions"];
    }
    if (swagger.contains("security")) doc["security"] = swagger["security"];
  }
  return docs;
}

}  // namespace kubedouble::schema
