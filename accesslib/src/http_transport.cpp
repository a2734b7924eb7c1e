// The network layer: cpp-httplib clients (a pool, one connection each, kept alive) over OpenSSL.
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <openssl/pem.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <filesystem>

#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/transport.h"
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
    std::string entry = detail::Trim(no_proxy.substr(start, end - start));
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
        CheckPem(config.ca_data, "certificate-authority-data");
        ca_temp_ = WriteTemp(config.ca_data);
        ca_path_ = ca_temp_;
      } else if (!config.ca_file.empty()) {
        std::string why;
        auto pem = detail::TryReadFile(config.ca_file, &why);
        if (!pem)
          throw Error::Config(
              fmt::format("unable to read certificate-authority {} for {} due to {}",
                          config.ca_file, config.cluster_name, why),
              {config.source_file, "", "certificate-authority"});
        CheckPem(*pem, config.ca_file);
        ca_path_ = config.ca_file;
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
    if (!ca_temp_.empty()) {
      std::error_code ec;
      fs::remove(ca_temp_, ec);
    }
    if (cert_) X509_free(cert_);
    if (key_) EVP_PKEY_free(key_);
  }

  Response Send(const Request& in) override {
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

 private:
  static std::string ResolveNumeric(const std::string& host) {
    if (detail::IsIpAddress(host)) return host;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) return host;
    char buf[NI_MAXHOST] = {0};
    getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST);
    freeaddrinfo(res);
    return buf;
  }

  void CheckPem(const std::string& pem, const std::string& what) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (cert == nullptr)
      throw Error::Config(
          fmt::format("unable to load root certificates: unable to parse bytes as PEM "
                      "block ({})",
                      what),
          {config_.source_file, "", "certificate-authority"});
    X509_free(cert);
  }

  static std::string WriteTemp(const std::string& content) {
    std::string tmpl = (fs::temp_directory_path() / "kubedouble-ca-XXXXXX").string();
    int fd = mkstemp(tmpl.data());
    if (fd < 0) throw Error::Config("cannot write a temporary CA file", {});
    size_t off = 0;
    while (off < content.size()) {
      ssize_t n = write(fd, content.data() + off, content.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
    return tmpl;
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
    b = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
    BIO_free(b);
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
      if (config_.insecure) {
        c->enable_server_certificate_verification(false);
      } else {
        c->enable_server_certificate_verification(true);
        if (!ca_path_.empty()) c->set_ca_cert_path(ca_path_);
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
        return make(ErrorKind::kTlsOther, fmt::format("unable to load root certificates from {}",
                                                      ca_path_.empty() ? "the system" : ca_path_));
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
  std::string ca_path_, ca_temp_;
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
