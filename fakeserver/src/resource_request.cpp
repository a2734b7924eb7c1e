// Reading a resource request (resource_request.h): its query's options and its body.
#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <charconv>

#include "duplicate_fields.h"
#include "negotiate.h"
#include "protobuf.h"
#include "request_info.h"
#include "resource_request.h"
#include "status.h"
#include "store/field_manager.h"

namespace kubedouble::fake {

std::string Param(const httplib::Request& req, const char* key) {
  return req.has_param(key) ? req.get_param_value(key) : "";
}

int64_t IntParam(const httplib::Request& req, const char* key) {
  std::string v = Param(req, key);
  if (v.empty()) return 0;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) {
    throw StatusError::BadRequest(fmt::format("invalid value for {}: \"{}\"", key, v));
  }
  return n;
}

ListOptions ParseListOptions(const httplib::Request& req) {
  ListOptions o;
  if (req.params.empty()) return o;  // the usual list: nothing to look up
  o.label_selector = Param(req, "labelSelector");
  o.field_selector = Param(req, "fieldSelector");
  o.limit = IntParam(req, "limit");
  o.continue_token = Param(req, "continue");
  o.resource_version = Param(req, "resourceVersion");
  o.resource_version_match = Param(req, "resourceVersionMatch");
  o.allow_watch_bookmarks = QueryBool(Param(req, "allowWatchBookmarks"));
  if (req.has_param("sendInitialEvents")) {
    o.send_initial_events = QueryBool(Param(req, "sendInitialEvents"));
  }
  // timeoutSeconds=0 asks for no timeout of the client's: the server's default applies.
  if (req.has_param("timeoutSeconds") && IntParam(req, "timeoutSeconds") > 0) {
    o.timeout_seconds = IntParam(req, "timeoutSeconds");
  }
  return o;
}

json ParseBody(const httplib::Request& req, const ResourceInfo& r, Repeats* repeats) {
  json body;
  const Encoding encoding = NegotiateInput(req.get_header_value("Content-Type"));
  if (encoding == Encoding::kProtobuf) {
    body = DecodeProtobufBody(req.body);
  } else if (encoding == Encoding::kYaml) {
    try {
      YAML::Node doc = base::LoadYaml(req.body);
      if (doc.IsMap()) body = base::YamlToJson(doc);
      if (repeats && doc.IsMap()) *repeats = {DuplicateYamlKeys(doc), true};
    } catch (const YAML::Exception& e) {
      throw StatusError::BadRequest(
          fmt::format("the request body is not valid YAML: {}", e.what()));
    }
    if (!body.is_object()) throw StatusError::BadRequest("the request body is not a YAML mapping");
  } else {
    // nlohmann's parser skips a UTF-8 byte order mark; Go's JSON decoder refuses it.
    if (req.body.rfind("\xEF\xBB\xBF", 0) == 0) {
      throw StatusError::BadRequest(
          "couldn't get version/kind; json parse error: invalid character '\xC3\xAF' looking "
          "for beginning of value");
    }
    body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      throw StatusError::BadRequest(
          "the request body is not a JSON object (send application/json or application/yaml)");
    }
    if (repeats) repeats->keys = DuplicateJsonFields(req.body);
  }
  // A body of another kind or API version is refused, as kube-apiserver does (not rewritten).
  for (auto [field, want] : {std::pair<const char*, std::string>{"apiVersion", r.ApiVersion()},
                             std::pair<const char*, std::string>{"kind", r.kind}}) {
    if (body.contains(field) && body[field] != want) {
      throw StatusError::BadRequest(fmt::format(
          "the {} in the data ({}) does not match the expected {} ({})", field,
          body[field].dump(-1, ' ', false, json::error_handler_t::replace), field, want));
    }
  }
  return body;
}

bool ValidateFields(const httplib::Request& req, httplib::Response& res, const Store& store,
                    const ResourceInfo& r, json& body, const std::string& what,
                    const Repeats& repeats) {
  const std::string directive = Param(req, "fieldValidation");
  auto unknown = PruneUnknownFields(store, r, body);
  if (directive == "Ignore") return !unknown.empty();
  std::vector<std::string> problems;
  if (repeats.yaml) {
    problems = repeats.keys;
  } else {
    for (const auto& f : repeats.keys) problems.push_back(fmt::format("duplicate field \"{}\"", f));
  }
  for (const auto& f : unknown) problems.push_back(fmt::format("unknown field \"{}\"", f));
  if (problems.empty()) return false;
  if (directive == "Strict") {
    std::string list;
    if (repeats.yaml && !repeats.keys.empty()) {
      list = "yaml: unmarshal errors:";
      for (const auto& k : repeats.keys) list += "\n  " + k;
    }
    for (size_t i = repeats.yaml ? repeats.keys.size() : 0; i < problems.size(); ++i) {
      list += (list.empty() ? "" : ", ") + problems[i];
    }
    throw StatusError::BadRequest(what + "strict decoding error: " + list);
  }
  for (const auto& p : problems) {
    res.headers.emplace("Warning", "299 - " + json(p).dump());
  }
  return !unknown.empty();
}

std::string CannotBeHandled(const ResourceInfo& r) {
  return fmt::format("{} in version \"{}\" cannot be handled as a {}: ", r.kind, r.version, r.kind);
}

WriteOptions ParseWriteOptions(const httplib::Request& req, const char* options_kind) {
  WriteOptions o;
  o.dry_run = req.has_param("dryRun") && !Param(req, "dryRun").empty();
  if (req.has_param("fieldManager")) {
    o.field_manager = Param(req, "fieldManager");
    json causes = FieldManagerCauses(o.field_manager);
    if (!causes.empty()) {
      throw StatusError::Invalid(std::string(options_kind) + ".meta.k8s.io", "", causes);
    }
  }
  if (o.field_manager.empty()) {
    o.field_manager = ManagerFromUserAgent(req.get_header_value("User-Agent"));
  }
  return o;
}

WriteOptions ParsePatchOptions(const httplib::Request& req, PatchType type) {
  WriteOptions o = ParseWriteOptions(req, "PatchOptions");
  if (type == PatchType::kApply) {
    if (Param(req, "fieldManager").empty()) o.field_manager.clear();
    o.force = QueryBool(Param(req, "force"));
  } else if (req.has_param("force")) {
    throw StatusError::Invalid(
        "PatchOptions.meta.k8s.io", "",
        json::array({{{"reason", "FieldValueForbidden"},
                      {"message", "Forbidden: may not be specified for non-apply patch"},
                      {"field", "force"}}}));
  }
  return o;
}

std::string ValidateAppliedFields(const httplib::Request& req, httplib::Response& res,
                                  const Store& store, const ResourceInfo& r) {
  json applied = json::parse(req.body, nullptr, false);
  Repeats repeats;
  if (applied.is_discarded()) {
    try {
      YAML::Node doc = base::LoadYaml(req.body);
      if (!doc.IsMap()) return req.body;  // the store words the error
      applied = base::YamlToJson(doc);
      repeats = {DuplicateYamlKeys(doc), true};
    } catch (const YAML::Exception&) {
      return req.body;
    }
  } else {
    repeats.keys = DuplicateJsonFields(req.body);
  }
  if (!applied.is_object()) return req.body;
  ValidateFields(req, res, store, r, applied, "", repeats);
  return applied.dump();
}

}  // namespace kubedouble::fake
