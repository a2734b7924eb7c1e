// What answers on the ports of a simulated container. There is no process behind a container of
// the control plane's kubelet, so kubedouble answers for it, the same way every time:
//
// - By default every port a running container declares (spec.containers[].ports[].containerPort)
//   is a small HTTP/1.1 responder, as a test image such as an echo server is: every method and
//   path gets 200 `text/plain` naming who answered and echoing the request —
//
//     kubedouble: pod default/web-0, container web (nginx:1.27), port 80
//     GET /index.html?x=1 HTTP/1.1
//     Accept: */*
//     User-Agent: curl/8.5.0
//     X-Forwarded-Uri: /api/v1/namespaces/default/services/web:80/proxy/index.html
//
//     <the request's body, if any>
//
//   with the headers `X-Kubedouble-Pod: NAMESPACE/NAME` and `X-Kubedouble-Container: NAME` (so a
//   client behind a Service sees which pod answered). HEAD gets the head alone.
//   A pod none of whose containers declares a port answers on every port, from its first
//   container: kubedouble cannot know where an image listens, and `kubectl run nginx
//   --image=nginx` declares none.
// - A pod stage (kubedouble/controlplane/stages.h, `spec.ports`) may change what a port does:
//   answer some paths with a configured status, headers and body (the others keep the default
//   answer), echo raw bytes (a TCP service, for port-forward), refuse connections (nothing
//   listens), or speak TLS (for the `https:` proxy form).
// - Nothing answers while the pod is not Running or the container is not running (waiting,
//   crash-looping, terminated), nor on a port the pod does not declare: a connection there is
//   refused, as on a real node.
//
// Two ways in, sharing one responder: whole HTTP exchanges (RespondHttp, what pods/proxy and
// services/proxy use) and a connection's bytes (PortConnection, what port-forward uses).
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubedouble::fake {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A configured answer of a port (a stage's `spec.ports[].http[]`).
struct PortAnswer {
  // "/healthz" matches that path exactly (the query is not part of it); a path ending in "*"
  // ("/api/*") matches every path that starts with what is before the "*".
  std::string path;
  std::string method;  // "GET", ...; "" any method
  int status = 200;
  HeaderList headers;  // Content-Type defaults to text/plain; charset=utf-8
  std::string body;
};

// What one port does (a stage's `spec.ports[]` entry).
struct PortRule {
  enum class Mode {
    kHttp,    // the HTTP responder, with `answers` tried first
    kEcho,    // a raw TCP echo: every byte sent comes back
    kClosed,  // nothing listens: connections are refused
  };
  std::string port;       // a containerPort's number ("8080") or name ("http"); "" every port
  std::string container;  // "" every container
  Mode mode = Mode::kHttp;
  bool tls = false;  // the port speaks HTTPS (pods/proxy `https:NAME:PORT`)
  std::vector<PortAnswer> answers;
};

// Picks the rules for a pod (the first stage that selects it, in the control plane); the first
// rule that names the port (and container) decides.
using PortRulesFor = std::function<std::vector<PortRule>(const nlohmann::json& pod)>;

// One container port of a pod, as a connection reaches it.
struct PortTarget {
  nlohmann::json pod;
  std::string container;  // the container that declares the port ("" when none does)
  std::string image;
  int port = 0;
  bool listening = false;  // false: a connection is refused (see above)
  PortRule rule;           // what the port does (Mode::kHttp without answers by default)
};

// Who listens on `port` of `pod`, and how (see above). `rules`: the pod's stage rules.
PortTarget FindPort(const nlohmann::json& pod, int port, const std::vector<PortRule>& rules);

struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // "/index.html?x=1"
  HeaderList headers;  // in the order sent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  HeaderList headers;  // without Content-Length (the writer adds it)
  std::string body;
};

// The answer of a listening HTTP port (rule answers, else the default responder).
HttpResponse RespondHttp(const PortTarget& target, const HttpRequest& request);

// A connection to a container port, byte stream in, byte stream out: the seam port-forward
// uses. Not thread-safe: one connection is fed by one reader.
class PortConnection {
 public:
  virtual ~PortConnection() = default;
  // Takes bytes the client sent and returns the bytes the container sends back in answer (""
  // when it waits for more: an HTTP request's head or body not yet whole).
  virtual std::string Receive(std::string_view bytes) = 0;
  // True once the container has closed its side (after an answer to `Connection: close`, or to a
  // request it cannot read: a 400); the caller closes the stream.
  virtual bool Closed() const = 0;
};

// A connection to `target`, or nullptr when nothing listens there (refused). An HTTP port reads
// HTTP/1.1 requests (Content-Length or chunked bodies, keep-alive) and writes each answer with
// its Content-Length; an echo port returns what it is given. A TLS port is answered in plain
// HTTP on this path (port-forwarded TLS is not simulated).
std::unique_ptr<PortConnection> OpenPortConnection(const PortTarget& target);

// The reason phrase of an HTTP status ("OK", "Not Found"; "" for codes it does not know).
std::string_view HttpReason(int status);

}  // namespace kubedouble::fake
