// `kubectl proxy` compatibility: the request filter (kubectl's defaults and Go's host parsing)
// and forwarding through the proxy with the upstream's credentials, streaming included. Over 600
// lines because the upgrade fixtures (an upstream that upgrades, a raw client) serve every
// forwarding test below.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <thread>

#include "common/process.h"
#include "common/temp_dir.h"
#include "connect_proxy.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/proxy.h"
#include "kubedouble/certs/certs.h"
#include "local_server.h"

namespace kubedouble::access {
namespace {

using testing::LocalServer;

struct FilterCase {
  std::string method, path, host;
  bool accepted;
};

TEST(ProxyFilterDefaults, AsKubectl) {
  ProxyFilter f{ProxyOptions{}};
  std::vector<FilterCase> cases = {
      {"GET", "/api", "localhost:8001", true},
      {"GET", "/api/v1/pods", "127.0.0.1:8001", true},
      {"POST", "/api/v1/namespaces/default/pods", "127.0.0.1:8001", true},
      {"GET", "/api", "evil.example.com:8001", false},
      {"GET", "/api", "localhost", true},  // no port: the Host as it is
      {"GET", "/api", "[::1]", true},
      {"GET", "/api", "[::1]:8001", false},  // the host becomes ::1, which ^\[::1\]$ misses
      {"GET", "/api", "127.0.0.1.evil.com:8001", false},
      {"POST", "/api/v1/namespaces/default/pods/web/exec", "127.0.0.1:8001", false},
      {"GET", "/api/v1/namespaces/default/pods/web/attach", "localhost:8001", false},
      {"GET", "/api/v1/namespaces/default/pods/web/log", "localhost:8001", true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(f.Accept(c.method, c.path, c.host), c.accepted)
        << c.method << " " << c.path << " Host " << c.host;
}

TEST(ProxyFilterCustom, PatternsAreCommaSeparatedRe2) {
  ProxyOptions o;
  o.accept_paths = "^/api/v1/namespaces/default/.*,^/version$";
  o.reject_methods = "^POST$,^DELETE$";
  o.accept_hosts = ".*";
  ProxyFilter f(o);
  EXPECT_TRUE(f.Accept("GET", "/version", "anything:1"));
  EXPECT_TRUE(f.Accept("GET", "/api/v1/namespaces/default/pods", "x:1"));
  EXPECT_FALSE(f.Accept("GET", "/api/v1/namespaces/kube-system/pods", "x:1"));
  EXPECT_FALSE(f.Accept("POST", "/api/v1/namespaces/default/pods", "x:1"));
  EXPECT_FALSE(f.Accept("DELETE", "/version", "x:1"));
}

TEST(ProxyFilterCustom, BadPatternNamesTheFlag) {
  ProxyOptions o;
  o.accept_paths = "^(unclosed";
  try {
    ProxyFilter f(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("--accept-paths"));
  }
}

class ProxyForwarding : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bundle_ = new certs::Bundle(certs::MintBundle()); }
  static void TearDownTestSuite() { delete bundle_; }
  static certs::Bundle* bundle_;
};
certs::Bundle* ProxyForwarding::bundle_ = nullptr;

TEST_F(ProxyForwarding, ForwardsWithTheUpstreamCredentialsFiltersAndStreams) {
  LocalServer upstream(
      bundle_->server, nullptr, [](const httplib::Request& req, httplib::Response& res) {
        if (req.has_param("watch")) {
          auto sent = std::make_shared<int>(0);
          res.set_chunked_content_provider(
              "application/json", [sent](size_t, httplib::DataSink& sink) {
                if (*sent == 2) {
                  sink.done();
                  return true;
                }
                std::string frame = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p" +
                                    std::to_string((*sent)++) + "\"}}}\n";
                sink.write(frame.data(), frame.size());
                return true;
              });
          return;
        }
        if (req.path == "/api/v1/namespaces/default/pods/missing") {
          res.status = 404;
          res.set_content(R"({"kind":"Status","status":"Failure","reason":"NotFound","code":404})",
                          "application/json");
          return;
        }
        res.set_content(R"({"kind":"APIVersions","versions":["v1"]})", "application/json");
      });
  Config c;
  c.server = upstream.url();
  c.ca_data = bundle_->ca.cert.Pem();
  c.token = "proxy-token";
  ProxyOptions o;
  o.port = 0;
  Proxy proxy(c, o);
  proxy.Start();
  EXPECT_EQ(proxy.ListenAddress(), "127.0.0.1:" + std::to_string(proxy.port()));

  httplib::Client client("127.0.0.1", proxy.port());
  auto r = client.Get("/api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"kind":"APIVersions","versions":["v1"]})");
  EXPECT_EQ(upstream.last().authorization, "Bearer proxy-token");
  EXPECT_EQ(upstream.last().host, "127.0.0.1:" + std::to_string(upstream.port()));

  // The caller's own Authorization wins.
  client.Get("/api", httplib::Headers{{"Authorization", "Bearer mine"}});
  EXPECT_EQ(upstream.last().authorization, "Bearer mine");

  // Errors pass through.
  auto nf = client.Get("/api/v1/namespaces/default/pods/missing");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);

  // A foreign Host and a rejected path: 403 Forbidden\n.
  auto evil = client.Get("/api", httplib::Headers{{"Host", "evil.example.com:8001"}});
  ASSERT_TRUE(evil);
  EXPECT_EQ(evil->status, 403);
  EXPECT_EQ(evil->body, "Forbidden\n");
  EXPECT_EQ(evil->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  auto exec = client.Post("/api/v1/namespaces/default/pods/web/exec", "", "text/plain");
  ASSERT_TRUE(exec);
  EXPECT_EQ(exec->status, 403);

  // A watch streams through, frame by frame.
  std::string streamed;
  auto w = client.Get("/api/v1/namespaces/default/pods?watch=true", [&](const char* d, size_t n) {
    streamed.append(d, n);
    return true;
  });
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 200);
  EXPECT_EQ(streamed,
            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p0\"}}}\n"
            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p1\"}}}\n");
  proxy.Stop();
}

TEST_F(ProxyForwarding, UpstreamFailureIs500WithTheErrorText) {
  Config c;
  c.server = "https://127.0.0.1:1";
  c.insecure = true;
  ProxyOptions o;
  o.port = 0;
  Proxy proxy(c, o);
  proxy.Start();
  httplib::Client client("127.0.0.1", proxy.port());
  auto r = client.Get("/api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_THAT(r->body, ::testing::HasSubstr("connection refused"));
}

// ---- connection upgrades ----

// A TLS upstream that speaks just enough HTTP/1.1 for upgrades: .../portforward answers 101 and
// then echoes every byte back; /plain answers 200; /denied answers 403 with a Status. It
// records each request head.
class UpgradeUpstream {
 public:
  explicit UpgradeUpstream(const certs::KeyPair& serving) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx_, serving.cert.get());
    SSL_CTX_use_PrivateKey(ctx_, serving.key.get());
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~UpgradeUpstream() {
    stop_ = true;
    thread_.join();
    close(fd_);
    for (auto& t : conns_) t.join();
    SSL_CTX_free(ctx_);
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> l(mu_);
    return heads_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c >= 0) conns_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    timeval tv{10, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) == 1) {
      std::string buf;
      char tmp[4096];
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        int n = SSL_read(ssl, tmp, sizeof tmp);
        if (n <= 0) break;
        buf.append(tmp, n);
      }
      if (end != std::string::npos) {
        std::string head = buf.substr(0, end + 4), rest = buf.substr(end + 4);
        {
          std::lock_guard<std::mutex> l(mu_);
          heads_.push_back(head);
        }
        auto send = [&](const std::string& d) { SSL_write(ssl, d.data(), d.size()); };
        if (head.find("/portforward") != std::string::npos) {
          send(
              "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
              "X-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n");
          if (!rest.empty()) send(rest);
          int n;
          while ((n = SSL_read(ssl, tmp, sizeof tmp)) > 0) send(std::string(tmp, n));
        } else if (head.find("/denied") != std::string::npos) {
          std::string body =
              R"({"kind":"Status","status":"Failure","reason":"Forbidden","code":403})";
          send("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
        } else {
          send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok");
        }
      }
      SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(c);
  }

  SSL_CTX* ctx_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;  // only touched by the accept thread until it is joined
  std::mutex mu_;
  std::vector<std::string> heads_;
};

// A client of a proxy over a raw socket (TCP port, or a unix socket path).
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  explicit RawClient(const std::string& unix_path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", unix_path.c_str());
    ok_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() { close(fd_); }
  bool ok() const { return ok_; }
  void Send(const std::string& d) { ::send(fd_, d.data(), d.size(), MSG_NOSIGNAL); }
  // Reads until `want` bytes arrived after the head, or the peer closed, or 10 s passed.
  std::string Read(size_t want = 0) {
    std::string out;
    char tmp[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      size_t end = out.find("\r\n\r\n");
      if (end != std::string::npos && out.size() >= end + 4 + want) {
        // A Content-Length body: read it all.
        auto cl = out.find("Content-Length: ");
        if (cl == std::string::npos || cl > end) break;
        size_t len = std::stoul(out.substr(cl + 16));
        if (out.size() >= end + 4 + len) break;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      out.append(tmp, n);
    }
    return out;
  }
  // Reads `n` raw bytes (less when the peer closes or 10 s pass).
  std::string ReadBytes(size_t n) {
    std::string out;
    char tmp[4096];
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t got = recv(fd_, tmp, std::min(sizeof tmp, n - out.size()), 0);
      if (got <= 0) break;
      out.append(tmp, got);
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool ok_ = false;
};

std::string UpgradeRequest(const std::string& path, const std::string& host) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host +
         "\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: "
         "portforward.k8s.io\r\n\r\n";
}

std::string StatusLine(const std::string& answer) { return answer.substr(0, answer.find("\r\n")); }
std::string Body(const std::string& answer) {
  auto end = answer.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.substr(end + 4);
}

// A proxy (the token "proxy-token", an ephemeral port) in front of `upstream`, trusting `ca`,
// and a client that has asked it for a port-forward upgrade.
struct PortForwardThroughProxy {
  static Config ConfigFor(const UpgradeUpstream& upstream, const certs::KeyPair& ca) {
    Config c;
    c.server = upstream.url();
    c.ca_data = ca.cert.Pem();
    c.token = "proxy-token";
    return c;
  }
  static ProxyOptions Ephemeral() {
    ProxyOptions o;
    o.port = 0;
    return o;
  }
  PortForwardThroughProxy(const UpgradeUpstream& upstream, const certs::KeyPair& ca)
      : proxy(ConfigFor(upstream, ca), Ephemeral()) {
    proxy.Start();
    client = std::make_unique<RawClient>(proxy.port());
    client->Send(UpgradeRequest("/api/v1/namespaces/default/pods/web/portforward",
                                "127.0.0.1:" + std::to_string(proxy.port())));
  }
  Proxy proxy;
  std::unique_ptr<RawClient> client;
};

// What a proxy does with the upgrade cases, as a user of it sees them.
struct UpgradeOutcome {
  std::string upgraded_status, echoed, rejected_status, rejected_body, plain_status, plain_body,
      denied_status, denied_body;
};

UpgradeOutcome TryUpgrades(const std::function<std::unique_ptr<RawClient>()>& connect,
                           const std::string& host, bool early = false) {
  UpgradeOutcome o;
  {
    auto c = connect();
    // With `early`, bytes sent right behind the request (before the 101) reach the upstream
    // too. (kubectl proxy drops them: Go's Hijack leaves them in a buffer it ignores; real
    // clients wait for the 101.)
    c->Send(UpgradeRequest("/api/v1/namespaces/default/pods/web/portforward", host) +
            (early ? "early," : ""));
    std::string a = c->Read(early ? 6 : 0);
    o.upgraded_status = StatusLine(a);
    o.echoed = Body(a);
    c->Send("hello");
    o.echoed += c->ReadBytes(5);
  }
  {
    auto c = connect();
    c->Send(UpgradeRequest("/api/v1/namespaces/default/pods/web/exec?command=sh", host));
    std::string a = c->Read();
    o.rejected_status = StatusLine(a);
    o.rejected_body = Body(a);
  }
  {
    auto c = connect();
    c->Send(UpgradeRequest("/plain", host));
    std::string a = c->Read();
    o.plain_status = StatusLine(a);
    o.plain_body = Body(a);
  }
  {
    auto c = connect();
    c->Send(UpgradeRequest("/denied", host));
    std::string a = c->Read();
    o.denied_status = StatusLine(a);
    o.denied_body = Body(a);
  }
  return o;
}

TEST_F(ProxyForwarding, UpgradesArePipedBothWays) {
  UpgradeUpstream upstream(bundle_->server);
  Config c;
  c.server = upstream.url();
  c.ca_data = bundle_->ca.cert.Pem();
  c.token = "proxy-token";
  ProxyOptions o;
  o.port = 0;
  Proxy proxy(c, o);
  proxy.Start();
  const std::string host = "127.0.0.1:" + std::to_string(proxy.port());
  UpgradeOutcome got =
      TryUpgrades([&] { return std::make_unique<RawClient>(proxy.port()); }, host, true);
  EXPECT_EQ(got.upgraded_status, "HTTP/1.1 101 Switching Protocols");
  // The echo comes back in pieces; together they are what was sent.
  EXPECT_EQ(got.echoed, "early,hello");
  EXPECT_EQ(got.rejected_status, "HTTP/1.1 403 Forbidden");  // the default filter: exec
  EXPECT_EQ(got.rejected_body, "Forbidden\n");
  EXPECT_EQ(got.plain_status, "HTTP/1.1 500 Internal Server Error");
  EXPECT_EQ(got.plain_body, "invalid upgrade response: status code 200\n");
  EXPECT_EQ(got.denied_status, "HTTP/1.1 403 Forbidden");
  EXPECT_EQ(got.denied_body,
            R"({"kind":"Status","status":"Failure","reason":"Forbidden","code":403})");
  // The upstream saw the upgrade with the proxy's credentials, and never the exec.
  auto heads = upstream.heads();
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_THAT(heads[0], ::testing::StartsWith(
                            "GET /api/v1/namespaces/default/pods/web/portforward HTTP/1.1\r\n"));
  EXPECT_THAT(heads[0], ::testing::HasSubstr("Authorization: Bearer proxy-token\r\n"));
  EXPECT_THAT(heads[0], ::testing::HasSubstr("Upgrade: SPDY/3.1\r\n"));
  EXPECT_THAT(heads[0], ::testing::HasSubstr("Connection: Upgrade\r\n"));
  proxy.Stop();
}

// A port-forward carrying bulk both ways at once (kubectl port-forward of a busy port): the
// upstream echoes every byte and reads no more while its answers wait, so a proxy that writes
// the client's bytes upstream and reads the upstream's in turn on one thread stalls once the
// buffers between are full. Every byte comes back.
TEST_F(ProxyForwarding, AnUpgradeCarriesBulkBothWaysAtOnce) {
  UpgradeUpstream upstream(bundle_->server);
  PortForwardThroughProxy through(upstream, bundle_->ca);
  RawClient& client = *through.client;
  ASSERT_EQ(StatusLine(client.Read()), "HTTP/1.1 101 Switching Protocols");
  constexpr size_t kTotal = 64 << 20;
  std::thread sender([&] {
    const std::string chunk(64 << 10, 'k');
    for (size_t sent = 0; sent < kTotal; sent += chunk.size()) client.Send(chunk);
  });
  const std::string echoed = client.ReadBytes(kTotal);
  sender.join();
  EXPECT_EQ(echoed.size(), kTotal);
}

TEST_F(ProxyForwarding, UpgradeThroughProxyUrl) {
  UpgradeUpstream upstream(bundle_->server);
  testing::ConnectProxy connect;
  const std::string port = upstream.url().substr(upstream.url().rfind(':') + 1);
  Config c;
  c.server = "https://localhost:" + port;
  c.ca_data = bundle_->ca.cert.Pem();
  c.token = "proxy-token";
  c.proxy_url = connect.url();
  ProxyOptions o;
  o.port = 0;
  Proxy proxy(c, o);
  proxy.Start();
  RawClient client(proxy.port());
  client.Send(UpgradeRequest("/api/v1/namespaces/default/pods/web/portforward",
                             "127.0.0.1:" + std::to_string(proxy.port())));
  EXPECT_EQ(StatusLine(client.Read()), "HTTP/1.1 101 Switching Protocols");
  client.Send("through the proxy");
  EXPECT_EQ(client.ReadBytes(17), "through the proxy");
  ASSERT_EQ(connect.requests().size(), 1u);
  EXPECT_EQ(connect.requests()[0], "CONNECT localhost:" + port + " HTTP/1.1");
  ASSERT_EQ(upstream.heads().size(), 1u);
  EXPECT_THAT(upstream.heads()[0], ::testing::HasSubstr("Host: localhost:" + port + "\r\n"));
}

TEST_F(ProxyForwarding, UpgradeWithAnUntrustedUpstreamIs500) {
  UpgradeUpstream upstream(bundle_->rogue_server);
  PortForwardThroughProxy through(upstream, bundle_->ca);
  RawClient& client = *through.client;
  std::string a = client.Read();
  EXPECT_EQ(StatusLine(a), "HTTP/1.1 500 Internal Server Error");
  EXPECT_THAT(Body(a), ::testing::HasSubstr("x509: certificate signed by unknown authority"));
  EXPECT_TRUE(upstream.heads().empty());  // no credentials went to it
}

TEST_F(ProxyForwarding, UnixSocket) {
  LocalServer upstream(bundle_->server);
  test::TempDir dir;
  const std::string path = (dir / "proxy.sock").string();
  Config c;
  c.server = upstream.url();
  c.ca_data = bundle_->ca.cert.Pem();
  c.token = "proxy-token";
  ProxyOptions o;
  o.unix_socket = path;
  {
    Proxy proxy(c, o);
    proxy.Start();
    EXPECT_EQ(proxy.ListenAddress(), path);
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);  // umask 0077, as kubectl
    RawClient client(path);
    ASSERT_TRUE(client.ok());
    client.Send("GET /api HTTP/1.1\r\nHost: localhost\r\n\r\n");
    std::string a = client.Read();
    EXPECT_EQ(StatusLine(a), "HTTP/1.1 200 OK");
    EXPECT_EQ(Body(a), R"({"kind":"APIVersions","versions":["v1"]})");
    EXPECT_EQ(upstream.last().authorization, "Bearer proxy-token");
    // A second proxy replaces a socket file left behind (kubectl's ListenUnix).
    proxy.Stop();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  dir.Write("proxy.sock", "a regular file");
  o.unix_socket = path;
  Proxy refused(c, o);
  try {
    refused.Start();
    FAIL() << "a regular file at the socket path was replaced";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConfig);
    EXPECT_EQ(std::string(e.what()), "listen unix " + path + ": bind: address already in use");
  }
}

// kubedouble proxy and kubectl proxy against the same upstream: the same answers to the same
// upgrade requests (101 and the echo, the default filter's 403, a non-101 success as 500, an
// error passed through), and both serve on a unix socket.
TEST_F(ProxyForwarding, UpgradesAsKubectlProxy) {
  UpgradeUpstream upstream(bundle_->server);
  test::TempDir dir;
  auto b64 = [](const std::string& in) {
    std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    out.resize(n);
    return out;
  };
  auto kubeconfig = dir.Write(
      "kubeconfig",
      "apiVersion: v1\nkind: Config\nclusters:\n- name: up\n  cluster:\n    server: " +
          upstream.url() + "\n    certificate-authority-data: " + b64(bundle_->ca.cert.Pem()) +
          "\nusers:\n- name: u\n  user:\n    token: proxy-token\ncontexts:\n- name: "
          "c\n  context:\n    cluster: up\n    user: u\ncurrent-context: c\n");
  std::map<std::string, std::string> env = {{"KUBECACHEDIR", (dir / "cache").string()},
                                            {"HOME", dir.path().string()}};
  test::Process kubectl({"kubectl", "proxy", "--port=0", "--kubeconfig", kubeconfig.string()}, env);
  test::Process ours({KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig", kubeconfig.string()});
  int theirs_port = test::ProxyPort(kubectl), ours_port = test::ProxyPort(ours);
  ASSERT_GT(theirs_port, 0);
  ASSERT_GT(ours_port, 0);
  UpgradeOutcome theirs = TryUpgrades([&] { return std::make_unique<RawClient>(theirs_port); },
                                      "127.0.0.1:" + std::to_string(theirs_port));
  UpgradeOutcome got = TryUpgrades([&] { return std::make_unique<RawClient>(ours_port); },
                                   "127.0.0.1:" + std::to_string(ours_port));
  EXPECT_EQ(got.upgraded_status, theirs.upgraded_status);
  EXPECT_EQ(got.echoed, theirs.echoed);
  EXPECT_EQ(got.rejected_status, theirs.rejected_status);
  EXPECT_EQ(got.rejected_body, theirs.rejected_body);
  EXPECT_EQ(got.plain_status, theirs.plain_status);
  EXPECT_EQ(got.plain_body, theirs.plain_body);
  EXPECT_EQ(got.denied_status, theirs.denied_status);
  EXPECT_EQ(got.denied_body, theirs.denied_body);
  EXPECT_EQ(got.upgraded_status, "HTTP/1.1 101 Switching Protocols");

  // -u: both print the socket path as their ready line and answer over it.
  const std::string theirs_sock = (dir / "kubectl.sock").string(),
                    ours_sock = (dir / "ours.sock").string();
  test::Process kubectl_unix(
      {"kubectl", "proxy", "-u", theirs_sock, "--kubeconfig", kubeconfig.string()}, env);
  test::Process ours_unix(
      {KUBEDOUBLE_BINARY, "proxy", "-u", ours_sock, "--kubeconfig", kubeconfig.string()});
  EXPECT_EQ(kubectl_unix.FirstLine(), "Starting to serve on " + theirs_sock);
  EXPECT_EQ(ours_unix.FirstLine(), "Starting to serve on " + ours_sock);
  UpgradeOutcome theirs_u =
      TryUpgrades([&] { return std::make_unique<RawClient>(theirs_sock); }, "localhost");
  UpgradeOutcome got_u =
      TryUpgrades([&] { return std::make_unique<RawClient>(ours_sock); }, "localhost");
  EXPECT_EQ(got_u.upgraded_status, theirs_u.upgraded_status);
  EXPECT_EQ(got_u.echoed, theirs_u.echoed);
  EXPECT_EQ(got_u.rejected_status, theirs_u.rejected_status);
  struct stat a {
  }, b{};
  ASSERT_EQ(stat(theirs_sock.c_str(), &a), 0);
  ASSERT_EQ(stat(ours_sock.c_str(), &b), 0);
  EXPECT_EQ(a.st_mode, b.st_mode);
}

}  // namespace
}  // namespace kubedouble::access
