// The kubectl-proxy-compatible server: a plain-HTTP net::HttpServer in front of the access
// transport. Proxy::Impl's parts (Go's routing, the filter, the forwarding, upgrades piped both
// ways, the TCP and unix-socket listeners) share one state and one lifetime.
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "go_request_target.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/proxy.h"
#include "kubedouble/accesslib/transport.h"
#include "kubedouble/base/strings.h"
#include "kubedouble/net/http_server.h"
#include "kubedouble/net/relay.h"
#include "static_files.h"
#include "util.h"

namespace kubedouble::access {

namespace {

bool HopByHop(const std::string& name) {
  static const char* kNames[] = {
      "Connection",  "Keep-Alive",     "Proxy-Authenticate", "Proxy-Authorization",
      "TE",          "Trailer",        "Transfer-Encoding",  "Upgrade",
      "Host",        "Content-Length", "Accept-Encoding",    "Content-Encoding",
      "REMOTE_ADDR", "REMOTE_PORT",    "LOCAL_ADDR",         "LOCAL_PORT"};
  for (const char* n : kNames)
    if (strcasecmp(n, name.c_str()) == 0) return true;
  return false;
}

// The request to send upstream for a client's request: its method, body and end-to-end headers.
Request Forwarded(const httplib::Request& req, const std::string& target) {
  Request up;
  up.method = req.method;
  up.path = target;
  up.body = req.body;
  up.body_replayable = false;
  for (const auto& [k, v] : req.headers)
    if (!HopByHop(k)) up.headers.emplace(k, v);
  return up;
}

// Copies the upstream answer's end-to-end headers except Content-Type, which it returns (the
// caller sets it with the body).
template <typename Headers>
std::string CopyResponseHeaders(const Headers& headers, httplib::Response& res) {
  std::string content_type;
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), "Content-Type") == 0) {
      if (content_type.empty()) content_type = v;
    } else if (!HopByHop(k)) {
      res.headers.emplace(k, v);
    }
  }
  return content_type;
}

// `Connection: Upgrade` (a token of the Connection list) with an Upgrade header.
bool IsUpgrade(const httplib::Request& req) {
  if (!req.has_header("Upgrade")) return false;
  for (size_t i = 0; i < req.get_header_value_count("Connection"); i++) {
    std::string v = req.get_header_value("Connection", i);
    size_t start = 0;
    while (start <= v.size()) {
      size_t end = v.find(',', start);
      if (end == std::string::npos) end = v.size();
      if (strcasecmp(base::Trim(v.substr(start, end - start)).c_str(), "upgrade") == 0) return true;
      start = end + 1;
    }
  }
  return false;
}

// Go's httpguts.ValidHostHeader: the bytes a Host header may hold.
bool ValidHostHeader(const std::string& host) {
  for (unsigned char c : host)
    if (!std::isalnum(c) && (c == '\0' || std::strchr("!$%&'()*+,-.:;=[]_~", c) == nullptr))
      return false;
  return true;
}

// Where kubectl proxy's server (Go's net/http and ServeMux) sends a request before any filter:
// what a user sees for an odd path is decided here, the same way.
struct Route {
  enum Kind { kApi, kStatic, kBadRequest, kRedirect, kNotFound, kOptionsAsterisk } kind = kApi;
  std::string message;           // kBadRequest: Go's wording after "400 Bad Request"
  std::string location;          // kRedirect
  detail::RequestTarget target;  // kApi, kStatic
  std::string host;              // the Host the filter checks (the URL's for absolute form)
};

Route RouteRequest(const httplib::Request& req, const std::string& api_prefix,
                   const std::string& www_prefix) {
  Route r;
  const size_t hosts = req.headers.count("Host");
  if (hosts == 0 && req.version == "HTTP/1.1") {
    r.kind = Route::kBadRequest;
    r.message = "missing required Host header";
    return r;
  }
  if (hosts > 1) {
    r.kind = Route::kBadRequest;
    r.message = "too many Host headers";
    return r;
  }
  if (hosts == 1 && !ValidHostHeader(req.get_header_value("Host"))) {
    r.kind = Route::kBadRequest;
    r.message = "malformed Host header";
    return r;
  }
  auto target = detail::ParseRequestTarget(req.target);
  if (!target) {
    r.kind = Route::kBadRequest;
    return r;
  }
  r.host = target->absolute ? target->host : req.get_header_value("Host");
  if (target->asterisk) {
    r.kind = req.method == "OPTIONS" ? Route::kOptionsAsterisk : Route::kBadRequest;
    return r;
  }
  const std::string clean = detail::CleanPath(target->escaped_path);
  // A pattern "/prefix/" also takes "/prefix", by a redirect to it.
  if (clean.back() != '/' && (clean + "/" == api_prefix || clean + "/" == www_prefix)) {
    r.kind = Route::kRedirect;
    r.location = detail::RedirectLocation(detail::CleanPath(target->path) + "/", target->raw_query);
    return r;
  }
  if (clean != target->escaped_path) {
    r.kind = Route::kRedirect;
    r.location = detail::RedirectLocation(clean, target->raw_query);
    return r;
  }
  // The longest pattern that is a prefix of the path.
  auto under = [&](const std::string& prefix) {
    return !prefix.empty() && target->path.rfind(prefix, 0) == 0;
  };
  const bool api = under(api_prefix), www = under(www_prefix);
  if (!api && !www) {
    r.kind = Route::kNotFound;
    return r;
  }
  r.kind = www && (!api || www_prefix.size() > api_prefix.size()) ? Route::kStatic : Route::kApi;
  r.target = std::move(*target);
  return r;
}

// Answers a request that Route says is not for the API handler (false: pass it on).
bool AnswerRoute(const Route& r, const httplib::Request& req, httplib::Response& res) {
  switch (r.kind) {
    case Route::kApi:
    case Route::kStatic:
      return false;
    case Route::kBadRequest: {
      // Go's answer to a request it cannot read: 400, text/plain, the connection closed.
      res.status = 400;
      std::string body = r.message.empty() ? "400 Bad Request" : "400 Bad Request: " + r.message;
      if (req.target != "*") res.set_content(body, "text/plain; charset=utf-8");
      res.set_header("Connection", "close");
      return true;
    }
    case Route::kRedirect:
      res.status = 301;
      res.set_header("Location", r.location);
      if (req.method == "GET") {
        res.set_content(detail::RedirectBody(r.location), "text/html; charset=utf-8");
      } else if (req.method == "HEAD") {
        res.set_header("Content-Type", "text/html; charset=utf-8");
      }
      return true;
    case Route::kNotFound:
      res.status = 404;
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content("404 page not found\n", "text/plain; charset=utf-8");
      return true;
    case Route::kOptionsAsterisk:
      res.status = 200;
      res.set_header("Content-Length", "0");
      return true;
  }
  return false;
}

// Copies the bytes of an upgraded client connection and of the upstream's tunnel both ways
// until either side closes (or the proxy stops, which ends the client's stream): a thread per
// direction, so that neither waits for the other (a tunnel that cannot take more bytes until its
// answers are read would otherwise stall both).
void Pipe(net::UpgradedStream& client, Tunnel& tunnel) {
  std::atomic<bool> client_done{false};
  std::thread to_upstream([&] {
    char buf[16384];
    for (;;) {
      const ssize_t n = client.Read(buf, sizeof buf);
      if (n <= 0 || !tunnel.Write(std::string_view(buf, static_cast<size_t>(n)))) break;
    }
    client_done = true;
  });
  char buf[16384];
  while (!client_done) {
    if (!tunnel.Pending()) {
      pollfd p{tunnel.fd(), POLLIN, 0};
      const int n = poll(&p, 1, 200);
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
    }
    const long n = tunnel.Read(buf, sizeof buf);
    if (n == Tunnel::kAgain) continue;
    if (n <= 0 || !client.Write(buf, static_cast<size_t>(n))) break;
  }
  client.Close();  // wakes the reader of the client
  to_upstream.join();
}

// The kernel's reason as Go words it: "address already in use".
std::string GoReason(int err) {
  std::string reason = std::strerror(err);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
  return reason;
}

// A numeric address for a listener on `address` (a name such as localhost is resolved, as
// Go's listener does); the address itself when it cannot be resolved (the bind then says why).
std::string NumericAddress(const std::string& address) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(address.c_str(), nullptr, &hints, &found) != 0 || found == nullptr)
    return address;
  char host[NI_MAXHOST] = "";
  const bool ok = getnameinfo(found->ai_addr, found->ai_addrlen, host, sizeof host, nullptr, 0,
                              NI_NUMERICHOST) == 0;
  freeaddrinfo(found);
  return ok ? host : address;
}

}  // namespace

struct Proxy::Impl {
  Config upstream;
  ProxyOptions options;
  std::unique_ptr<ProxyFilter> filter;
  std::shared_ptr<Transport> transport;
  std::unique_ptr<net::HttpServer> server;
  int bound_port = 0;
  bool started = false;
  std::mutex mu;  // stopped, for Wait
  std::condition_variable stopped_cv;
  bool stopped = false;

  // kubectl's UpgradeAwareHandler: the upstream's 101 is passed on and both directions are
  // piped until either side closes; an error answer (>= 400) is passed on as it is; any other
  // answer to an upgrade is a 500 "invalid upgrade response".
  void HandleUpgrade(net::Exchange& ex, const std::string& target) {
    const httplib::Request& req = ex.request;
    httplib::Response& res = ex.response;
    Request up = Forwarded(req, target);
    up.headers.emplace("Connection", "Upgrade");
    up.headers.emplace("Upgrade", req.get_header_value("Upgrade"));
    Response head;
    std::unique_ptr<Tunnel> tunnel;
    try {
      tunnel = transport->Upgrade(up, &head);
    } catch (const std::exception& e) {
      spdlog::error("proxy error: {}", e.what());
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", "text/plain; charset=utf-8");
      return;
    }
    if (!tunnel) {
      if (head.status < 400) {
        std::string error = fmt::format("invalid upgrade response: status code {}", head.status);
        spdlog::error("Proxy upgrade error: {}", error);
        res.status = 500;
        res.set_content(error + "\n", "text/plain; charset=utf-8");
        return;
      }
      res.status = head.status;
      std::string content_type = CopyResponseHeaders(head.headers, res);
      res.set_content(head.body, content_type.empty() ? "text/plain" : content_type.c_str());
      return;
    }
    res.status = head.status;
    for (const auto& [k, v] : head.headers) res.headers.emplace(k, v);
    std::shared_ptr<Tunnel> upstream_side = std::move(tunnel);
    ex.Upgrade([upstream_side](net::UpgradedStream& client) { Pipe(client, *upstream_side); });
  }

  // kubectl's prefixes always end with a slash (it adds one).
  static std::string WithSlash(std::string prefix) {
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    return prefix;
  }
  std::string ApiPrefix() const { return WithSlash(options.api_prefix); }
  std::string WwwPrefix() const { return options.www.empty() ? "" : WithSlash(options.www_prefix); }

  void Handle(net::Exchange& ex) {
    const httplib::Request& req = ex.request;
    httplib::Response& res = ex.response;
    if (ex.over_limit()) {
      res.status = 429;
      res.set_content("too many open connections\n", "text/plain; charset=utf-8");
      return;
    }
    // Go's server and ServeMux come first, for every request (static files too): a request it
    // cannot read is a 400, an unclean path a 301 to the clean one, an unserved path a 404.
    Route route = RouteRequest(req, ApiPrefix(), WwwPrefix());
    if (AnswerRoute(route, req, res)) return;
    if (route.kind == Route::kStatic) {
      const std::string sub = "/" + route.target.path.substr(WwwPrefix().size());
      if ((req.method == "GET" || req.method == "HEAD") &&
          detail::AnswerStaticFile(options.www, sub, res))
        return;
      route.kind = Route::kNotFound;  // a static file that is not there
      AnswerRoute(route, req, res);
      return;
    }
    // The filter sees the decoded, cleaned path; kubectl strips an API prefix that does not start
    // with /api, leaving a slash (its stripLeaveSlash).
    std::string path = route.target.path;
    const std::string prefix = ApiPrefix();
    if (prefix.rfind("/api", 0) != 0) {
      path = path.substr(prefix.size());
      if (!path.empty() && path[0] != '/') path = "/" + path;
    }
    if (filter && !filter->Accept(req.method, path, route.host)) {
      spdlog::debug("rejecting {} {} (Host {})", req.method, path, route.host);
      res.status = 403;
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content("Forbidden\n", "text/plain; charset=utf-8");
      return;
    }
    // The path goes upstream as the client escaped it (re-escaped once the prefix is stripped),
    // with its query.
    std::string target =
        path == route.target.path ? route.target.escaped_path : detail::EscapePath(path);
    if (target.empty()) target = "/";
    if (!route.target.raw_query.empty() || route.target.force_query)
      target += "?" + route.target.raw_query;
    if (IsUpgrade(req)) {
      HandleUpgrade(ex, target);
      return;
    }
    Request up = Forwarded(req, target);
    if (ex.has_body() && !ex.body()([&](const char* data, size_t n) {
          up.body.append(data, n);
          return true;
        })) {
      res.status = 400;
      res.set_content("400 Bad Request: the request's body could not be read\n",
                      "text/plain; charset=utf-8");
      res.set_header("Connection", "close");
      return;
    }
    if (!net::WantsStream(req)) {
      Forward(up, res);
      return;
    }
    // A stream (a watch, a followed log): the upstream call runs on its own thread and the
    // answer is relayed as its pieces arrive.
    auto relay = std::make_shared<net::Relay>();
    up.on_head = [relay](const Response& head) {
      return relay->Head(head.status, {head.headers.begin(), head.headers.end()});
    };
    up.on_body = [relay](std::string_view piece) { return relay->Piece(piece); };
    std::thread([t = transport, up = std::move(up), relay]() {
      std::string error;
      try {
        t->Send(up);
      } catch (const std::exception& e) {
        error = e.what();
      }
      relay->Finish(error);
    }).detach();

    if (!relay->Wait(true)) {
      ProxyError(relay->error(), res);
      return;
    }
    res.status = relay->status();
    net::Relay::Answer(relay, res, CopyResponseHeaders(relay->headers(), res));
  }

  // A whole answer, on this worker.
  void Forward(const Request& up, httplib::Response& res) {
    Response answer;
    try {
      answer = transport->Send(up);
    } catch (const std::exception& e) {
      ProxyError(e.what(), res);
      return;
    }
    res.status = answer.status;
    const std::string content_type = CopyResponseHeaders(answer.headers, res);
    res.set_content(std::move(answer.body), content_type.empty() ? "text/plain" : content_type);
  }

  // kubectl answers a proxy error with 500 and the error text.
  static void ProxyError(const std::string& error, httplib::Response& res) {
    spdlog::error("proxy error: {}", error);
    res.status = 500;
    res.set_content(error + "\n", "text/plain; charset=utf-8");
  }

  void Serve(net::HttpServerOptions o) {
    // kubectl proxy's Go server has no body limit and long timeouts.
    o.max_connections = 4096;
    o.max_body = std::numeric_limits<size_t>::max();
    o.io_timeout = std::chrono::seconds(300);
    server =
        std::make_unique<net::HttpServer>(o, nullptr, [this](net::Exchange& ex) { Handle(ex); });
    bound_port = server->Bind();
    server->Start();
    started = true;
  }
};

Proxy::Proxy(const Config& upstream, ProxyOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->upstream = upstream;
  impl_->options = std::move(options);
  if (!impl_->options.disable_filter) impl_->filter = std::make_unique<ProxyFilter>(impl_->options);
  std::shared_ptr<Transport> t = MakeHttpTransport(upstream);
  const bool has_credentials =
      !upstream.token.empty() || !upstream.token_file.empty() || !upstream.username.empty();
  if (has_credentials && upstream.IsHttps())
    t = WithCredentials(
        t,
        std::make_shared<TokenSource>(upstream.token, upstream.token_file, upstream.token_refresh),
        upstream.username, upstream.password);
  impl_->transport = t;
}

Proxy::~Proxy() { Stop(); }

void Proxy::Start() {
  const auto& o = impl_->options;
  if (!o.www.empty() && !std::filesystem::is_directory(o.www))
    throw Error::Config(fmt::format("--www {}: not a folder", o.www), {"", "flags", "www"});
  if (!o.unix_socket.empty()) {
    StartUnix();
    return;
  }
  net::HttpServerOptions serving;
  serving.address = NumericAddress(o.address);
  serving.port = o.port;
  try {
    impl_->Serve(serving);
  } catch (const std::system_error& e) {
    impl_->server.reset();
    throw Error::Config(fmt::format("listen tcp {}: bind: {}",
                                    detail::JoinHostPort(o.address, std::to_string(o.port)),
                                    GoReason(e.code().value())),
                        {"", "flags", "port"});
  } catch (const std::runtime_error& e) {
    impl_->server.reset();
    throw Error::Config(
        fmt::format("listen tcp {}: {}", detail::JoinHostPort(o.address, std::to_string(o.port)),
                    e.what()),
        {"", "flags", "address"});
  }
}

// kubectl's ListenUnix: a socket file left there is replaced (any other file is an error), and
// the socket is created with umask 0077 (only its owner may connect).
void Proxy::StartUnix() {
  const std::string& path = impl_->options.unix_socket;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw Error::Config(fmt::format("listen unix {}: bind: invalid argument (the path is longer "
                                    "than {} bytes)",
                                    path, sizeof addr.sun_path - 1),
                        {"", "flags", "unix-socket"});
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  mode_t old = umask(0077);
  int rc = fd < 0 ? -1 : bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  umask(old);
  if (rc != 0 || listen(fd, SOMAXCONN) != 0) {
    if (rc == 0) err = errno;
    if (fd >= 0) close(fd);
    throw Error::Config(fmt::format("listen unix {}: bind: {}", path, GoReason(err)),
                        {"", "flags", "unix-socket"});
  }
  net::HttpServerOptions serving;
  serving.listener = fd;  // the server closes it
  impl_->Serve(serving);
}

std::string Proxy::ListenAddress() const {
  if (!impl_->options.unix_socket.empty()) return impl_->options.unix_socket;
  return detail::JoinHostPort(impl_->options.address, std::to_string(impl_->bound_port));
}

int Proxy::port() const { return impl_->bound_port; }

void Proxy::Wait() {
  std::unique_lock lock(impl_->mu);
  impl_->stopped_cv.wait(lock, [&] { return impl_->stopped || !impl_->started; });
}

void Proxy::Stop() {
  if (!impl_->started) return;
  impl_->server->Stop();
  if (!impl_->options.unix_socket.empty()) unlink(impl_->options.unix_socket.c_str());
  std::lock_guard lock(impl_->mu);
  impl_->started = false;
  impl_->stopped = true;
  impl_->stopped_cv.notify_all();
}

}  // namespace kubedouble::access
