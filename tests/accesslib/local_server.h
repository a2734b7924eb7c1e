// A small HTTPS (or HTTP) server for the transport tests: serves a minted certificate,
// optionally asks for client certificates, and records what each request carried.
#pragma once

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kubedouble/certs/certs.h"

namespace kubedouble::access::testing {

struct Seen {
  std::string authorization, user_agent, client_cn, sni, host, path;
};

class LocalServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // HTTPS with `serving`; client certificates signed by `client_ca` are asked for (optional).
  LocalServer(const certs::KeyPair& serving, const certs::KeyPair* client_ca = nullptr,
              Handler handler = nullptr)
      : handler_(std::move(handler)) {
    auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
      SSL_CTX_use_certificate(&ctx, serving.cert.get());
      SSL_CTX_use_PrivateKey(&ctx, serving.key.get());
      if (client_ca) {
        X509_STORE* store = SSL_CTX_get_cert_store(&ctx);
        X509_STORE_add_cert(store, client_ca->cert.get());
        SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
      }
      return true;
    });
    server_ = std::move(server);
    Start();
  }
  // Plain HTTP.
  explicit LocalServer(Handler handler) : handler_(std::move(handler)) {
    server_ = std::make_unique<httplib::Server>();
    Start();
  }
  ~LocalServer() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const {
    return std::string(dynamic_cast<httplib::SSLServer*>(server_.get()) ? "https://" : "http://") +
           (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port_);
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  Seen last() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_.empty() ? Seen{} : seen_.back();
  }
  size_t connections() {
    std::lock_guard<std::mutex> l(mu_);
    return remote_ports_.size();
  }

 private:
  void Start() {
    server_->new_task_queue = [] { return new httplib::ThreadPool(16); };
    server_->set_keep_alive_max_count(100000);
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      Seen s;
      s.authorization = req.get_header_value("Authorization");
      s.user_agent = req.get_header_value("User-Agent");
      s.host = req.get_header_value("Host");
      s.path = req.path;
      if (req.ssl) {
        if (const char* sni = SSL_get_servername(req.ssl, TLSEXT_NAMETYPE_host_name)) s.sni = sni;
        if (X509* peer = SSL_get1_peer_certificate(req.ssl)) {
          char cn[256] = {0};
          X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
          s.client_cn = cn;
          X509_free(peer);
        }
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        seen_.push_back(s);
        remote_ports_.insert(req.remote_port);
      }
      if (handler_) {
        handler_(req, res);
      } else {
        res.set_content(R"({"kind":"APIVersions","versions":["v1"]})", "application/json");
      }
    };
    server_->Get(".*", record);
    server_->Post(".*", record);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
  }

  std::unique_ptr<httplib::Server> server_;
  Handler handler_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::set<int> remote_ports_;
};

}  // namespace kubedouble::access::testing
