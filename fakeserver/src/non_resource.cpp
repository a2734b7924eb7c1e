// The non-resource paths (non_resource.h): discovery, /version, the health checks, OpenAPI.
#include <algorithm>

#include "answer.h"
#include "kubedouble/fakeserver/version.h"
#include "negotiate.h"
#include "non_resource.h"
#include "openapi_endpoints.h"
#include "status.h"
#include "util.h"

namespace kubedouble::fake {

namespace {

const std::vector<std::string>& HealthChecks(const std::string& endpoint) {
  static const std::vector<std::string> kLive = {
      "ping", "log", "etcd", "poststarthook/start-apiserver-admission-initializer",
      "poststarthook/generic-apiserver-start-informers"};
  static const std::vector<std::string> kReady = {
      "ping",
      "log",
      "etcd",
      "etcd-readiness",
      "informer-sync",
      "poststarthook/start-apiserver-admission-initializer",
      "poststarthook/generic-apiserver-start-informers",
      "shutdown"};
  return endpoint == "readyz" ? kReady : kLive;
}

}  // namespace

void NonResourceHandler::Serve(Call& call) const {
  const auto& req = call.req;
  auto& res = call.res;
  std::string path = req.path;
  bool get = req.method == "GET" || req.method == "HEAD";

  auto discovery_answer = [&](const json& legacy, bool aggregatable, bool core) {
    if (!get) return SendError(res, MethodNotAllowedError());
    json body = legacy;
    std::string content_type = "application/json";
    bool aggregated = false;
    if (aggregatable) {
      auto format = NegotiateDiscovery(req.get_header_value("Accept"));
      aggregated = format != DiscoveryFormat::kLegacy;
      if (format == DiscoveryFormat::kAggregatedV2) {
        body = discovery.Aggregated(core, "apidiscovery.k8s.io/v2");
        content_type = kAggregatedV2ContentType;
      } else if (format == DiscoveryFormat::kAggregatedV2Beta1) {
        body = discovery.Aggregated(core, "apidiscovery.k8s.io/v2beta1");
        content_type = kAggregatedV2Beta1ContentType;
      }
    }
    std::string text = body.dump();
    std::string etag = "\"" + util::Sha256Hex(text + content_type).substr(0, 32) + "\"";
    res.set_header("Vary", "Accept");
    if (aggregatable) res.set_header("ETag", etag);
    if (aggregatable && req.get_header_value("If-None-Match") == etag) {
      res.status = 304;
      return;
    }
    if (aggregated) return SendBody(res, 200, std::move(text), content_type.c_str());
    // Legacy discovery is negotiated as any API object: 406 for what no serializer makes.
    OutputFormat format = NegotiateOutput(NegotiationInputOf(req), Endpoint{});
    SendEncodedText(res, 200, std::move(text), format);
  };

  if (path == "/api" || path == "/api/") {
    return discovery_answer(discovery.ApiVersions(server_address), true, true);
  }
  if (path == "/apis" || path == "/apis/") {
    return discovery_answer(discovery.ApiGroupList(), true, false);
  }
  if (!call.info.api_prefix.empty()) {  // /api/v1, /apis/G, /apis/G/V
    std::optional<json> doc;
    if (call.info.api_prefix == "api") {
      doc = discovery.ResourceList("", call.info.api_version);
    } else if (call.info.api_version.empty()) {
      std::string group = path.substr(6);
      if (!group.empty() && group.back() == '/') group.pop_back();
      doc = discovery.ApiGroup(group);
    } else {
      doc = discovery.ResourceList(call.info.api_group, call.info.api_version);
    }
    if (!doc) return SendError(res, PathNotFoundError());
    return discovery_answer(*doc, false, false);
  }
  if (path == "/version" || path == "/version/") {
    if (!get) return SendError(res, MethodNotAllowedError());
    // Always indented, as kube-apiserver writes it (WriteRawJSON), whatever the Accept.
    nlohmann::ordered_json version = {{"major", kKubernetesMajor},
                                      {"minor", kKubernetesMinor},
                                      {"gitVersion", kKubernetesGitVersion},
                                      {"gitCommit", "70d3cc986aa8221cd1dfb1121852688902d3bf53"},
                                      {"gitTreeState", "clean"},
                                      {"buildDate", "2024-12-11T17:59:15Z"},
                                      {"goVersion", "go1.23.3"},
                                      {"compiler", "gc"},
                                      {"platform", "linux/amd64"}};
    return SendBody(res, 200, version.dump(2), "application/json");
  }
  for (std::string endpoint : {"healthz", "livez", "readyz"}) {
    std::string base = "/" + endpoint;
    if (path != base && path.rfind(base + "/", 0) != 0) continue;
    if (!get) return SendError(res, MethodNotAllowedError());
    const auto& checks = HealthChecks(endpoint);
    if (path.size() > base.size() + 1) {  // a single check
      std::string check = path.substr(base.size() + 1);
      if (std::find(checks.begin(), checks.end(), check) == checks.end()) {
        return SendText(res, 404, "404 page not found\n");
      }
      return SendText(res, 200, "ok");
    }
    if (req.has_param("verbose")) {
      std::string text;
      for (const auto& c : checks) text += "[+]" + c + " ok\n";
      text += endpoint + " check passed\n";
      return SendText(res, 200, text);
    }
    return SendText(res, 200, "ok");
  }
  if (path == "/openapi/v2" || path == "/openapi/v3" || path.starts_with("/openapi/v3/") ||
      path == "/openapi/v2/" || path == "/openapi/v3/") {
    return ServeOpenApi(openapi, req, res);
  }
  SendText(res, 404, "404 page not found\n");
}

}  // namespace kubedouble::fake
