// Resource requests: GET one, LIST (one namespace or all), WATCH, and the writes the store
// supports, answered as objects, lists, Tables or watch streams.
#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <chrono>

#include "negotiate.h"
#include "protobuf.h"
#include "request_limits.h"
#include "server_impl.h"
#include "status.h"
#include "task_queue.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
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
  if (req.has_param("timeoutSeconds")) o.timeout_seconds = IntParam(req, "timeoutSeconds");
  return o;
}

json ParseBody(const httplib::Request& req, const ResourceInfo& r) {
  json body;
  if (IsProtobufContentType(req.get_header_value("Content-Type"))) {
    body = DecodeProtobufBody(req.body);
  } else if (req.get_header_value("Content-Type").rfind("application/yaml", 0) == 0) {
    try {
      YAML::Node doc = base::LoadYaml(req.body);
      if (doc.IsMap()) body = base::YamlToJson(doc);
    } catch (const YAML::Exception& e) {
      throw StatusError::BadRequest(
          fmt::format("the request body is not valid YAML: {}", e.what()));
    }
    if (!body.is_object()) throw StatusError::BadRequest("the request body is not a YAML mapping");
  } else {
    body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      throw StatusError::BadRequest(
          "the request body is not a JSON object (send application/json or application/yaml)");
    }
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

WriteOptions ParseWriteOptions(const httplib::Request& req) {
  WriteOptions o;
  o.dry_run = req.has_param("dryRun") && !Param(req, "dryRun").empty();
  return o;
}
}  // namespace

void Server::Impl::Resource(Call& call) {
  const auto& req = call.req;
  auto& res = call.res;
  const auto& info = call.info;

  if (info.api_group == "authentication.k8s.io" && info.resource == "selfsubjectreviews" &&
      info.name.empty()) {
    if (info.verb != "create") return SendStatus(res, MethodNotAllowedStatus());
    return SelfSubjectReview(call);
  }
  if (info.api_group == "authorization.k8s.io" && info.resource == "selfsubjectaccessreviews" &&
      info.name.empty()) {
    if (info.verb != "create") return SendStatus(res, MethodNotAllowedStatus());
    return SelfSubjectAccessReview(call);
  }
  if (info.api_group == "authorization.k8s.io" && info.resource == "selfsubjectrulesreviews" &&
      info.name.empty()) {
    if (info.verb != "create") return SendStatus(res, MethodNotAllowedStatus());
    return SelfSubjectRulesReview(call);
  }

  auto found = registry->Find(info.api_group, info.api_version, info.resource);
  if (!found) return SendStatus(res, NotFoundStatus());
  const ResourceInfo& r = *found;
  bool is_namespace_itself = r.group.empty() && r.plural == "namespaces";
  // A cluster-scoped resource asked for inside a namespace does not exist.
  if (!r.namespaced && !info.ns.empty() && !is_namespace_itself) {
    return SendStatus(res, NotFoundStatus());
  }
  std::string ns = r.namespaced ? info.ns : "";
  bool table = WantsTable(req.get_header_value("Accept"));

  if (!info.subresource.empty()) {
    if (r.group.empty() && r.plural == "serviceaccounts" && info.subresource == "token") {
      if (info.verb != "create") return SendStatus(res, MethodNotAllowedStatus());
      return TokenRequest(call, r);
    }
    if (info.subresource == "status" && info.verb == "get") {
      return SendJson(res, 200, store->Get(r, ns, info.name));
    }
    return SendStatus(res, NotFoundStatus());
  }
  if (info.parts.size() > 3) return SendStatus(res, NotFoundStatus());

  if (info.verb == "get") {
    if (table) return SendJson(res, 200, ToTable(r, store->Get(r, ns, info.name)));
    return SendBody(res, 200, store->GetJson(r, ns, info.name), "application/json");
  }
  if (info.verb == "list") {
    if (table) return SendJson(res, 200, ToTable(r, store->List(r, ns, ParseListOptions(req))));
    return SendBody(res, 200, store->ListJson(r, ns, ParseListOptions(req)), "application/json");
  }
  if (info.verb == "watch") {
    auto place = TakePlace(watches, options.max_watches);
    if (!place) {
      return TooManyRequests(res, fmt::format("too many watches: this server serves {} at once "
                                              "(--max-watches); retry later",
                                              options.max_watches));
    }
    const int sock = ConnectionSocket(req);  // a client that hangs up ends its watch at once
    ListOptions opts = ParseListOptions(req);
    if (!info.name.empty()) {
      opts.field_selector = "metadata.name=" + info.name +
                            (opts.field_selector.empty() ? "" : "," + opts.field_selector);
    }
    std::shared_ptr<Watch> watch = store->StartWatch(r, ns, opts);
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::seconds(opts.timeout_seconds.value_or(1800));
    auto first = std::make_shared<bool>(true);
    res.status = 200;
    // ";stream=watch" (as for protobuf watches) keeps cpp-httplib from gzipping the stream for
    // clients that send Accept-Encoding: gzip (kubectl, client-node): its compressor holds
    // every event until the stream ends. Clients parse the media type and ignore the parameter.
    static const char kWatchType[] = "application/json;stream=watch";
    res.set_chunked_content_provider(kWatchType, [this, watch, deadline, first, r, table, place,
                                                  sock](size_t, httplib::DataSink& sink) {
      while (!stopping.load()) {
        if (std::chrono::steady_clock::now() >= deadline) break;
        bool columns = table && *first;  // the first Table event carries the columns
        auto event = table ? watch->Next(std::chrono::milliseconds(500))
                           : watch->NextEncoded(std::chrono::milliseconds(500));
        if (!event) {
          if (watch->finished()) break;
          if (PeerHungUp(sock)) return false;
          continue;
        }
        // {"object":...,"type":"..."}: nlohmann's key order, as the other answers.
        std::string line = R"({"object":)";
        if (event->encoded) {
          line += *event->encoded;
        } else {
          json obj = std::move(event->object);
          if (table &&
              (event->type == "ADDED" || event->type == "MODIFIED" || event->type == "DELETED")) {
            obj = ToTable(r, obj, columns);
            *first = false;
          }
          line += obj.dump(-1, ' ', false, json::error_handler_t::replace);
        }
        line += R"(,"type":)" + json(event->type).dump() + "}\n";
        if (!sink.write(line.data(), line.size())) return false;
        return true;
      }
      sink.done();
      return true;
    });
    return;
  }
  if (info.verb == "create") {
    if (!info.name.empty()) return SendStatus(res, MethodNotAllowedStatus());
    json created = store->Create(r, ns, ParseBody(req, r), ParseWriteOptions(req));
    return SendJson(res, 201, created);
  }
  if (info.verb == "update") {
    return SendJson(res, 200,
                    store->Update(r, ns, info.name, ParseBody(req, r), ParseWriteOptions(req)));
  }
  if (info.verb == "patch") {
    auto type = ParsePatchType(req.get_header_value("Content-Type"));
    if (!type) {
      throw StatusError::UnsupportedMediaType(fmt::format(
          "the body of the request was in an unknown format - accepted media types include: "
          "application/json-patch+json, application/merge-patch+json, "
          "application/apply-patch+yaml, application/strategic-merge-patch+json"));
    }
    return SendJson(res, 200,
                    store->Patch(r, ns, info.name, *type, req.body, ParseWriteOptions(req)));
  }
  if (info.verb == "delete" || info.verb == "deletecollection") {
    DeleteOptions d;
    d.dry_run = req.has_param("dryRun") && !Param(req, "dryRun").empty();
    d.propagation_policy = Param(req, "propagationPolicy");
    if (!req.body.empty()) {
      json body = IsProtobufContentType(req.get_header_value("Content-Type"))
                      ? DecodeProtobufBody(req.body)
                      : json::parse(req.body, nullptr, false);
      if (body.is_object()) {
        if (body.contains("preconditions") && body["preconditions"].is_object()) {
          const auto& p = body["preconditions"];
          if (p.contains("uid") && p["uid"].is_string()) d.precondition_uid = p["uid"];
          if (p.contains("resourceVersion") && p["resourceVersion"].is_string()) {
            d.precondition_resource_version = p["resourceVersion"];
          }
        }
        if (body.contains("propagationPolicy") && body["propagationPolicy"].is_string()) {
          d.propagation_policy = body["propagationPolicy"];
        }
        if (body.contains("dryRun") && body["dryRun"].is_array() && !body["dryRun"].empty()) {
          d.dry_run = true;
        }
      }
    }
    if (info.verb == "delete") return SendJson(res, 200, store->Delete(r, ns, info.name, d));
    return SendJson(res, 200, store->DeleteCollection(r, ns, ParseListOptions(req), d));
  }
  SendStatus(res, MethodNotAllowedStatus());
}

}  // namespace kubedouble::fake
