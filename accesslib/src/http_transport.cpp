// The network layer: cpp-httplib clients (a pool, one connection each, kept alive) on connections
// dialed by net/ (dialing_client.h), TLS by OpenSSL with the transport's own contexts; HTTP/2
// (http2_client.h) on the connections where the server chose "h2" in ALPN, each shared by the
// requests under way (streams), as Go's transport shares one per server.
// Over 600 lines: it is one class, HttpTransport, whose parts (the pools, the TLS material loaded
// once, the upgrade path, the error classification) share its members and its lock.
#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "dialing_client.h"
#include "http2_client.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/transport.h"
#include "kubedouble/base/strings.h"
#include "kubedouble/certs/certs.h"
#include "tls_verify.h"
#include "util.h"

namespace kubedouble::access {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// `target` with every byte that cannot stand in a request line (space, control, non-ASCII)
// percent-escaped and everything else as the caller wrote it, as Go's transport sends an already
// escaped URL: a query's '+' stays a '+'.
std::string ForRequestLine(std::string_view target) {
  std::string out;
  out.reserve(target.size());
  for (unsigned char c : target) {
    if (c <= 0x20 || c >= 0x7f) {
      out += fmt::format("%{:02X}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string GoMethod(const std::string& m) {
  if (m.empty()) return m;
  std::string out(1, m[0]);
  for (size_t i = 1; i < m.size(); i++) out.push_back(static_cast<char>(std::tolower(m[i])));
  return out;
}

// True when NO_PROXY says `host` (port `port`) is reached directly.
bool NoProxyMatches(const std::string& no_proxy, const std::string& host, int port) {
  size_t start = 0;
  while (start <= no_proxy.size()) {
    size_t end = no_proxy.find(',', start);
    if (end == std::string::npos) end = no_proxy.size();
    std::string entry = base::Trim(no_proxy.substr(start, end - start));
    start = end + 1;
    if (entry.empty()) continue;
    if (entry == "*") return true;
    // host:port entries match only that port.
    std::string entry_host = entry;
    if (auto colon = entry.rfind(':'); colon != std::string::npos &&
                                       entry.find(']') == std::string::npos &&
                                       entry.find(':') == colon) {
      if (entry.substr(colon + 1) != std::to_string(port)) continue;
      entry_host = entry.substr(0, colon);
    }
    if (!entry_host.empty() && entry_host.front() == '[')
      entry_host = entry_host.substr(1, entry_host.size() - 2);
    if (entry_host == host) return true;
    std::string suffix = entry_host.front() == '.' ? entry_host : "." + entry_host;
    if (host.size() > suffix.size() &&
        host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  }
  return false;
}

// A whole number of seconds from environment variable `name` into `value`, as client-go reads its
// HTTP/2 health-check knobs: unset or empty leaves `value`; a value that is not a number is
// warned about (naming it) and leaves `value` too.
void SecondsFromEnv(const Env& env, const char* name, std::chrono::milliseconds& value) {
  const auto text = env ? env(name) : std::nullopt;
  if (!text || text->empty()) return;
  long long seconds = 0;
  const char* end = text->data() + text->size();
  const auto [at, ec] = std::from_chars(text->data(), end, seconds);
  if (ec != std::errc() || at != end || seconds > 24LL * 3600 * 365) {
    spdlog::warn("Illegal {}(\"{}\"): not a whole number of seconds; {} s is used", name, *text,
                 std::chrono::duration_cast<std::chrono::seconds>(value).count());
    return;
  }
  value = std::chrono::seconds(seconds);
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

struct Pooled {
  std::unique_ptr<detail::DialingClient> client;
  std::unique_ptr<detail::VerifyRecord> record;  // referenced by the client's TLS context
  uint64_t generation = 0;
};

// A connection on which the server chose HTTP/2, with the client that dialed it (its TLS context
// and verification record live as long as the connection). Shared by the requests on it.
struct SharedHttp2 {
  Pooled dialer;
  std::unique_ptr<detail::Http2Connection> conn;  // (destroyed before its dialer)
};

// A connection after 101 Switching Protocols (plain or TLS), non-blocking for reading.
class SocketTunnel : public Tunnel {
 public:
  SocketTunnel(std::shared_ptr<net::DialedConn> conn, std::unique_ptr<detail::VerifyRecord> record,
               std::string pending)
      : conn_(std::move(conn)), record_(std::move(record)), pending_(std::move(pending)) {
    conn_->set_io_timeout(std::chrono::seconds(30));  // a write that makes no progress
  }
  ~SocketTunnel() override {
    if (conn_->ssl() != nullptr) SSL_shutdown(conn_->ssl());
    ::shutdown(conn_->fd(), SHUT_RDWR);
  }
  long Read(char* buf, size_t size) override {
    if (!pending_.empty()) {
      size_t n = std::min(size, pending_.size());
      std::memcpy(buf, pending_.data(), n);
      pending_.erase(0, n);
      return static_cast<long>(n);
    }
    const ssize_t n = conn_->ReadNow(buf, size);
    return n == net::DialedConn::kAgain ? kAgain : static_cast<long>(n);
  }
  bool Write(std::string_view data) override { return conn_->Write(data); }
  bool Pending() const override { return !pending_.empty() || conn_->Pending(); }
  int fd() const override { return conn_->fd(); }

 private:
  std::shared_ptr<net::DialedConn> conn_;
  std::unique_ptr<detail::VerifyRecord> record_;
  std::string pending_;
};

class HttpTransport : public Transport {
 public:
  HttpTransport(const Config& config, const Env& env) : config_(config) {
    auto url = detail::ParseUrl(config.server);
    if (!url || (url->scheme != "http" && url->scheme != "https"))
      throw Error::Config(
          fmt::format("host must be a URL or a host:port pair: \"{}\"", config.server),
          {config.source_file, "", "server"});
    url_ = *url;
    https_ = url_.scheme == "https";
    // HTTP/2 is negotiated inside TLS only (plain http:// stays HTTP/1.1, as Go's transport).
    const auto no_http2 = env ? env("DISABLE_HTTP2") : std::nullopt;
    http2_ = https_ && !config.disable_http2 && (!no_http2 || no_http2->empty());
    if (https_ && !http2_) spdlog::debug("HTTP/2 is turned off for {}", config.server);
    upkeep_.idle_timeout = config.idle_conn_timeout;
    upkeep_.read_idle_timeout = config.http2_read_idle_timeout;
    upkeep_.ping_timeout = config.http2_ping_timeout;
    SecondsFromEnv(env, "HTTP2_READ_IDLE_TIMEOUT_SECONDS", upkeep_.read_idle_timeout);
    SecondsFromEnv(env, "HTTP2_PING_TIMEOUT_SECONDS", upkeep_.ping_timeout);
    host_header_ =
        url_.explicit_port
            ? url_.HostPort()
            : (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host);
    if (https_) {
      // tls-server-name: the name sent as SNI and checked, while the server's host is dialed.
      check_name_ = config.tls_server_name.empty() ? url_.host : config.tls_server_name;
      if (config.insecure) {
        spdlog::warn(
            "insecure-skip-tls-verify is set: the server's certificate is not verified, so "
            "anyone in between can read the credentials sent to {}",
            config.server);
      } else if (!config.ca_data.empty()) {
        LoadCaBundle(config.ca_data, "certificate-authority-data");
      } else if (!config.ca_file.empty()) {
        std::string why;
        auto pem = detail::TryReadFile(config.ca_file, &why);
        if (!pem)
          throw Error::Config(
              fmt::format("unable to read certificate-authority {} for {} due to {}",
                          config.ca_file, config.cluster_name, why),
              {config.source_file, "", "certificate-authority"});
        LoadCaBundle(*pem, config.ca_file);
      }
      if (config.HasClientCert()) LoadClientCertLocked();
    }
    // Proxy: proxy-url, else the environment (loopback never goes through an env proxy).
    std::string proxy = config.proxy_url;
    if (proxy.empty()) {
      auto get = [&](const char* a, const char* b) {
        auto v = env ? env(a) : std::nullopt;
        if (!v || v->empty()) v = env ? env(b) : std::nullopt;
        return v.value_or("");
      };
      std::string from_env =
          https_ ? get("HTTPS_PROXY", "https_proxy") : get("HTTP_PROXY", "http_proxy");
      std::string no_proxy = get("NO_PROXY", "no_proxy");
      if (!from_env.empty() && !IsLoopback(url_.host) &&
          !NoProxyMatches(no_proxy, url_.host, url_.port))
        proxy = from_env;
    }
    if (!proxy.empty()) {
      if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
      auto p = detail::ParseUrl(proxy);
      if (!p || p->scheme != "http")
        throw Error::Config(fmt::format("proxy \"{}\": only http:// proxies are supported", proxy),
                            {config.source_file, "", "proxy-url"});
      proxy_ = *p;
    }
  }

  ~HttpTransport() override {
    for (X509* x : ca_certs_) X509_free(x);
    for (X509_CRL* x : ca_crls_) X509_CRL_free(x);
    if (cert_) X509_free(cert_);
    if (key_) EVP_PKEY_free(key_);
  }

  Response Send(const Request& in) override {
    if (ca_unloadable_) {
      Error e(ErrorKind::kTlsOther,
              fmt::format("unable to load root certificates from {}", ca_label_));
      e.server = url_.HostPort();
      throw e;
    }
    // A stream on an HTTP/2 connection with room for one, else a pooled HTTP/1.1 client, whose
    // dial may find that the server chose HTTP/2 (that connection is then shared). Once more
    // on a new connection when the server did not take the request (GOAWAY, REFUSED_STREAM) or
    // a reused connection turned out closed, as Go does.
    for (int attempt = 0;; ++attempt) {
      DialTurn turn{this};
      std::shared_ptr<SharedHttp2> h2 = http2_ ? AcquireHttp2(turn) : nullptr;
      const bool reused = h2 != nullptr;
      if (!h2) {
        // The dial's turn dials (an idle HTTP/1.1 connection would tell the waiters nothing).
        Pooled p = attempt == 0 && !turn.held ? Acquire() : NewClient();
        std::optional<Response> answered = SendHttp1(p, in);
        if (answered) return std::move(*answered);
        h2 = ShareHttp2(std::move(p));  // the dial found HTTP/2
        turn.End();
        if (!h2) {
          if (attempt == 0 && in.body_replayable) continue;
          throw Http2Failed(
              {detail::Http2Outcome::Kind::kBroken, false, "http2: client connection lost"}, in,
              Clock::duration());
        }
      }
      Response out;
      const auto started = Clock::now();
      const detail::Http2Outcome o =
          h2->conn->RoundTrip(in, WirePath(in), WireHeaders(in), !config_.disable_compression, out);
      using Kind = detail::Http2Outcome::Kind;
      if (o.kind == Kind::kAnswered || o.kind == Kind::kStopped) {
        LogRequest(in, out, started);
        return out;
      }
      const bool again = o.kind == Kind::kRefused ||
                         (o.kind == Kind::kBroken && reused && !o.head_seen && in.IsIdempotent());
      if (attempt == 0 && again && in.body_replayable) continue;
      throw Http2Failed(o, in, Clock::now() - started);
    }
  }

 private:
  // The request over HTTP/1.1 with pooled client `p`: the answer, or nullopt (nothing sent) when
  // the client's dial found that the server chose HTTP/2 (p's client holds that connection).
  std::optional<Response> SendHttp1(Pooled& p, const Request& in) {
    httplib::Request req = ToHttplib(in);

    Response out;
    bool stopped = false;
    const bool streaming = in.on_head || in.on_body;
    if (streaming) {
      req.response_handler = [&](const httplib::Response& r) {
        out.status = r.status;
        for (const auto& [k, v] : r.headers) out.headers.emplace(k, v);
        if (in.on_head && !in.on_head(out)) {
          stopped = true;
          return false;
        }
        return true;
      };
      req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (!in.on_body) {
          out.body.append(data, n);
          return true;
        }
        if (!in.on_body(std::string_view(data, n))) {
          stopped = true;
          return false;
        }
        return true;
      };
    }
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    if (p.record) p.record->Reset();
    auto started = Clock::now();
    bool ok = p.client->send(req, res, err);
    if (!ok) {
      if (stopped) return out;  // the caller stopped it; the connection is not reused
      if (p.client->failure().stage == detail::ConnectFailure::Stage::kHttp2) return std::nullopt;
      Error e = Classify(err, p, in, Clock::now() - started);
      throw e;
    }
    Release(std::move(p));
    if (!streaming) {
      out.status = res.status;
      for (const auto& [k, v] : res.headers) out.headers.emplace(k, v);
      out.body = std::move(res.body);
    }
    LogRequest(in, out, started);
    return out;
  }

  // kubectl -v=6 style request log.
  void LogRequest(const Request& in, const Response& out, Clock::time_point started) const {
    spdlog::debug(
        "{} {}{} {} in {} milliseconds", in.method, config_.server, in.path, out.status,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
  }

 public:
  std::unique_ptr<Tunnel> Upgrade(const Request& in, Response* head) override {
    if (ca_unloadable_) {
      Error e(ErrorKind::kTlsOther,
              fmt::format("unable to load root certificates from {}", ca_label_));
      e.server = url_.HostPort();
      throw e;
    }
    // A connection of its own (never from the pool, never back to it), HTTP/1.1 only: the
    // handshake offers "http/1.1" alone (client-go's NextProtos for SPDY).
    Pooled p;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (https_ && cert_) RefreshClientCertLocked();
      p = NewClientLocked(/*offer_http2=*/false);
    }
    httplib::Request req = ToHttplib(in);
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    std::string early;
    auto started = Clock::now();
    std::shared_ptr<net::DialedConn> conn = p.client->Upgrade(req, res, err, &early);
    if (!conn && err != httplib::Error::Success) throw Classify(err, p, in, Clock::now() - started);
    head->status = res.status;
    for (const auto& [k, v] : res.headers) head->headers.emplace(k, v);
    spdlog::debug(
        "{} {}{} {} (upgrade) in {} milliseconds", in.method, config_.server, in.path, head->status,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    if (!conn) {
      head->body = std::move(res.body);  // not upgraded: the whole answer
      return nullptr;
    }
    return std::make_unique<SocketTunnel>(std::move(conn), std::move(p.record), std::move(early));
  }

 private:
  // The target as it goes on the wire: the server's path prefix, escaped for a request line.
  std::string WirePath(const Request& in) const { return ForRequestLine(url_.path + in.path); }
  // The request's headers and what the transport adds: Host, User-Agent, a JSON body's type.
  Headers WireHeaders(const Request& in) const {
    Headers headers = in.headers;
    if (headers.find("Host") == headers.end()) headers.emplace("Host", host_header_);
    if (headers.find("User-Agent") == headers.end()) headers.emplace("User-Agent", UserAgent());
    if (!in.body.empty() && headers.find("Content-Type") == headers.end())
      headers.emplace("Content-Type", "application/json");
    return headers;
  }
  // The request as httplib sends it.
  httplib::Request ToHttplib(const Request& in) const {
    httplib::Request req;
    req.method = in.method;
    req.path = WirePath(in);
    for (auto& [k, v] : WireHeaders(in)) req.headers.emplace(k, v);
    req.body = in.body;
    return req;
  }

  // Parses the CA bundle once (as SSL_CTX_load_verify_locations would: every certificate and
  // CRL of the PEM text); each new connection's store gets references to the same objects, so
  // the certificates are not decoded again per connection (each decode costs ~0.4 ms with
  // OpenSSL 3.0) and no temporary file is needed for certificate-authority-data.
  void LoadCaBundle(const std::string& pem, const std::string& what) {
    ca_label_ = what;
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (infos != nullptr) {
      for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO* info = sk_X509_INFO_value(infos, i);
        if (info->x509 != nullptr) {
          X509_up_ref(info->x509);
          ca_certs_.push_back(info->x509);
        }
        if (info->crl != nullptr) {
          X509_CRL_up_ref(info->crl);
          ca_crls_.push_back(info->crl);
        }
      }
      sk_X509_INFO_pop_free(infos, X509_INFO_free);
    }
    ERR_clear_error();
    if (infos != nullptr && !ca_certs_.empty()) return;
    // Without a readable first certificate the configuration is refused; when only a later
    // block is broken, connecting fails as loading the bundle would (SSLLoadingCerts).
    bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* first = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ERR_clear_error();
    if (first == nullptr)
      throw Error::Config(
          fmt::format("unable to load root certificates: unable to parse bytes as PEM "
                      "block ({})",
                      what),
          {config_.source_file, "", "certificate-authority"});
    X509_free(first);
    ca_unloadable_ = true;
  }

  // Loads the client certificate and key (data, or files whose change times are remembered).
  void LoadClientCertLocked() {
    std::string cert_pem = config_.client_cert_data, key_pem = config_.client_key_data;
    std::string why;
    std::error_code ec;
    if (cert_pem.empty()) {
      auto t = detail::TryReadFile(config_.client_cert_file, &why);
      if (!t)
        throw Error::Config(fmt::format("unable to read client-cert {} for {} due to {}",
                                        config_.client_cert_file, config_.user_name, why),
                            {config_.source_file, "", "client-certificate"});
      cert_pem = *t;
      cert_mtime_ = fs::last_write_time(config_.client_cert_file, ec);
    }
    if (key_pem.empty()) {
      auto t = detail::TryReadFile(config_.client_key_file, &why);
      if (!t)
        throw Error::Config(fmt::format("unable to read client-key {} for {} due to {}",
                                        config_.client_key_file, config_.user_name, why),
                            {config_.source_file, "", "client-key"});
      key_pem = *t;
      key_mtime_ = fs::last_write_time(config_.client_key_file, ec);
    }
    BIO* b = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
    X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    if (!cert)
      throw Error::Config("tls: failed to find any PEM data in certificate input",
                          {config_.source_file, "", "client-certificate"});
    // Through certs::Key: OpenSSL 3.0's PEM_read_bio_PrivateKey builds a decoder context per
    // call (about 1 ms); certs decodes the common key types directly.
    EVP_PKEY* key = nullptr;
    try {
      certs::Key parsed = certs::Key::FromPem(key_pem);
      key = parsed.get();
      EVP_PKEY_up_ref(key);
    } catch (const certs::Error&) {
      ERR_clear_error();
    }
    if (!key) {
      X509_free(cert);
      throw Error::Config("tls: failed to find any PEM data in key input",
                          {config_.source_file, "", "client-key"});
    }
    if (X509_check_private_key(cert, key) != 1) {
      X509_free(cert);
      EVP_PKEY_free(key);
      throw Error::Config("tls: private key does not match public key",
                          {config_.source_file, "", "client-key"});
    }
    if (cert_) X509_free(cert_);
    if (key_) EVP_PKEY_free(key_);
    cert_ = cert;
    key_ = key;
  }

  // Re-reads client certificate files when they changed; a changed pair starts new connections.
  void RefreshClientCertLocked() {
    if (config_.client_cert_file.empty() && config_.client_key_file.empty()) return;
    std::error_code ec1, ec2;
    auto c = config_.client_cert_file.empty() ? cert_mtime_
                                              : fs::last_write_time(config_.client_cert_file, ec1);
    auto k = config_.client_key_file.empty() ? key_mtime_
                                             : fs::last_write_time(config_.client_key_file, ec2);
    if (ec1 || ec2 || (c == cert_mtime_ && k == key_mtime_)) return;
    try {
      LoadClientCertLocked();
      generation_++;
      idle_.clear();
      http2_conns_.clear();
      spdlog::debug("client certificate files changed; reloaded");
    } catch (const Error& e) {
      spdlog::warn(
          "client certificate files changed but could not be reloaded ({}); keeping the old pair",
          e.what());
      cert_mtime_ = c;
      key_mtime_ = k;
    }
  }

  // A TLS client context with the configured trust (and a record of why a verification failed),
  // the client certificate and the protocols offered in ALPN: "h2" then "http/1.1" with
  // `offer_http2` (when HTTP/2 is on), "http/1.1" alone for an upgrade, none when HTTP/2 is
  // off (as Go's transport without HTTP/2). The caller owns the reference.
  SSL_CTX* NewTlsContextLocked(detail::VerifyRecord* record, bool offer_http2, bool upgrade) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    static constexpr unsigned char kH2AndHttp1[] = "\x02h2\x08http/1.1";
    static constexpr unsigned char kHttp1[] = "\x08http/1.1";
    if (http2_ && offer_http2) {
      SSL_CTX_set_alpn_protos(ctx, kH2AndHttp1, sizeof kH2AndHttp1 - 1);
    } else if (upgrade) {
      SSL_CTX_set_alpn_protos(ctx, kHttp1, sizeof kHttp1 - 1);
    }
    // OpenSSL verifies during the handshake (SSL_VERIFY_PEER, host name or IP included), so
    // nothing is sent to a server that fails.
    if (record != nullptr) {
      if (ca_certs_.empty()) {
        SSL_CTX_set_default_verify_paths(ctx);  // the system roots
      } else {
        X509_STORE* store = SSL_CTX_get_cert_store(ctx);
        for (X509* x : ca_certs_) X509_STORE_add_cert(store, x);
        for (X509_CRL* x : ca_crls_) X509_STORE_add_crl(store, x);
      }
      detail::InstallVerifyRecorder(ctx, record, check_name_);
    }
    if (cert_ && key_) {
      SSL_CTX_use_certificate(ctx, cert_);
      SSL_CTX_use_PrivateKey(ctx, key_);
    }
    return ctx;
  }

  // A client of its own; `offer_http2` false: an upgrade's, HTTP/1.1 only.
  Pooled NewClientLocked(bool offer_http2 = true) {
    Pooled p;
    p.generation = generation_;
    detail::DialPlan plan;
    plan.host = proxy_ ? proxy_->host : url_.host;
    plan.port = proxy_ ? proxy_->port : url_.port;
    plan.connect_timeout = config_.connect_timeout;
    if (config_.request_timeout.count() > 0) plan.io_timeout = config_.request_timeout;
    if (https_) {
      if (proxy_) plan.connect_authority = url_.HostPort();  // a tunnel through the proxy
      if (!config_.insecure) p.record = std::make_unique<detail::VerifyRecord>();
      plan.tls = NewTlsContextLocked(p.record.get(), offer_http2, !offer_http2);
      plan.server_name = check_name_;
    }
    p.client = std::make_unique<detail::DialingClient>(url_.host, url_.port, plan);
    if (http2_ && offer_http2) p.client->set_on_connected([this](bool h2) { Connected(h2); });
    if (plan.tls != nullptr) SSL_CTX_free(plan.tls);  // the client holds its own reference
    auto& c = *p.client;
    c.set_keep_alive(true);
    auto rt =
        config_.request_timeout.count() > 0 ? config_.request_timeout.count() : 24LL * 3600 * 1000;
    c.set_read_timeout(rt / 1000, (rt % 1000) * 1000);
    c.set_write_timeout(rt / 1000, (rt % 1000) * 1000);
    c.set_decompress(!config_.disable_compression);
    // Plain http through a proxy: absolute request targets to it (https goes through CONNECT).
    if (proxy_ && !https_) c.set_proxy(proxy_->host, proxy_->port);
    return p;
  }

  Pooled Acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (https_ && cert_) RefreshClientCertLocked();
    if (!idle_.empty()) {
      Pooled p = std::move(idle_.back());
      idle_.pop_back();
      return p;
    }
    return NewClientLocked();
  }

  Pooled NewClient() {
    std::lock_guard<std::mutex> lock(mu_);
    if (https_ && cert_) RefreshClientCertLocked();
    return NewClientLocked();
  }

  void Release(Pooled p) {
    std::lock_guard<std::mutex> lock(mu_);
    if (p.generation == generation_ && idle_.size() < 16) idle_.push_back(std::move(p));
  }

  // While no HTTP/2 connection has room, one caller dials (its turn) and the others wait to share
  // what it finds, as Go's transport dials once for many requests.
  struct DialTurn {
    HttpTransport* t;
    bool held = false;
    ~DialTurn() { End(); }
    void End() {
      if (!held) return;
      held = false;
      std::lock_guard<std::mutex> lock(t->mu_);
      t->dialing_ = false;
      t->dial_done_.notify_all();
    }
  };

  // A place for a stream on a shared HTTP/2 connection (the closed ones, and those after a
  // GOAWAY, are dropped), or nullptr: the server was last found to speak HTTP/1.1, or it is
  // `turn`'s caller's turn to dial (the others wait for that dial).
  std::shared_ptr<SharedHttp2> AcquireHttp2(DialTurn& turn) {
    std::unique_lock<std::mutex> lock(mu_);
    if (https_ && cert_) RefreshClientCertLocked();
    for (;;) {
      std::erase_if(http2_conns_, [](const auto& h2) { return !h2->conn->Open(); });
      for (const auto& h2 : http2_conns_) {
        if (h2->conn->Reserve()) return h2;
      }
      if (http1_seen_) return nullptr;
      if (!dialing_) {
        dialing_ = true;
        turn.held = true;
        return nullptr;
      }
      dial_done_.wait(lock);
    }
  }

  // A dial's TLS handshake is done: when the server chose HTTP/1.1, the callers waiting for the
  // dial (AcquireHttp2) go their own way.
  void Connected(bool http2) {
    if (http2) return;
    std::lock_guard<std::mutex> lock(mu_);
    http1_seen_ = true;
    dialing_ = false;
    dial_done_.notify_all();
  }

  // The HTTP/2 connection `p`'s dial found, shared from now on, with a place taken for the
  // caller's stream; nullptr when it ended before it could take one.
  std::shared_ptr<SharedHttp2> ShareHttp2(Pooled p) {
    auto h2 = std::make_shared<SharedHttp2>();
    h2->dialer = std::move(p);
    h2->conn = std::make_unique<detail::Http2Connection>(h2->dialer.client->TakeHttp2(),
                                                         config_.request_timeout, upkeep_);
    h2->conn->AwaitSettings();  // how many streams it takes
    const bool placed = h2->conn->Reserve();
    std::lock_guard<std::mutex> lock(mu_);
    if (h2->dialer.generation == generation_) http2_conns_.push_back(h2);
    http1_seen_ = false;
    return placed ? h2 : nullptr;
  }

  // A failed HTTP/2 round trip as an Error (the words are Go's transport's).
  Error Http2Failed(const detail::Http2Outcome& o, const Request& in, Clock::duration took) {
    Error e(ErrorKind::kConnectOther,
            fmt::format("{} \"{}\": {}", GoMethod(in.method), config_.server + in.path, o.message));
    if (o.kind == detail::Http2Outcome::Kind::kTimedOut ||
        (o.kind == detail::Http2Outcome::Kind::kBroken && config_.request_timeout.count() > 0 &&
         took >= config_.request_timeout)) {
      e = Error(ErrorKind::kConnectTimeout,
                fmt::format("{} \"{}\": net/http: request canceled (Client.Timeout exceeded "
                            "while awaiting headers)",
                            GoMethod(in.method), config_.server + in.path));
    }
    e.server = url_.HostPort();
    return e;
  }

  Error Classify(httplib::Error err, Pooled& p, const Request& in, Clock::duration took) {
    const std::string target = proxy_ ? proxy_->HostPort() : url_.HostPort();
    const std::string url = config_.server + in.path;
    auto make = [&](ErrorKind kind, const std::string& msg) {
      Error e(kind, msg);
      e.server = url_.HostPort();
      return e;
    };
    // A certificate OpenSSL rejected aborts the handshake (SSLConnection); the record says why.
    if (err == httplib::Error::SSLConnection && p.record && p.record->first_error != X509_V_OK) {
      Error e = detail::VerifyError(p.record->first_error, *p.record, check_name_);
      e.server = url_.HostPort();
      return e;
    }
    switch (err) {
      case httplib::Error::SSLConnection:
        return make(ErrorKind::kTlsOther,
                    fmt::format("{} \"{}\": remote error: tls: handshake failure (the server "
                                "refused the TLS handshake; a client certificate may be missing, "
                                "expired or untrusted)",
                                GoMethod(in.method), url));
      case httplib::Error::SSLLoadingCerts:
        return make(ErrorKind::kTlsOther,
                    fmt::format("unable to load root certificates from {}",
                                ca_label_.empty() ? "the system" : ca_label_));
      case httplib::Error::Connection:
      case httplib::Error::ConnectionTimeout:
        if (p.client->failure().stage == detail::ConnectFailure::Stage::kProxy)
          return make(ErrorKind::kConnectOther, fmt::format("proxyconnect tcp {}: {}", target,
                                                            p.client->failure().proxy_answer));
        return DialFailed(p.client->failure().dial, target, make);
      case httplib::Error::Read:
        if (config_.request_timeout.count() > 0 && took >= config_.request_timeout)
          return make(ErrorKind::kConnectTimeout,
                      fmt::format("{} \"{}\": net/http: request canceled (Client.Timeout exceeded "
                                  "while awaiting headers)",
                                  GoMethod(in.method), url));
        return make(ErrorKind::kConnectOther,
                    fmt::format("{} \"{}\": EOF (the connection closed before a complete answer)",
                                GoMethod(in.method), url));
      default:
        return make(ErrorKind::kConnectOther, fmt::format("{} \"{}\": {}", GoMethod(in.method), url,
                                                          httplib::to_string(err)));
    }
  }

  // A failed dial, as Go words it (the dialer kept the reason: no second dial).
  template <typename Make>
  Error DialFailed(const net::DialError& why, const std::string& target, Make make) {
    using Kind = net::DialError::Kind;
    switch (why.kind) {
      case Kind::kNoSuchHost:
        return make(ErrorKind::kConnectDns, fmt::format("dial tcp: lookup {}: no such host",
                                                        proxy_ ? proxy_->host : url_.host));
      case Kind::kRefused:
        return make(ErrorKind::kConnectRefused,
                    fmt::format("dial tcp {}: connect: connection refused", target));
      case Kind::kTimeout:
        return make(ErrorKind::kConnectTimeout, fmt::format("dial tcp {}: i/o timeout", target));
      default:
        return make(ErrorKind::kConnectOther,
                    fmt::format("dial tcp {}: connect: {}", target, why.detail));
    }
  }

  Config config_;
  detail::Url url_;
  bool https_ = false;
  bool http2_ = false;          // offered in ALPN (https, not turned off)
  detail::Http2Upkeep upkeep_;  // idle close and health check of the HTTP/2 connections
  std::string host_header_, check_name_;
  std::string ca_label_;  // the CA file, or "certificate-authority-data"
  std::vector<X509*> ca_certs_;
  std::vector<X509_CRL*> ca_crls_;
  bool ca_unloadable_ = false;  // the bundle has a good first certificate but a broken block
  std::optional<detail::Url> proxy_;
  std::mutex mu_;
  std::vector<Pooled> idle_;
  std::vector<std::shared_ptr<SharedHttp2>> http2_conns_;  // open, maybe full
  bool dialing_ = false;                                   // a caller's turn to dial (DialTurn)
  bool http1_seen_ = false;  // the last dial found HTTP/1.1: no one waits for a dial
  std::condition_variable dial_done_;
  uint64_t generation_ = 0;
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  fs::file_time_type cert_mtime_{}, key_mtime_{};
};

}  // namespace

std::shared_ptr<Transport> MakeHttpTransport(const Config& config, Env env) {
  return std::make_shared<HttpTransport>(config, env);
}

}  // namespace kubedouble::access
