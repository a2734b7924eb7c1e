// The kubectl-proxy-compatible server: httplib::Server in front of the access transport.
// Over 600 lines: Proxy::Impl's parts (the filters, the request handler, upgrades piped both
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
#include <deque>
#include <set>
#include <thread>

#include "go_request_target.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/proxy.h"
#include "kubedouble/accesslib/transport.h"
#include "kubedouble/base/strings.h"
#include "kubedouble/net/relay.h"
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

// httplib::Stream over an accepted socket (TCP or unix), buffered like httplib's own, that the
// proxy can take over for a connection upgrade: the buffered bytes are handed on and nothing
// more is written by httplib once it is hijacked.
class FdStream : public httplib::Stream {
 public:
  FdStream(int fd, time_t read_timeout_sec, time_t write_timeout_sec)
      : fd_(fd),
        read_timeout_ms_(read_timeout_sec * 1000),
        write_timeout_ms_(write_timeout_sec * 1000) {}

  bool is_readable() const override { return begin_ < end_ || Wait(POLLIN, read_timeout_ms_); }
  bool is_writable() const override {
    if (hijacked_ || !Wait(POLLOUT, write_timeout_ms_)) return false;
    // httplib's is_socket_alive: a peer that closed shows as readable with nothing to read.
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return true;
    char c;
    return recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }
  ssize_t read(char* ptr, size_t size) override {
    if (hijacked_) return -1;
    if (begin_ == end_) {
      if (!Wait(POLLIN, read_timeout_ms_)) return -1;
      ssize_t n = recv(fd_, buf_, sizeof buf_, 0);
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, end_ - begin_);
    std::memcpy(ptr, buf_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (hijacked_ || !Wait(POLLOUT, write_timeout_ms_)) return -1;
    return send(fd_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(getsockname, ip, port);
  }
  socket_t socket() const override { return fd_; }

  // Takes the connection over: returns the bytes read but not yet parsed; httplib writes
  // nothing more.
  std::string Hijack() {
    hijacked_ = true;
    std::string rest(buf_ + begin_, end_ - begin_);
    begin_ = end_ = 0;
    return rest;
  }
  bool hijacked() const { return hijacked_; }
  bool Buffered() const { return begin_ < end_; }

 private:
  bool Wait(short events, long ms) const {
    pollfd p{fd_, events, 0};
    int n;
    do {
      n = poll(&p, 1, ms > 0 ? static_cast<int>(ms) : -1);
    } while (n < 0 && errno == EINTR);
    return n > 0;
  }
  template <typename F>
  void Address(F get, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    ip.clear();
    port = 0;
    if (get(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char host[NI_MAXHOST] = {0}, serv[NI_MAXSERV] = {0};
    if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6) return;  // a unix socket
    if (getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
      ip = host;
      port = std::atoi(serv);
    }
  }

  int fd_;
  long read_timeout_ms_, write_timeout_ms_;
  char buf_[4096];
  size_t begin_ = 0, end_ = 0;
  bool hijacked_ = false;
};

// The connection being served on this thread (handlers run on the thread that reads it).
thread_local FdStream* current_stream = nullptr;

// httplib::Server whose connections are read through FdStream, so that an upgrade can take the
// socket over; also serves sockets accepted elsewhere (the unix socket).
class ProxyServer : public httplib::Server {
 public:
  void Serve(int fd) {
    FdStream strm(fd, read_timeout_sec_, write_timeout_sec_);
    current_stream = &strm;
    size_t count = keep_alive_max_count_;
    while (!stopping_ && count > 0 && WaitForRequest(strm)) {
      bool connection_closed = false;
      bool ok = process_request(strm, count == 1, connection_closed, nullptr);
      if (!ok || connection_closed || strm.hijacked()) break;
      count--;
    }
    current_stream = nullptr;
    ::shutdown(fd, SHUT_RDWR);
    close(fd);
  }
  void Stopping() { stopping_ = true; }
  bool stopping() const { return stopping_; }

 private:
  bool process_and_close_socket(socket_t sock) override {
    Serve(sock);
    return true;
  }
  // Keep-alive: waits up to the keep-alive timeout for the next request, noticing a stop.
  bool WaitForRequest(FdStream& strm) {
    if (strm.Buffered()) return true;
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
    while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{strm.socket(), POLLIN, 0};
      int n = poll(&p, 1, 100);
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return false;
    }
    return false;
  }
  std::atomic<bool> stopping_{false};
};

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

}  // namespace

struct Proxy::Impl {
  Config upstream;
  ProxyOptions options;
  std::unique_ptr<ProxyFilter> filter;
  std::shared_ptr<Transport> transport;
  ProxyServer server;
  std::thread thread;
  int bound_port = 0;
  bool started = false;
  int unix_fd = -1;  // the --unix-socket listener
  std::mutex conn_mu;
  std::condition_variable conn_cv;
  std::set<int> unix_conns;  // connections being served from the unix socket
  int unix_threads = 0;

  // kubectl's UpgradeAwareHandler: the upstream's 101 is passed on and both directions are
  // piped until either side closes; an error answer (>= 400) is passed on as it is; any other
  // answer to an upgrade is a 500 "invalid upgrade response".
  void HandleUpgrade(const httplib::Request& req, httplib::Response& res,
                     const std::string& target) {
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
    FdStream* client = current_stream;
    if (client == nullptr) {  // not served through ProxyServer::Serve (cannot happen)
      res.status = 500;
      res.set_content("the connection cannot be upgraded\n", "text/plain; charset=utf-8");
      return;
    }
    std::string from_client = client->Hijack();
    std::string answer = fmt::format("HTTP/1.1 {} Switching Protocols\r\n", head.status);
    for (const auto& [k, v] : head.headers) answer += k + ": " + v + "\r\n";
    answer += "\r\n";
    const int cfd = client->socket();
    if (!SendAll(cfd, answer) || (!from_client.empty() && !tunnel->Write(from_client))) return;
    Pipe(cfd, *tunnel);
  }

  static bool SendAll(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{fd, POLLOUT, 0};
        if (poll(&p, 1, 30000) <= 0) return false;
        continue;
      }
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Copies both ways until either side closes (or the proxy stops).
  void Pipe(int cfd, Tunnel& tunnel) {
    char buf[16384];
    while (!server.stopping()) {
      while (tunnel.Pending()) {
        long n = tunnel.Read(buf, sizeof buf);
        if (n == Tunnel::kAgain) break;
        if (n <= 0 || !SendAll(cfd, std::string_view(buf, static_cast<size_t>(n)))) return;
      }
      pollfd p[2] = {{cfd, POLLIN, 0}, {tunnel.fd(), POLLIN, 0}};
      int n = poll(p, 2, 200);
      if (n < 0 && errno != EINTR) return;
      if (n <= 0) continue;
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t got = recv(cfd, buf, sizeof buf, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0 || !tunnel.Write(std::string_view(buf, static_cast<size_t>(got)))) return;
      }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        long got = tunnel.Read(buf, sizeof buf);
        if (got == Tunnel::kAgain) continue;
        if (got <= 0 || !SendAll(cfd, std::string_view(buf, static_cast<size_t>(got)))) return;
      }
    }
  }

  // kubectl's prefixes always end with a slash (it adds one).
  static std::string WithSlash(std::string prefix) {
    if (prefix.empty() || prefix.back() != '/') prefix += '/';
    return prefix;
  }
  std::string ApiPrefix() const { return WithSlash(options.api_prefix); }
  std::string WwwPrefix() const { return options.www.empty() ? "" : WithSlash(options.www_prefix); }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    Route route = RouteRequest(req, ApiPrefix(), WwwPrefix());
    if (AnswerRoute(route, req, res)) return;
    if (route.kind != Route::kApi) {  // a static file that is not there
      route.kind = Route::kNotFound;
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
      HandleUpgrade(req, res, target);
      return;
    }
    Request up = Forwarded(req, target);

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

    if (!relay->Wait(net::WantsStream(req))) {
      // kubectl answers a proxy error with 500 and the error text.
      spdlog::error("proxy error: {}", relay->error());
      res.status = 500;
      res.set_content(relay->error() + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.status = relay->status();
    net::Relay::Answer(relay, res, CopyResponseHeaders(relay->headers(), res));
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
  auto& s = impl_->server;
  s.new_task_queue = [] { return new httplib::ThreadPool(64); };
  s.set_keep_alive_max_count(1000);
  s.set_read_timeout(300, 0);
  s.set_write_timeout(300, 0);
  if (!impl_->options.www.empty()) {
    if (!s.set_mount_point(impl_->WwwPrefix(), impl_->options.www))
      throw Error::Config(fmt::format("--www {}: not a folder", impl_->options.www),
                          {"", "flags", "www"});
  }
  // Go's server and ServeMux come first, for every request (static files too): a request it
  // cannot read is a 400, an unclean path a 301 to the clean one, an unserved path a 404.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    Route route = RouteRequest(req, impl_->ApiPrefix(), impl_->WwwPrefix());
    if (AnswerRoute(route, req, res)) return httplib::Server::HandlerResponse::Handled;
    if (route.kind == Route::kStatic && route.target.absolute) {
      impl_->Handle(req, res);  // httplib would not find the file by an absolute target
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    impl_->Handle(req, res);
  };
  s.Get(".*", handler);
  s.Post(".*", handler);
  s.Put(".*", handler);
  s.Patch(".*", handler);
  s.Delete(".*", handler);
  s.Options(".*", handler);
  const auto& o = impl_->options;
  if (!o.unix_socket.empty()) {
    StartUnix();
    return;
  }
  if (o.address.find(':') != std::string::npos) s.set_address_family(AF_INET6);
  // cpp-httplib's default sets SO_REUSEPORT, with which a second proxy on the same port would
  // share it silently; like Go's listener (kubectl proxy), only SO_REUSEADDR.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  errno = 0;
  if (o.port == 0) {
    impl_->bound_port = s.bind_to_any_port(o.address);
  } else {
    impl_->bound_port = s.bind_to_port(o.address, o.port) ? o.port : -1;
  }
  if (impl_->bound_port <= 0) {
    // The failed bind's errno (cpp-httplib only closes the socket after it), as Go words it.
    std::string reason = errno != 0 ? std::strerror(errno) : "address already in use";
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
    throw Error::Config(
        fmt::format("listen tcp {}: bind: {}",
                    detail::JoinHostPort(o.address, std::to_string(o.port)), reason),
        {"", "flags", "port"});
  }
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
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
  if (rc != 0 || listen(fd, 128) != 0) {
    if (rc == 0) err = errno;
    if (fd >= 0) close(fd);
    std::string reason = std::strerror(err);
    if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
    throw Error::Config(fmt::format("listen unix {}: bind: {}", path, reason),
                        {"", "flags", "unix-socket"});
  }
  impl_->unix_fd = fd;
  impl_->started = true;
  impl_->thread = std::thread([impl = impl_.get()] {
    while (!impl->server.stopping()) {
      pollfd p{impl->unix_fd, POLLIN, 0};
      int n = poll(&p, 1, 200);
      if (n <= 0) continue;
      int c = accept4(impl->unix_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::lock_guard<std::mutex> l(impl->conn_mu);
      impl->unix_conns.insert(c);
      impl->unix_threads++;
      std::thread([impl, c] {
        impl->server.Serve(c);
        std::lock_guard<std::mutex> g(impl->conn_mu);
        impl->unix_conns.erase(c);
        impl->unix_threads--;
        impl->conn_cv.notify_all();
      }).detach();
    }
  });
}

std::string Proxy::ListenAddress() const {
  if (!impl_->options.unix_socket.empty()) return impl_->options.unix_socket;
  return detail::JoinHostPort(impl_->options.address, std::to_string(impl_->bound_port));
}

int Proxy::port() const { return impl_->bound_port; }

void Proxy::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Proxy::Stop() {
  if (!impl_->started) return;
  impl_->server.Stopping();
  if (impl_->unix_fd >= 0) {
    Wait();
    std::unique_lock<std::mutex> l(impl_->conn_mu);
    for (int c : impl_->unix_conns) ::shutdown(c, SHUT_RDWR);
    impl_->conn_cv.wait(l, [&] { return impl_->unix_threads == 0; });
    close(impl_->unix_fd);
    impl_->unix_fd = -1;
    unlink(impl_->options.unix_socket.c_str());
  } else {
    impl_->server.stop();
    Wait();
  }
  impl_->started = false;
}

}  // namespace kubedouble::access
