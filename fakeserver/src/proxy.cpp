// pods/NAME/proxy/... and services/NAME/proxy/...: the request goes on to the simulated
// container port (container_ports.h) the way kube-apiserver's proxy sends it on, and its answer
// comes back as the container gave it.
#include <fmt/format.h>

#include <array>
#include <set>
#include <vector>

#include "kubedouble/base/strings.h"
#include "proxy.h"
#include "proxy_location.h"
#include "status.h"

namespace kubedouble::fake {

namespace {

// Removes "." and ".." segments and repeated slashes, keeping a trailing slash (Go's path.Join,
// as kube-apiserver joins the proxied path).
std::string CleanPath(const std::string& path) {
  std::string out = base::CleanRootedPath(path);
  if (out != "/" && path.size() > 1 && path.back() == '/') out += "/";
  return out;
}

// Headers that end at the API server: credentials (kube-apiserver removes Authorization once it
// has authenticated the request), impersonation, hop-by-hop ones and cpp-httplib's own.
bool Forwarded(const std::string& name) {
  static const std::set<std::string> kDropped = {"authorization",
                                                 "connection",
                                                 "keep-alive",
                                                 "proxy-connection",
                                                 "proxy-authorization",
                                                 "te",
                                                 "trailer",
                                                 "upgrade",
                                                 "transfer-encoding",
                                                 "content-length",
                                                 "remote_addr",
                                                 "remote_port",
                                                 "local_addr",
                                                 "local_port"};
  std::string lower = base::Lower(name);
  return !kDropped.count(lower) && !lower.starts_with("impersonate-");
}

// The CORS headers kube-apiserver's proxy removes from a backend's answer.
bool CorsHeader(const std::string& name) {
  static const std::set<std::string> kCors = {
      "access-control-allow-credentials", "access-control-allow-headers",
      "access-control-allow-methods", "access-control-allow-origin"};
  return kCors.count(base::Lower(name)) > 0;
}

}  // namespace

void ProxyEndpoint::Serve(Call& call, const ResourceInfo& r, const std::string& ns) const {
  const auto& req = call.req;
  auto& res = call.res;
  const auto& info = call.info;
  static const std::set<std::string> kMethods = {"GET",    "POST", "PUT",    "PATCH",
                                                 "DELETE", "HEAD", "OPTIONS"};
  if (!kMethods.count(req.method)) return SendError(res, MethodNotAllowedError());
  if (r.plural == "nodes") return Node(call, r);

  ProxyDestination to =
      r.plural == "pods" ? ResolvePodProxy(store, registry, ns, info.name)
                         : ResolveServiceProxy(store, registry, ns, info.name, turn.fetch_add(1));

  // The path after .../NAME/proxy; nothing at all is redirected to .../proxy/ first.
  const std::string marker = "/" + info.name + "/proxy";
  const size_t at = req.path.find(marker);
  if (at == std::string::npos) return SendError(res, PathNotFoundError());
  const std::string prefix = req.path.substr(0, at + marker.size());
  const std::string rest = req.path.substr(at + marker.size());
  const size_t q = req.target.find('?');
  const std::string query = q == std::string::npos ? "" : req.target.substr(q);
  if (rest.empty()) {
    res.set_header("Location", req.path + "/" + query);
    res.status = 301;
    return;
  }

  Dialed dialed = DialContainer(to, port_rules.Of(to.pod));
  const PortTarget& port = dialed.target;
  call.proxied_to =
      fmt::format("{}:{}", to.ip, port.port == 0 ? to.port : std::to_string(port.port));
  if (!port.container.empty()) {
    call.proxied_to += fmt::format(" (pod {}/{}, container {})", ns,
                                   to.pod["metadata"].value("name", ""), port.container);
  }
  HttpRequest forwarded;
  forwarded.method = req.method;
  forwarded.target = CleanPath(rest) + query;
  if (dialed.error.empty() && port.rule.mode == PortRule::Mode::kEcho) {
    dialed.error =
        fmt::format("net/http: HTTP/1.x transport connection broken: malformed HTTP response {}",
                    json(forwarded.method + " " + forwarded.target + " HTTP/1.1").dump());
  }
  if (!dialed.error.empty()) {
    throw StatusError(503, "ServiceUnavailable", "error trying to reach service: " + dialed.error);
  }
  if (to.scheme == "http" && port.rule.tls) {  // Go's TLS server, to a plain request
    return SendBody(res, 400, "Client sent an HTTP request to an HTTPS server.\n",
                    "text/plain; charset=utf-8");
  }

  std::string forwarded_for = req.remote_addr;
  for (const auto& [name, value] : req.headers) {
    if (!Forwarded(name)) continue;
    if (base::Lower(name) == "x-forwarded-for") {
      forwarded_for = value + ", " + req.remote_addr;
      continue;
    }
    forwarded.headers.emplace_back(name, value);
  }
  forwarded.headers.emplace_back("X-Forwarded-For", forwarded_for);
  forwarded.headers.emplace_back("X-Forwarded-Uri",
                                 prefix + forwarded.target.substr(0, forwarded.target.find('?')));
  forwarded.body = req.body;

  HttpResponse answer = RespondHttp(port, forwarded);
  std::string content_type;
  for (auto& [name, value] : answer.headers) {
    std::string lower = base::Lower(name);
    if (CorsHeader(name)) continue;
    if (lower == "content-type") {
      content_type = value;
      continue;
    }
    // A redirect within the container comes back through the proxy (kube-apiserver rewrites
    // a same-host absolute path under the proxy's prefix).
    if (lower == "location" && value.starts_with("/") && !value.starts_with("//") &&
        !value.starts_with(prefix)) {
      value = prefix + value;
    }
    res.headers.emplace(name, value);
  }
  SendBody(res, answer.status, std::move(answer.body), content_type.c_str());
  if (content_type.empty()) res.headers.erase("Content-Type");
}

// nodes/NAME[:10250]/proxy/...: the simulated kubelet's /healthz and /pods (the pods bound to the
// node, as a PodList); its other endpoints (stats, metrics, logs, configz) are not simulated.
void ProxyEndpoint::Node(Call& call, const ResourceInfo& nodes) const {
  const auto& req = call.req;
  auto& res = call.res;
  auto split = SplitSchemeNamePort(call.info.name);
  if (!split) {
    throw StatusError::BadRequest(
        fmt::format("invalid node request {}", json(call.info.name).dump()));
  }
  json node = store.Get(nodes, "", split->name);
  std::string ip;
  for (const json& a : node["status"].value("addresses", json::array())) {
    if (a.value("type", "") == "InternalIP") ip = a.value("address", "");
  }
  const std::string marker = "/" + call.info.name + "/proxy";
  const size_t at = req.path.find(marker);
  if (at == std::string::npos) return SendError(res, PathNotFoundError());
  const std::string rest = req.path.substr(at + marker.size());
  const std::string port = split->port.empty() ? "10250" : split->port;
  call.proxied_to = fmt::format("{}:{} (node {})", ip, port, split->name);
  if (port != "10250") {
    throw StatusError(503, "ServiceUnavailable",
                      fmt::format("error trying to reach service: dial tcp {}:{}: connect: "
                                  "connection refused",
                                  ip, port));
  }
  if (rest.empty()) {
    res.set_header("Location", req.path + "/");
    res.status = 301;
    return;
  }
  const std::string path = CleanPath(rest);
  if (path == "/healthz" && (req.method == "GET" || req.method == "HEAD")) {
    return SendText(res, 200, "ok");
  }
  if (path == "/pods" && (req.method == "GET" || req.method == "HEAD")) {
    json items = json::array();
    json all = store.List(*registry.Find("", "v1", "pods"), "", ListOptions{});
    for (json& pod : all["items"]) {
      if (pod["spec"].value("nodeName", "") == split->name) items.push_back(std::move(pod));
    }
    return SendJson(res, 200,
                    {{"kind", "PodList"},
                     {"apiVersion", "v1"},
                     {"metadata", json::object()},
                     {"items", std::move(items)}});
  }
  SendText(res, 404, "404 page not found\n");
}

}  // namespace kubedouble::fake
