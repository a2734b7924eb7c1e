// A CustomResourceDefinition's part of the OpenAPI documents (openapi.h: AddCrdToSwagger).
#include <algorithm>
#include <cctype>

#include "openapi.h"

namespace kubedouble::fake {
namespace {

const char kMeta[] = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.";

std::string Str(const json& o, const char* k) {
  if (!o.is_object()) return "";
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// "stable.example.com" -> "com.example.stable"
std::string ReversedGroup(const std::string& group) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = group.find('.', start);
    parts.push_back(group.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::reverse(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
  return out;
}

// "stable.example.com", "v1" -> "StableExampleComV1" (as operation ids spell a group-version).
std::string Camel(const std::string& group, const std::string& version) {
  std::string out;
  bool up = true;
  for (char c : group + "." + version) {
    if (c == '.' || c == '-') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

json Query(const char* name, const char* type = "string") {
  return {{"in", "query"}, {"name", name}, {"type", type}, {"uniqueItems", true}};
}

json PathParam(const char* name) {
  return {{"in", "path"},
          {"name", name},
          {"required", true},
          {"type", "string"},
          {"uniqueItems", true}};
}

json Ref(const std::string& target) { return {{"$ref", target}}; }

struct Operation {
  const char* method;  // "get"
  const char* action;  // x-kubernetes-action
  const char* id;      // operationId prefix: "list", "create", ...
  json params;
  json body;  // the body's schema, or null
  json response;
  json consumes;
};

json MakeOperation(const Operation& o, const json& gvk, const std::string& id_suffix,
                   const std::string& tag) {
  json params = o.params;
  if (!o.body.is_null()) {
    json body = {{"in", "body"}, {"name", "body"}, {"required", true}, {"schema", o.body}};
    params.insert(params.begin(), std::move(body));
  }
  json op = {{"operationId", std::string(o.id) + id_suffix},
             {"tags", {tag}},
             {"consumes", o.consumes.is_null() ? json({"*/*"}) : o.consumes},
             {"produces", {"application/json", "application/yaml"}},
             {"responses", {{"200", {{"schema", o.response}}}, {"401", json::object()}}},
             {"x-kubernetes-action", o.action},
             {"x-kubernetes-group-version-kind", gvk}};
  if (!params.empty()) op["parameters"] = std::move(params);
  return op;
}

json WriteParams(bool patch = false) {
  json p = {Query("dryRun"), Query("fieldManager"), Query("fieldValidation")};
  if (patch) p.push_back(Query("force", "boolean"));
  return p;
}

json ListParams() {
  return {Query("allowWatchBookmarks", "boolean"),
          Query("continue"),
          Query("fieldSelector"),
          Query("labelSelector"),
          Query("limit", "integer"),
          Query("resourceVersion"),
          Query("resourceVersionMatch"),
          Query("sendInitialEvents", "boolean"),
          Query("timeoutSeconds", "integer"),
          Query("watch", "boolean")};
}

const json& PatchTypes() {
  static const json kTypes = {"application/json-patch+json", "application/merge-patch+json",
                              "application/apply-patch+yaml"};
  return kTypes;
}

// The schema of one version: the CRD's structural schema, with apiVersion, kind and metadata.
json VersionSchema(const json& version, const json& gvk) {
  json schema = json::object();
  if (version.contains("schema") && version["schema"].is_object() &&
      version["schema"].contains("openAPIV3Schema") &&
      version["schema"]["openAPIV3Schema"].is_object()) {
    schema = version["schema"]["openAPIV3Schema"];
  }
  schema["type"] = "object";
  if (!schema.contains("properties") || !schema["properties"].is_object()) {
    schema["properties"] = json::object();
  }
  schema["properties"]["apiVersion"] = {{"type", "string"}};
  schema["properties"]["kind"] = {{"type", "string"}};
  schema["properties"]["metadata"] = Ref(std::string(kMeta) + "ObjectMeta");
  schema["x-kubernetes-group-version-kind"] = json::array({gvk});
  return schema;
}

}  // namespace

void AddCrdToSwagger(const json& crd, json& swagger) {
  if (!crd.is_object() || !crd.contains("spec") || !crd["spec"].is_object()) return;
  const json& spec = crd["spec"];
  const json names = spec.contains("names") ? spec["names"] : json::object();
  const std::string group = Str(spec, "group"), plural = Str(names, "plural"),
                    kind = Str(names, "kind");
  const bool namespaced = Str(spec, "scope") == "Namespaced";
  if (group.empty() || plural.empty() || kind.empty() || !spec.contains("versions") ||
      !spec["versions"].is_array()) {
    return;
  }
  std::string list_kind = Str(names, "listKind");
  if (list_kind.empty()) list_kind = kind + "List";
  for (const auto& v : spec["versions"]) {
    const std::string version = Str(v, "name");
    if (version.empty() || !v.value("served", true)) continue;
    const json gvk = {{"group", group}, {"version", version}, {"kind", kind}};
    const json list_gvk = {{"group", group}, {"version", version}, {"kind", list_kind}};
    const std::string prefix = ReversedGroup(group) + "." + version + ".";
    const std::string def = "#/definitions/" + prefix + kind;
    swagger["definitions"][prefix + kind] = VersionSchema(v, gvk);
    swagger["definitions"][prefix + list_kind] = {
        {"type", "object"},
        {"required", {"items"}},
        {"properties",
         {{"apiVersion", {{"type", "string"}}},
          {"kind", {{"type", "string"}}},
          {"items", {{"type", "array"}, {"items", Ref(def)}}},
          {"metadata", Ref(std::string(kMeta) + "ListMeta")}}},
        {"x-kubernetes-group-version-kind", json::array({list_gvk})}};

    const std::string tag = Camel(group, version);
    const std::string scope = namespaced ? "Namespaced" : "";
    const std::string base = "/apis/" + group + "/" + version + "/";
    const std::string collection = base + (namespaced ? "namespaces/{namespace}/" : "") + plural;
    const json list_ref = Ref("#/definitions/" + prefix + list_kind);
    const json status_ref = Ref(std::string(kMeta) + "Status");
    const json patch_body = Ref(std::string(kMeta) + "Patch");
    const json delete_body = Ref(std::string(kMeta) + "DeleteOptions");
    const std::string id = Camel(group, version) + scope + kind;
    auto add = [&](const std::string& path, json path_params, std::vector<Operation> ops) {
      json item = json::object();
      if (!path_params.empty()) item["parameters"] = std::move(path_params);
      for (const auto& o : ops) {
        item[o.method] =
            MakeOperation(o, std::string(o.action) == "list" ? list_gvk : gvk, id, tag);
      }
      swagger["paths"][path] = std::move(item);
    };
    json ns_params = namespaced ? json::array({PathParam("namespace")}) : json::array();
    json name_params = ns_params;
    name_params.insert(name_params.begin(), PathParam("name"));
    add(collection, ns_params,
        {{"get", "list", "list", ListParams(), nullptr, list_ref, nullptr},
         {"post", "post", "create", WriteParams(), Ref(def), Ref(def), nullptr},
         {"delete", "deletecollection", "deletecollection", ListParams(), delete_body, status_ref,
          nullptr}});
    if (namespaced) {
      add(base + plural, json::array(),
          {{"get", "list", "list", ListParams(), nullptr, list_ref, nullptr}});
    }
    std::vector<Operation> item_ops = {
        {"get", "get", "read", json::array(), nullptr, Ref(def), nullptr},
        {"put", "put", "replace", WriteParams(), Ref(def), Ref(def), nullptr},
        {"patch", "patch", "patch", WriteParams(true), patch_body, Ref(def), PatchTypes()}};
    add(collection + "/{name}", name_params, item_ops);
    json& last = swagger["paths"][collection + "/{name}"];
    last["delete"] = MakeOperation({"delete", "delete", "delete", json::array({Query("dryRun")}),
                                    delete_body, status_ref, nullptr},
                                   gvk, id, tag);
    const json subs = v.contains("subresources") ? v["subresources"] : json::object();
    if (subs.is_object() && subs.contains("status")) {
      add(collection + "/{name}/status", name_params, item_ops);
    }
  }
}

}  // namespace kubedouble::fake
