// The network layer: cpp-httplib clients (a pool, one connection each, kept alive) over OpenSSL.
// Over 600 lines: it is one class, HttpTransport, whose parts (the pool, the TLS material loaded
// once, the upgrade path, the error classification) share its members and its lock.
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>

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

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

struct Pooled {
  std::unique_ptr<httplib::ClientImpl> client;
  httplib::SSLClient* ssl = nullptr;  // same object when https
  std::unique_ptr<detail::VerifyRecord> record;
  uint64_t generation = 0;
};

// A connection after 101 Switching Protocols (plain or TLS), non-blocking for reading.
class SocketTunnel : public Tunnel {
 public:
  SocketTunnel(int fd, SSL_CTX* ctx, SSL* ssl, std::unique_ptr<detail::VerifyRecord> record,
               std::string pending)
      : fd_(fd), ctx_(ctx), ssl_(ssl), record_(std::move(record)), pending_(std::move(pending)) {
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~SocketTunnel() override {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (ctx_) SSL_CTX_free(ctx_);
    ::shutdown(fd_, SHUT_RDWR);
    close(fd_);
  }
  long Read(char* buf, size_t size) override {
    if (!pending_.empty()) {
      size_t n = std::min(size, pending_.size());
      std::memcpy(buf, pending_.data(), n);
      pending_.erase(0, n);
      return static_cast<long>(n);
    }
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(size, 1 << 20)));
      if (n > 0) return n;
      int e = SSL_get_error(ssl_, n);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return kAgain;
      if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) return 0;
      return -1;
    }
    ssize_t n = recv(fd_, buf, size, 0);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kAgain : -1;
    return static_cast<long>(n);
  }
  bool Write(std::string_view data) override {
    size_t off = 0;
    while (off < data.size()) {
      int want = POLLOUT;
      if (ssl_) {
        ERR_clear_error();
        int n = SSL_write(ssl_, data.data() + off,
                          static_cast<int>(std::min<size_t>(data.size() - off, 1 << 20)));
        if (n > 0) {
          off += static_cast<size_t>(n);
          continue;
        }
        int e = SSL_get_error(ssl_, n);
        if (e == SSL_ERROR_WANT_READ)
          want = POLLIN;
        else if (e != SSL_ERROR_WANT_WRITE)
          return false;
      } else {
        ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
          off += static_cast<size_t>(n);
          continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
      }
      pollfd p{fd_, static_cast<short>(want), 0};
      if (poll(&p, 1, 30000) <= 0) return false;
    }
    return true;
  }
  bool Pending() const override { return !pending_.empty() || (ssl_ && SSL_pending(ssl_) > 0); }
  int fd() const override { return fd_; }

 private:
  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  std::unique_ptr<detail::VerifyRecord> record_;  // referenced by ctx_'s verify callback
  std::string pending_;
};

// Blocking reads and writes on a socket or its TLS session, for the upgrade's request and head.
struct Conn {
  int fd = -1;
  SSL* ssl = nullptr;
  bool Write(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      long n = ssl ? SSL_write(ssl, data.data() + off, static_cast<int>(data.size() - off))
                   : send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  long Read(char* buf, size_t n) {
    return ssl ? SSL_read(ssl, buf, static_cast<int>(n)) : recv(fd, buf, n, 0);
  }
  // Reads up to the end of an HTTP head; `rest` gets the bytes after it. False on EOF/error.
  bool ReadHead(std::string* head, std::string* rest) {
    std::string buf;
    char tmp[4096];
    while (buf.size() < 64 * 1024) {
      long n = Read(tmp, sizeof tmp);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
      if (auto end = buf.find("\r\n\r\n"); end != std::string::npos) {
        *head = buf.substr(0, end + 2);
        *rest = buf.substr(end + 4);
        return true;
      }
    }
    return false;
  }
};

// "HTTP/1.1 101 Switching Protocols\r\nA: b\r\n" -> status and headers; false when malformed.
bool ParseHead(const std::string& head, Response* out) {
  size_t eol = head.find("\r\n");
  std::string line = head.substr(0, eol);
  if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return false;
  out->status = std::atoi(line.substr(9, 3).c_str());
  if (out->status < 100 || out->status > 999) return false;
  size_t at = eol + 2;
  while (at < head.size()) {
    size_t end = head.find("\r\n", at);
    if (end == std::string::npos) end = head.size();
    std::string h = head.substr(at, end - at);
    at = end + 2;
    auto colon = h.find(':');
    if (colon == std::string::npos) continue;
    out->headers.emplace(base::Trim(h.substr(0, colon)), base::Trim(h.substr(colon + 1)));
  }
  return true;
}

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
    host_header_ =
        url_.explicit_port
            ? url_.HostPort()
            : (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host);
    connect_host_ = url_.host;
    if (https_) {
      check_name_ = config.tls_server_name.empty() ? url_.host : config.tls_server_name;
      if (!config.tls_server_name.empty() && config.tls_server_name != url_.host) {
        // httplib sends SNI and checks the name of the host it connects to: connect to the
        // tls-server-name and map it to the real address.
        connect_host_ = config.tls_server_name;
        addr_map_[connect_host_] = ResolveNumeric(url_.host);
      }
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
    Pooled p = Acquire();
    httplib::Request req;
    req.method = in.method;
    req.path = url_.path + in.path;
    for (const auto& [k, v] : in.headers) req.headers.emplace(k, v);
    if (!req.has_header("Host")) req.headers.emplace("Host", host_header_);
    if (!req.has_header("User-Agent")) req.headers.emplace("User-Agent", UserAgent());
    req.body = in.body;
    if (!in.body.empty() && !req.has_header("Content-Type"))
      req.headers.emplace("Content-Type", "application/json");

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
      Error e = Classify(err, p, in, Clock::now() - started);
      throw e;
    }
    Release(std::move(p));
    if (!streaming) {
      out.status = res.status;
      for (const auto& [k, v] : res.headers) out.headers.emplace(k, v);
      out.body = std::move(res.body);
    }
    // kubectl -v=6 style request log.
    spdlog::debug(
        "{} {}{} {} in {} milliseconds", in.method, config_.server, in.path, out.status,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    return out;
  }

  std::unique_ptr<Tunnel> Upgrade(const Request& in, Response* head) override {
    if (ca_unloadable_) {
      Error e(ErrorKind::kTlsOther,
              fmt::format("unable to load root certificates from {}", ca_label_));
      e.server = url_.HostPort();
      throw e;
    }
    const std::string url = config_.server + in.path;
    const std::string target = proxy_ ? proxy_->HostPort() : url_.HostPort();
    auto make = [&](ErrorKind kind, const std::string& msg) {
      Error e(kind, msg);
      e.server = url_.HostPort();
      return e;
    };
    auto started = Clock::now();
    int fd =
        Dial(proxy_ ? proxy_->host : (addr_map_.empty() ? url_.host : addr_map_.begin()->second),
             proxy_ ? proxy_->port : url_.port);
    if (fd < 0) throw Probe(httplib::Error::Connection, Clock::now() - started, target, make);
    struct Closer {
      int fd;
      SSL_CTX* ctx = nullptr;
      SSL* ssl = nullptr;
      ~Closer() {
        if (ssl) SSL_free(ssl);
        if (ctx) SSL_CTX_free(ctx);
        if (fd >= 0) close(fd);
      }
    } guard{fd};
    Conn conn{fd, nullptr};
    std::string head_text, rest;
    if (proxy_) {
      const std::string hp = url_.HostPort();
      if (!conn.Write(fmt::format("CONNECT {} HTTP/1.1\r\nHost: {}\r\n\r\n", hp, hp)) ||
          !conn.ReadHead(&head_text, &rest))
        throw make(ErrorKind::kConnectOther,
                   fmt::format("proxyconnect tcp {}: the proxy closed the connection", target));
      Response connect;
      if (!ParseHead(head_text, &connect) || connect.status != 200)
        throw make(ErrorKind::kConnectOther,
                   fmt::format("proxyconnect tcp {}: {}", target,
                               head_text.substr(0, head_text.find("\r\n"))));
    }
    std::unique_ptr<detail::VerifyRecord> record;
    if (https_) {
      guard.ctx = SSL_CTX_new(TLS_client_method());
      SSL_CTX_set_min_proto_version(guard.ctx, TLS1_2_VERSION);
      if (!config_.insecure) {
        if (ca_certs_.empty()) {
          SSL_CTX_set_default_verify_paths(guard.ctx);
        } else {
          X509_STORE* store = SSL_CTX_get_cert_store(guard.ctx);
          for (X509* x : ca_certs_) X509_STORE_add_cert(store, x);
          for (X509_CRL* x : ca_crls_) X509_STORE_add_crl(store, x);
        }
        record = std::make_unique<detail::VerifyRecord>();
        detail::InstallVerifyRecorder(guard.ctx, record.get(), check_name_);
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (cert_) RefreshClientCertLocked();
        if (cert_ && key_) {
          SSL_CTX_use_certificate(guard.ctx, cert_);
          SSL_CTX_use_PrivateKey(guard.ctx, key_);
        }
      }
      guard.ssl = SSL_new(guard.ctx);
      SSL_set_fd(guard.ssl, fd);
      if (!base::IsIpAddress(connect_host_))
        SSL_set_tlsext_host_name(guard.ssl, connect_host_.c_str());
      ERR_clear_error();
      if (SSL_connect(guard.ssl) != 1) {
        if (record && record->first_error != X509_V_OK) {
          Error e = detail::VerifyError(record->first_error, *record, check_name_);
          e.server = url_.HostPort();
          throw e;
        }
        throw make(ErrorKind::kTlsOther,
                   fmt::format("{} \"{}\": remote error: tls: handshake failure (the server "
                               "refused the TLS handshake; a client certificate may be missing, "
                               "expired or untrusted)",
                               GoMethod(in.method), url));
      }
      conn.ssl = guard.ssl;
    }
    std::string request = fmt::format("{} {} HTTP/1.1\r\n", in.method, url_.path + in.path);
    if (!in.headers.count("Host")) request += "Host: " + host_header_ + "\r\n";
    if (!in.headers.count("User-Agent")) request += "User-Agent: " + UserAgent() + "\r\n";
    for (const auto& [k, v] : in.headers) request += k + ": " + v + "\r\n";
    if (!in.body.empty() && !in.headers.count("Content-Length"))
      request += fmt::format("Content-Length: {}\r\n", in.body.size());
    request += "\r\n" + in.body;
    if (!conn.Write(request) || !conn.ReadHead(&head_text, &rest) || !ParseHead(head_text, head))
      throw make(ErrorKind::kConnectOther,
                 fmt::format("{} \"{}\": EOF (the connection closed before a complete answer)",
                             GoMethod(in.method), url));
    spdlog::debug(
        "{} {}{} {} (upgrade) in {} milliseconds", in.method, config_.server, in.path, head->status,
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    if (head->status == 101) {
      timeval none{0, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
      auto tunnel = std::make_unique<SocketTunnel>(fd, guard.ctx, guard.ssl, std::move(record),
                                                   std::move(rest));
      guard.fd = -1;
      guard.ctx = nullptr;
      guard.ssl = nullptr;
      return tunnel;
    }
    // Not upgraded: the whole answer (Content-Length, chunked, or up to the close).
    ReadBody(conn, *head, std::move(rest), &head->body);
    return nullptr;
  }

 private:
  // A connected TCP socket (blocking, with the request timeout for reads and writes), or -1.
  int Dial(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return -1;
    int fd = -1;
    for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
      fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      bool ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
      if (!ok && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int err = 0;
        socklen_t len = sizeof err;
        ok = poll(&p, 1, static_cast<int>(config_.connect_timeout.count())) == 1 &&
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
      }
      if (!ok) {
        close(fd);
        fd = -1;
      }
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (config_.request_timeout.count() > 0) {
      auto ms = config_.request_timeout.count();
      timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    return fd;
  }

  static void ReadBody(Conn& conn, const Response& head, std::string data, std::string* body) {
    constexpr size_t kMax = 4 << 20;
    char tmp[4096];
    auto more = [&] {
      long n = conn.Read(tmp, sizeof tmp);
      if (n <= 0) return false;
      data.append(tmp, static_cast<size_t>(n));
      return data.size() < kMax;
    };
    std::string length = head.Header("Content-Length");
    if (!length.empty()) {
      size_t want = std::min<size_t>(std::strtoull(length.c_str(), nullptr, 10), kMax);
      while (data.size() < want && more()) {
      }
      *body = data.substr(0, std::min(want, data.size()));
      return;
    }
    if (strcasecmp(head.Header("Transfer-Encoding").c_str(), "chunked") == 0) {
      size_t at = 0;
      while (true) {
        size_t eol;
        while ((eol = data.find("\r\n", at)) == std::string::npos && more()) {
        }
        if (eol == std::string::npos) return;
        size_t size = std::strtoull(data.substr(at, eol - at).c_str(), nullptr, 16);
        if (size == 0) return;
        while (data.size() < eol + 2 + size + 2 && more()) {
        }
        if (data.size() < eol + 2 + size) return;
        body->append(data, eol + 2, size);
        at = eol + 2 + size + 2;
      }
    }
    if (head.status == 204 || head.status == 304) return;
    while (more()) {
    }
    *body = std::move(data);
  }

  static std::string ResolveNumeric(const std::string& host) {
    if (base::IsIpAddress(host)) return host;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return host;
    char buf[NI_MAXHOST] = {0};
    getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    return buf;
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
      spdlog::debug("client certificate files changed; reloaded");
    } catch (const Error& e) {
      spdlog::warn(
          "client certificate files changed but could not be reloaded ({}); keeping the old pair",
          e.what());
      cert_mtime_ = c;
      key_mtime_ = k;
    }
  }

  Pooled NewClientLocked() {
    Pooled p;
    p.generation = generation_;
    if (https_) {
      auto* c = cert_ ? new httplib::SSLClient(connect_host_, url_.port, cert_, key_)
                      : new httplib::SSLClient(connect_host_, url_.port);
      p.client.reset(c);
      p.ssl = c;
      SSL_CTX* ctx = c->ssl_context();
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
      // httplib's own verification stays off: it would load the system roots besides the
      // configured CA, and only after the handshake. OpenSSL verifies during the handshake
      // (SSL_VERIFY_PEER, host name or IP included), so nothing is sent to a server that fails.
      c->enable_server_certificate_verification(false);
      if (!config_.insecure) {
        if (ca_certs_.empty()) {
          SSL_CTX_set_default_verify_paths(ctx);  // the system roots
        } else {
          X509_STORE* store = SSL_CTX_get_cert_store(ctx);
          for (X509* x : ca_certs_) X509_STORE_add_cert(store, x);
          for (X509_CRL* x : ca_crls_) X509_STORE_add_crl(store, x);
        }
        p.record = std::make_unique<detail::VerifyRecord>();
        detail::InstallVerifyRecorder(ctx, p.record.get(), check_name_);
      }
      if (!addr_map_.empty()) c->set_hostname_addr_map(addr_map_);
    } else {
      p.client = std::make_unique<httplib::ClientImpl>(url_.host, url_.port);
    }
    auto& c = *p.client;
    c.set_keep_alive(true);
    c.set_tcp_nodelay(true);
    auto ct = config_.connect_timeout.count();
    c.set_connection_timeout(ct / 1000, (ct % 1000) * 1000);
    auto rt =
        config_.request_timeout.count() > 0 ? config_.request_timeout.count() : 24LL * 3600 * 1000;
    c.set_read_timeout(rt / 1000, (rt % 1000) * 1000);
    c.set_write_timeout(rt / 1000, (rt % 1000) * 1000);
    c.set_decompress(!config_.disable_compression);
    if (proxy_) c.set_proxy(proxy_->host, proxy_->port);
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

  void Release(Pooled p) {
    std::lock_guard<std::mutex> lock(mu_);
    if (p.generation == generation_ && idle_.size() < 16) idle_.push_back(std::move(p));
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
    if ((err == httplib::Error::SSLConnection || err == httplib::Error::SSLServerVerification) &&
        p.record && p.record->first_error != X509_V_OK) {
      Error e = detail::VerifyError(p.record->first_error, *p.record, check_name_);
      e.server = url_.HostPort();
      return e;
    }
    switch (err) {
      case httplib::Error::SSLServerVerification:
        return [&] {
          Error e = detail::VerifyError(p.ssl ? p.ssl->get_openssl_verify_result() : 0, *p.record,
                                        check_name_);
          e.server = url_.HostPort();
          return e;
        }();
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
        return Probe(err, took, target, make);
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

  // httplib does not say why a connection failed: resolve and dial once more to find out.
  template <typename Make>
  Error Probe(httplib::Error err, Clock::duration took, const std::string& target, Make make) {
    const std::string host =
        proxy_ ? proxy_->host : (addr_map_.empty() ? url_.host : addr_map_.begin()->second);
    const int port = proxy_ ? proxy_->port : url_.port;
    if (err == httplib::Error::ConnectionTimeout ||
        took >= config_.connect_timeout - std::chrono::milliseconds(50))
      return make(ErrorKind::kConnectTimeout, fmt::format("dial tcp {}: i/o timeout", target));
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0 || res == nullptr)
      return make(ErrorKind::kConnectDns, fmt::format("dial tcp: lookup {}: no such host", host));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int result = fd < 0 ? errno : 0;
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
      result = errno;
      if (result == EINPROGRESS) {
        pollfd pfd{fd, POLLOUT, 0};
        int n = poll(&pfd, 1, static_cast<int>(config_.connect_timeout.count()));
        if (n == 0) {
          result = ETIMEDOUT;
        } else {
          socklen_t len = sizeof result;
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &result, &len);
        }
      }
    }
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    if (result == ECONNREFUSED)
      return make(ErrorKind::kConnectRefused,
                  fmt::format("dial tcp {}: connect: connection refused", target));
    if (result == ETIMEDOUT)
      return make(ErrorKind::kConnectTimeout, fmt::format("dial tcp {}: i/o timeout", target));
    if (result != 0)
      return make(ErrorKind::kConnectOther,
                  fmt::format("dial tcp {}: connect: {}", target, std::strerror(result)));
    return make(ErrorKind::kConnectOther,
                fmt::format("dial tcp {}: the connection failed{}", target,
                            proxy_ ? " (through the proxy)" : ""));
  }

  Config config_;
  detail::Url url_;
  bool https_ = false;
  std::string host_header_, connect_host_, check_name_;
  std::map<std::string, std::string> addr_map_;
  std::string ca_label_;  // the CA file, or "certificate-authority-data"
  std::vector<X509*> ca_certs_;
  std::vector<X509_CRL*> ca_crls_;
  bool ca_unloadable_ = false;  // the bundle has a good first certificate but a broken block
  std::optional<detail::Url> proxy_;
  std::mutex mu_;
  std::vector<Pooled> idle_;
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
