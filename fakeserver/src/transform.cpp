#include "transform.h"

#include <fmt/format.h>

#include "kubedouble/schema/resources.h"

namespace kubedouble::fake {

namespace {
using json = nlohmann::json;

bool IsList(const json& body) {
  return body.is_object() && body.contains("items") && body["items"].is_array();
}

// The Go type kube-apiserver names in its refusal: the internal type of a built-in kind
// (`*core.Pod`, `*apps.DeploymentList`), `*unstructured.Unstructured(List)` for the others.
std::string GoTypeOf(const ResourceInfo& r, bool list) {
  if (!schema::FindResource(r.group, r.version, r.plural)) {
    return list ? "*unstructured.UnstructuredList" : "*unstructured.Unstructured";
  }
  std::string package = r.group.empty() ? "core" : r.group.substr(0, r.group.find('.'));
  return fmt::format("*{}.{}", package, list ? r.ListKind() : r.kind);
}

json PartialObjectMetadata(const json& object, const std::string& api_version) {
  json meta =
      object.is_object() && object.contains("metadata") ? object["metadata"] : json::object();
  return {{"kind", "PartialObjectMetadata"},
          {"apiVersion", api_version},
          {"metadata", std::move(meta)}};
}

json PartialObjectMetadataList(const json& list, const std::string& api_version) {
  json items = json::array();
  for (const json& item : list["items"]) items.push_back(PartialObjectMetadata(item, api_version));
  json meta = json::object();
  if (list.contains("metadata") && list["metadata"].is_object()) {
    for (const char* f : {"resourceVersion", "continue", "remainingItemCount"}) {
      if (list["metadata"].contains(f)) meta[f] = list["metadata"][f];
    }
  }
  return {{"kind", "PartialObjectMetadataList"},
          {"apiVersion", api_version},
          {"metadata", std::move(meta)},
          {"items", std::move(items)}};
}

json Table(const ResourceInfo& r, const json& body, const OutputFormat& format,
           const TransformOptions& options) {
  json table = ToTable(r, body, options.column_definitions, options.now);
  table["apiVersion"] = format.MetaApiVersion();
  json& rows = table["rows"];
  const bool list = IsList(body);
  for (size_t i = 0; i < rows.size(); ++i) {
    json& row = rows[i];
    if (options.include_object == "None") {
      row["object"] = nullptr;
    } else if (options.include_object == "Object") {
      json object = list ? body["items"][i] : body;
      object["kind"] = r.kind;
      object["apiVersion"] = r.ApiVersion();
      row["object"] = std::move(object);
    } else {
      row["object"]["apiVersion"] = format.MetaApiVersion();
    }
  }
  return table;
}
}  // namespace

TransformOptions TransformOptionsOf(const httplib::Request& req, const OutputFormat& format,
                                    std::chrono::system_clock::time_point now) {
  TransformOptions o;
  o.now = now;
  if (format.transform != Transform::kTable) return o;
  if (auto it = req.params.find("includeObject"); it != req.params.end()) {
    o.include_object = it->second;
  }
  const std::string& v = o.include_object;
  if (!v.empty() && v != "None" && v != "Metadata" && v != "Object") {
    throw StatusError::BadRequest(fmt::format(
        "Unable to convert to Table as requested: includeObject: Invalid value: {}: must be "
        "'Metadata', 'Object', 'None', or empty",
        json(v).dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  return o;
}

json TransformAnswer(const ResourceInfo& r, json body, const OutputFormat& format,
                     const TransformOptions& options) {
  if (format.transform == Transform::kNone) return body;
  if (body.is_object() && body.value("kind", "") == "Status") return body;
  const bool list = IsList(body);
  switch (format.transform) {
    case Transform::kNone:
      break;
    case Transform::kTable:
      return Table(r, body, format, options);
    case Transform::kPartialObjectMetadata:
      if (list) {
        throw StatusError(406, "NotAcceptable",
                          fmt::format("you requested PartialObjectMetadata, but the requested "
                                      "object is a list ({})",
                                      GoTypeOf(r, true)));
      }
      return PartialObjectMetadata(body, format.MetaApiVersion());
    case Transform::kPartialObjectMetadataList:
      if (!list) {
        throw StatusError(406, "NotAcceptable",
                          fmt::format("you requested PartialObjectMetadataList, but the requested "
                                      "object is not a list ({})",
                                      GoTypeOf(r, false)));
      }
      return PartialObjectMetadataList(body, format.MetaApiVersion());
  }
  return body;
}

}  // namespace kubedouble::fake
