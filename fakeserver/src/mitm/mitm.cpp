#include "kubedouble/fakeserver/mitm.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <fmt/core.h>
#include <re2/re2.h>

#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "kubedouble/base/status.h"
#include "kubedouble/net/http_server.h"
#include "kubedouble/net/relay.h"

namespace kubedouble::fake {
namespace {

// Accepts whatever certificate a client offers: the point is to see it, not to trust it.
int AcceptAnyClientCert(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

std::string SubjectOf(X509* cert) {
  if (!cert) return "";
  std::string out;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    const char* sn = OBJ_nid2sn(nid);
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (len < 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(sn ? sn : "?") + "=" + std::string(reinterpret_cast<char*>(utf8), len);
    OPENSSL_free(utf8);
  }
  return out;
}

bool IsHopByHop(const std::string& name) {
  // Hop-by-hop headers, and the encodings: the body is forwarded decoded.
  static const char* kHop[] = {"connection",     "keep-alive",        "proxy-connection", "te",
                               "trailer",        "transfer-encoding", "upgrade",          "host",
                               "content-length", "content-encoding",  "accept-encoding"};
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* h : kHop)
    if (lower == h) return true;
  return false;
}

}  // namespace

struct Mitm::Impl {
  MitmOptions options;
  std::unique_ptr<net::HttpServer> server;
  int port = 0;
  mutable std::mutex mu;
  std::deque<MitmCapture> captures;  // the last options.max_captures, guarded by mu
  uint64_t captured = 0;             // every capture so far
  bool token_captured = false, cert_offered = false;
  std::vector<int> fault_left;  // per rule, guarded by mu
  // Per rule, its path_regex compiled once (null when it has none).
  std::vector<std::shared_ptr<const re2::RE2>> fault_paths;
  std::deque<MitmRefusal> refusals;  // guarded by mu
  uint64_t refused = 0;              // every refusal so far, guarded by mu

  std::unordered_map<const SSL*, std::string> handshaking;  // peer of each, guarded by mu

  // "127.0.0.1:53124" or "[::1]:53124": the peer of `fd`, or "" when it is gone.
  static std::string PeerOf(int fd) {
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return "";
    char host[INET6_ADDRSTRLEN] = "";
    if (peer.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&peer);
      inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
      return fmt::format("[{}]:{}", host, ntohs(a->sin6_port));
    }
    auto* a = reinterpret_cast<sockaddr_in*>(&peer);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return fmt::format("{}:{}", host, ntohs(a->sin_port));
  }

  // OpenSSL's info callback: the peer is noted when a handshake starts (a client that refuses
  // may have closed its socket by the time its alert is read), and a fatal alert read before
  // the handshake is done is a refusal.
  static void OnTlsInfo(const SSL* ssl, int where, int ret) {
    auto* self = static_cast<Impl*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (self == nullptr) return;
    if (where & SSL_CB_HANDSHAKE_START) {
      std::string peer = PeerOf(SSL_get_fd(ssl));
      std::lock_guard<std::mutex> lock(self->mu);
      if (self->handshaking.size() > 4096) self->handshaking.clear();  // abandoned ones
      self->handshaking[ssl] = std::move(peer);
      return;
    }
    if (where & SSL_CB_HANDSHAKE_DONE) {
      std::lock_guard<std::mutex> lock(self->mu);
      self->handshaking.erase(ssl);
      return;
    }
    const bool fatal = (ret >> 8) == SSL3_AL_FATAL;
    if ((where & SSL_CB_READ_ALERT) == 0 || !fatal || SSL_is_init_finished(ssl)) return;
    MitmRefusal r;
    r.time = std::chrono::system_clock::now();
    r.alert = SSL_alert_desc_string_long(ret);
    std::lock_guard<std::mutex> lock(self->mu);
    auto it = self->handshaking.find(ssl);
    r.client = it != self->handshaking.end() && !it->second.empty() ? it->second : "unknown";
    if (it != self->handshaking.end()) self->handshaking.erase(it);
    r.id = ++self->refused;
    self->refusals.push_back(std::move(r));
    while (self->refusals.size() > std::max<size_t>(self->options.max_captures, 1)) {
      self->refusals.pop_front();
    }
  }

  void Record(MitmCapture cap) {
    std::lock_guard<std::mutex> lock(mu);
    cap.id = ++captured;
    token_captured = token_captured || !cap.authorization.empty();
    cert_offered = cert_offered || cap.client_cert_offered;
    captures.push_back(std::move(cap));
    while (captures.size() > std::max<size_t>(options.max_captures, 1)) captures.pop_front();
  }

  // The fault to inject for this request, if any (counts it).
  std::optional<MitmFault> TakeFault(const std::string& method, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t i = 0; i < options.faults.size(); ++i) {
      const MitmFault& f = options.faults[i];
      if (!f.method.empty() && f.method != method) continue;
      if (fault_paths[i] && !re2::RE2::PartialMatch(path, *fault_paths[i])) continue;
      if (fault_left[i] == 0) continue;
      if (fault_left[i] > 0) --fault_left[i];
      return f;
    }
    return std::nullopt;
  }

  void Forward(const httplib::Request& req, httplib::Response& res) {
    MitmCapture cap;
    cap.time = std::chrono::system_clock::now();
    cap.method = req.method;
    cap.path = req.target.empty() ? req.path : req.target;
    cap.authorization = req.get_header_value("Authorization");
    cap.user_agent = req.get_header_value("User-Agent");
    if (req.ssl) {
      X509* peer = SSL_get1_peer_certificate(req.ssl);
      if (peer) {
        cap.client_cert_offered = true;
        cap.client_cert_subject = SubjectOf(peer);
        X509_free(peer);
      }
    }

    if (auto fault = TakeFault(req.method, req.path)) {
      if (fault->delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
        cap.fault = fmt::format("delay {}ms", fault->delay_ms);
      }
      if (fault->close) {
        cap.fault = "close";
        res.status = 200;
        res.set_chunked_content_provider("application/json",
                                         [](size_t, httplib::DataSink&) { return false; });
        Record(std::move(cap));
        return;
      }
      if (fault->status > 0) {
        cap.fault = fmt::format("status {}", fault->status);
        res.status = fault->status;
        std::string status =
            base::MakeStatus(fault->status, base::ReasonForCode(fault->status),
                             fmt::format("injected by kubedouble: {}", fault->status))
                .dump();
        if (fault->retry_after >= 0)
          res.set_header("Retry-After", std::to_string(fault->retry_after));
        res.set_content(status, "application/json");
        Record(std::move(cap));
        return;
      }
    }
    httplib::Request out;
    out.method = req.method;
    out.path = cap.path;
    for (const auto& [k, v] : req.headers)
      if (!IsHopByHop(k) && k != "REMOTE_ADDR" && k != "REMOTE_PORT" && k != "LOCAL_ADDR" &&
          k != "LOCAL_PORT")
        out.headers.emplace(k, v);
    out.body = req.body;
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      std::string type = req.get_header_value("Content-Type");
      out.set_header("Content-Type", type.empty() ? "application/json" : type);
    }
    const bool stream = net::WantsStream(req);
    auto relay = std::make_shared<net::Relay>();
    out.response_handler = [relay](const httplib::Response& head) {
      return relay->Head(head.status, {head.headers.begin(), head.headers.end()});
    };
    out.content_receiver = [relay](const char* data, size_t n, uint64_t, uint64_t) {
      return relay->Piece(std::string_view(data, n));
    };
    std::thread([relay, out = std::move(out), url = options.upstream, stream]() mutable {
      httplib::Client upstream(url);
      upstream.enable_server_certificate_verification(false);
      upstream.set_connection_timeout(5);
      upstream.set_read_timeout(stream ? 3600 : 60);
      auto result = upstream.send(out);
      relay->Finish(result ? "" : httplib::to_string(result.error()));
    }).detach();

    if (!relay->Wait(stream)) {
      res.status = 502;
      res.set_content("kubedouble mitm: the upstream " + options.upstream +
                          " could not be reached: " + relay->error() + "\n",
                      "text/plain; charset=utf-8");
      Record(std::move(cap));
      return;
    }
    cap.upstream_status = relay->status();
    res.status = relay->status();
    std::string type = "application/json";
    for (const auto& [k, v] : relay->headers()) {
      if (IsHopByHop(k)) continue;
      if (k == "Content-Type") {
        type = v;
        continue;
      }
      res.set_header(k, v);
    }
    Record(std::move(cap));
    net::Relay::Answer(relay, res, type);
  }
};

Mitm::Mitm(MitmOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  for (const auto& f : impl_->options.faults) {
    impl_->fault_left.push_back(f.times);
    std::shared_ptr<const re2::RE2> path;
    if (!f.path_regex.empty()) {
      path = std::make_shared<const re2::RE2>(f.path_regex, re2::RE2::Quiet);
      if (!path->ok()) {
        throw std::invalid_argument("mitm: fault path_regex \"" + f.path_regex +
                                    "\" is not a valid regular expression: " + path->error());
      }
    }
    impl_->fault_paths.push_back(std::move(path));
  }
}

Mitm::~Mitm() { Stop(); }

void Mitm::Start() {
  auto& o = impl_->options;
  if (o.upstream.rfind("https://", 0) != 0 && o.upstream.rfind("http://", 0) != 0)
    throw std::runtime_error("mitm: the upstream \"" + o.upstream +
                             "\" must be an http:// or https:// URL");
  std::string cert = o.cert_file.string(), key = o.key_file.string();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  struct FreeCtx {
    SSL_CTX* ctx;
    ~FreeCtx() { SSL_CTX_free(ctx); }
  } free_ctx{ctx};
  if (ctx == nullptr) throw std::runtime_error("mitm: TLS set-up failed");
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) {
    throw std::runtime_error("mitm: cannot load the certificate " + cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    throw std::runtime_error("mitm: cannot load the private key " + key +
                             " (or it does not match " + cert + ")");
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_num_tickets(ctx, 0);  // as the API server (server.cpp)
  // Ask for a client certificate, require none, accept any.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyClientCert);
  // Handshakes a verifying client refuses (Refusals()).
  SSL_CTX_set_app_data(ctx, impl_.get());
  SSL_CTX_set_info_callback(ctx, &Impl::OnTlsInfo);
  // Connections owned by net/ like the API server's (framed: no smuggled requests, heads within
  // Go's limits; idle keep-alive clients cost no thread; a stop does not wait for them).
  net::HttpServerOptions http_options;
  http_options.address = o.address;
  http_options.port = o.port;
  http_options.max_body = 64 << 20;
  Impl* impl = impl_.get();
  impl_->server = std::make_unique<net::HttpServer>(http_options, ctx, [impl](net::Exchange& ex) {
    if (ex.has_body()) {  // forwarded whole
      std::string body;
      ex.body()([&](const char* data, size_t n) {
        body.append(data, n);
        return true;
      });
      ex.request.body = std::move(body);
    }
    impl->Forward(ex.request, ex.response);
  });
  try {
    impl_->port = impl_->server->Bind();
  } catch (const std::exception& e) {
    impl_->server.reset();
    throw std::runtime_error(std::string("mitm: ") + e.what());
  }
  impl_->server->Start();
}

void Mitm::Stop() {
  if (!impl_ || !impl_->server) return;
  impl_->server->Stop();
  impl_->server.reset();
}

std::string Mitm::url() const {
  const std::string& a = impl_->options.address;
  std::string host = a.find(':') != std::string::npos ? "[" + a + "]" : a;
  return "https://" + host + ":" + std::to_string(impl_->port);
}

int Mitm::port() const { return impl_->port; }

std::vector<MitmRefusal> Mitm::Refusals() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {impl_->refusals.begin(), impl_->refusals.end()};
}

std::vector<MitmCapture> Mitm::Captures() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return {impl_->captures.begin(), impl_->captures.end()};
}

bool Mitm::TokenCaptured() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->token_captured;
}

bool Mitm::ClientCertOffered() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->cert_offered;
}

size_t Mitm::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->captured;
}

size_t Mitm::dropped() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->captured - impl_->captures.size();
}

}  // namespace kubedouble::fake
