// Who listens on a simulated container's port, and the HTTP responder behind it
// (kubedouble/fakeserver/container_ports.h).
#include "kubedouble/fakeserver/container_ports.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "kubedouble/base/strings.h"

#include "json_fields.h"

namespace kubedouble::fake {

namespace {

using json = nlohmann::json;

// Whether the container named `name` runs: its status says so, or the pod is Running and has no
// status for it (a pod written Running by a client, without a kubelet).
bool ContainerRuns(const json& pod, const std::string& name) {
  const json& status = Field(pod, "status");
  if (Text(status, "phase") != "Running") return false;
  const json& statuses = Field(status, "containerStatuses");
  if (!statuses.is_array()) return true;
  for (const json& s : statuses) {
    if (Text(s, "name") != name) continue;
    return Field(Field(s, "state"), "running").is_object();
  }
  return true;
}

bool HasPodIP(const json& pod) {
  const json& status = Field(pod, "status");
  if (!Text(status, "podIP").empty()) return true;
  const json& ips = Field(status, "podIPs");
  return ips.is_array() && !ips.empty() && !Text(ips[0], "ip").empty();
}

bool RuleApplies(const PortRule& rule, const PortTarget& target, const std::string& port_name) {
  if (!rule.container.empty() && rule.container != target.container) return false;
  if (rule.port.empty()) return true;
  return rule.port == std::to_string(target.port) || (!port_name.empty() && rule.port == port_name);
}

bool PathMatches(const std::string& pattern, std::string_view path) {
  if (!pattern.empty() && pattern.back() == '*') {
    return path.substr(0, pattern.size() - 1) ==
           std::string_view(pattern).substr(0, pattern.size() - 1);
  }
  return path == pattern;
}

bool HasHeader(const HeaderList& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return base::Lower(h.first) == base::Lower(name); });
}

HttpResponse DefaultAnswer(const PortTarget& target, const HttpRequest& request) {
  const json& meta = Field(target.pod, "metadata");
  const std::string pod = Text(meta, "namespace") + "/" + Text(meta, "name");
  HttpResponse out;
  out.headers = {{"Content-Type", "text/plain; charset=utf-8"},
                 {"X-Kubedouble-Pod", pod},
                 {"X-Kubedouble-Container", target.container}};
  std::string& body = out.body;
  body = fmt::format("kubedouble: pod {}, container {} ({}), port {}\n", pod, target.container,
                     target.image, target.port);
  body += fmt::format("{} {} HTTP/1.1\n", request.method, request.target);
  for (const auto& [name, value] : request.headers) body += name + ": " + value + "\n";
  if (!request.body.empty()) body += "\n" + request.body;
  return out;
}

}  // namespace

PortTarget FindPort(const json& pod, int port, const std::vector<PortRule>& rules) {
  PortTarget target;
  target.pod = pod;
  target.port = port;
  const json& containers = Field(Field(pod, "spec"), "containers");
  std::string port_name;
  bool declares_any = false;
  const json* owner = nullptr;
  if (containers.is_array()) {
    for (const json& c : containers) {
      const json& ports = Field(c, "ports");
      if (!ports.is_array()) continue;
      for (const json& p : ports) {
        declares_any = true;
        const json& number = Field(p, "containerPort");
        if (owner == nullptr && number.is_number_integer() && number.get<int64_t>() == port) {
          owner = &c;
          port_name = Text(p, "name");
        }
      }
    }
    if (owner == nullptr && !declares_any && !containers.empty()) owner = &containers[0];
  }
  if (owner == nullptr) return target;  // nothing declares the port: refused
  target.container = Text(*owner, "name");
  target.image = Text(*owner, "image");
  target.listening = HasPodIP(pod) && ContainerRuns(pod, target.container);
  for (const PortRule& rule : rules) {
    if (!RuleApplies(rule, target, port_name)) continue;
    target.rule = rule;
    break;
  }
  if (target.rule.mode == PortRule::Mode::kClosed) target.listening = false;
  return target;
}

HttpResponse RespondHttp(const PortTarget& target, const HttpRequest& request) {
  std::string_view path = request.target;
  path = path.substr(0, path.find('?'));
  HttpResponse out;
  bool answered = false;
  for (const PortAnswer& a : target.rule.answers) {
    if (!a.method.empty() && a.method != request.method) continue;
    if (!PathMatches(a.path, path)) continue;
    out.status = a.status;
    out.headers = a.headers;
    if (!HasHeader(out.headers, "Content-Type"))
      out.headers.insert(out.headers.begin(), {"Content-Type", "text/plain; charset=utf-8"});
    out.body = a.body;
    answered = true;
    break;
  }
  if (!answered) out = DefaultAnswer(target, request);
  if (request.method == "HEAD") out.body.clear();
  return out;
}

std::string_view HttpReason(int status) {
  static constexpr std::array<std::pair<int, std::string_view>, 33> kReasons{{
      {100, "Continue"},
      {101, "Switching Protocols"},
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {206, "Partial Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {413, "Request Entity Too Large"},
      {415, "Unsupported Media Type"},
      {418, "I'm a teapot"},
      {422, "Unprocessable Entity"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
  }};
  for (const auto& [code, reason] : kReasons) {
    if (code == status) return reason;
  }
  return "";
}

}  // namespace kubedouble::fake
