// The kubectl-proxy-compatible server: httplib::Server in front of the access transport.
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <condition_variable>
#include <deque>
#include <thread>

#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/proxy.h"
#include "kubedouble/accesslib/transport.h"
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

// One forwarded request: the upstream runs in its own thread and hands the head and the body
// pieces over to the handler, which streams them to the client.
struct Exchange {
  std::mutex mu;
  std::condition_variable cv;
  bool head_ready = false, done = false, client_gone = false;
  Response head;
  std::deque<std::string> pieces;
  std::string error;
};

bool WantsStream(const httplib::Request& req) {
  auto flag = [&](const char* name) {
    if (!req.has_param(name)) return false;
    std::string v = req.get_param_value(name);
    return v != "0" && v != "false";
  };
  return flag("watch") || flag("follow") || req.path.find("/watch/") != std::string::npos;
}

}  // namespace

struct Proxy::Impl {
  Config upstream;
  ProxyOptions options;
  std::unique_ptr<ProxyFilter> filter;
  std::shared_ptr<Transport> transport;
  httplib::Server server;
  std::thread thread;
  int bound_port = 0;
  bool started = false;

  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::string path = req.path;
    // Strip the API prefix, leaving a slash (kubectl's stripLeaveSlash).
    const std::string& prefix = options.api_prefix;
    if (prefix != "/" && prefix.rfind("/api", 0) != 0) {
      std::string p = prefix.back() == '/' ? prefix.substr(0, prefix.size() - 1) : prefix;
      if (path.rfind(p, 0) != 0) {
        res.status = 404;
        res.set_content("404 page not found\n", "text/plain; charset=utf-8");
        return;
      }
      path = path.substr(p.size());
      if (path.empty() || path[0] != '/') path = "/" + path;
    }
    if (filter && !filter->Accept(req.method, path, req.get_header_value("Host"))) {
      spdlog::debug("rejecting {} {} (Host {})", req.method, path, req.get_header_value("Host"));
      res.status = 403;
      res.set_content("Forbidden\n", "text/plain; charset=utf-8");
      return;
    }
    // The path as the client sent it, with its query (httplib decodes req.path).
    std::string target = req.target;
    if (prefix != "/" && prefix.rfind("/api", 0) != 0) {
      std::string p = prefix.back() == '/' ? prefix.substr(0, prefix.size() - 1) : prefix;
      target = target.substr(std::min(target.size(), p.size()));
      if (target.empty() || target[0] != '/') target = "/" + target;
    }
    Request up;
    up.method = req.method;
    up.path = target;
    up.body = req.body;
    up.body_replayable = false;
    for (const auto& [k, v] : req.headers)
      if (!HopByHop(k)) up.headers.emplace(k, v);

    auto ex = std::make_shared<Exchange>();
    up.on_head = [ex](const Response& head) {
      std::lock_guard<std::mutex> lock(ex->mu);
      ex->head = head;
      ex->head_ready = true;
      ex->cv.notify_all();
      return !ex->client_gone;
    };
    up.on_body = [ex](std::string_view piece) {
      std::lock_guard<std::mutex> lock(ex->mu);
      ex->pieces.emplace_back(piece);
      ex->cv.notify_all();
      return !ex->client_gone;
    };
    std::thread([t = transport, up = std::move(up), ex]() {
      std::string error;
      try {
        t->Send(up);
      } catch (const std::exception& e) {
        error = e.what();
      }
      std::lock_guard<std::mutex> lock(ex->mu);
      ex->error = error;
      ex->done = true;
      ex->cv.notify_all();
    }).detach();

    const bool stream = WantsStream(req);
    std::unique_lock<std::mutex> lock(ex->mu);
    if (stream) {
      ex->cv.wait(lock, [&] { return ex->head_ready || ex->done; });
    } else {
      ex->cv.wait(lock, [&] { return ex->done; });
    }
    if (!ex->head_ready) {
      // kubectl answers a proxy error with 500 and the error text.
      spdlog::error("proxy error: {}", ex->error);
      res.status = 500;
      res.set_content(ex->error + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.status = ex->head.status;
    std::string content_type = ex->head.Header("Content-Type");
    for (const auto& [k, v] : ex->head.headers)
      if (!HopByHop(k) && strcasecmp(k.c_str(), "Content-Type") != 0) res.headers.emplace(k, v);
    if (!stream || ex->done) {
      std::string body;
      for (auto& p : ex->pieces) body += p;
      res.set_content(body, content_type.empty() ? "text/plain" : content_type.c_str());
      return;
    }
    lock.unlock();
    res.set_chunked_content_provider(
        content_type.empty() ? "application/json" : content_type,
        [ex](size_t, httplib::DataSink& sink) {
          std::unique_lock<std::mutex> l(ex->mu);
          ex->cv.wait(l, [&] { return !ex->pieces.empty() || ex->done; });
          while (!ex->pieces.empty()) {
            std::string piece = std::move(ex->pieces.front());
            ex->pieces.pop_front();
            l.unlock();
            if (!sink.write(piece.data(), piece.size())) {
              std::lock_guard<std::mutex> g(ex->mu);
              ex->client_gone = true;
              return false;
            }
            l.lock();
          }
          if (ex->done) sink.done();
          return true;
        },
        [ex](bool) {
          std::lock_guard<std::mutex> g(ex->mu);
          ex->client_gone = true;
        });
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
    if (!s.set_mount_point(impl_->options.www_prefix, impl_->options.www))
      throw Error::Config(fmt::format("--www {}: not a folder", impl_->options.www),
                          {"", "flags", "www"});
  }
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
  if (o.address.find(':') != std::string::npos) s.set_address_family(AF_INET6);
  if (o.port == 0) {
    impl_->bound_port = s.bind_to_any_port(o.address);
  } else {
    impl_->bound_port = s.bind_to_port(o.address, o.port) ? o.port : -1;
  }
  if (impl_->bound_port <= 0)
    throw Error::Config(fmt::format("listen tcp {}: bind: address already in use or not available",
                                    detail::JoinHostPort(o.address, std::to_string(o.port))),
                        {"", "flags", "port"});
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
}

std::string Proxy::ListenAddress() const {
  return detail::JoinHostPort(impl_->options.address, std::to_string(impl_->bound_port));
}

int Proxy::port() const { return impl_->bound_port; }

void Proxy::Wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Proxy::Stop() {
  if (!impl_->started) return;
  impl_->server.stop();
  Wait();
  impl_->started = false;
}

}  // namespace kubedouble::access
