// The network transport against local servers with certificates minted at run time: every TLS
// verification outcome, client certificates, tokens over TLS only, proxies, keep-alive.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "common/free_port.h"
#include "common/temp_dir.h"
#include "connect_proxy.h"
#include "kubedouble/accesslib/client.h"
#include "kubedouble/certs/certs.h"
#include "local_server.h"

namespace kubedouble::access {
namespace {

using testing::ConnectProxy;
using ::testing::HasSubstr;
using testing::LocalServer;
using ::testing::StartsWith;

constexpr const char* kUpstreamName = "upstream.kubedouble.test";

class Network : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certs::BundleOptions o;
    o.extra_sans = {kUpstreamName};
    bundle_ = new certs::Bundle(certs::MintBundle(o));
  }
  static void TearDownTestSuite() { delete bundle_; }
  static const certs::Bundle& B() { return *bundle_; }

  Config Base(const LocalServer& s, const std::string& host = "127.0.0.1") {
    Config c;
    c.server = s.url(host);
    c.ca_data = B().ca.cert.Pem();
    c.connect_timeout = std::chrono::seconds(5);
    return c;
  }
  static Error Fails(const Config& c) {
    try {
      Client(c).Get("/api");
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "the request succeeded";
    return Error(ErrorKind::kProtocol, "none");
  }

  test::TempDir dir_;
  static certs::Bundle* bundle_;
};
certs::Bundle* Network::bundle_ = nullptr;

TEST_F(Network, TokenWithCaDataAndUserAgent) {
  LocalServer s(B().server);
  Config c = Base(s);
  c.token = "tok";
  EXPECT_THAT(Client(c).Get("/api"), HasSubstr("APIVersions"));
  EXPECT_EQ(s.last().authorization, "Bearer tok");
  EXPECT_EQ(s.last().user_agent, UserAgent());
  EXPECT_THAT(UserAgent(), StartsWith("kubedouble/"));
}

TEST_F(Network, CaFile) {
  LocalServer s(B().server);
  Config c = Base(s);
  c.ca_data.clear();
  c.ca_file = dir_.Write("ca.crt", B().ca.cert.Pem()).string();
  EXPECT_NO_THROW(Client(c).Get("/api"));
}

TEST_F(Network, ClientCertificateDataAndFilesReReadWhenChanged) {
  LocalServer s(B().server, &B().ca);
  Config c = Base(s);
  c.client_cert_data = B().admin.cert.Pem();
  c.client_key_data = B().admin.key.PrivatePem();
  Client(c).Get("/api");
  EXPECT_EQ(s.last().client_cn, certs::kAdminUser);

  Config f = Base(s);
  f.client_cert_file = dir_.Write("u.crt", B().admin.cert.Pem()).string();
  f.client_key_file = dir_.Write("u.key", B().admin.key.PrivatePem()).string();
  Client client(f);
  client.Get("/api");
  EXPECT_EQ(s.last().client_cn, certs::kAdminUser);
  // Rotate the pair on disk: the next request presents the new certificate.
  auto second = certs::IssueClient(B().ca, {.user = "second-user", .groups = {}});
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a distinct file time
  dir_.Write("u.crt", second.cert.Pem());
  dir_.Write("u.key", second.key.PrivatePem());
  client.Get("/api");
  EXPECT_EQ(s.last().client_cn, "second-user");
}

TEST_F(Network, UnknownAuthority) {
  LocalServer s(B().rogue_server);
  Error e = Fails(Base(s));
  EXPECT_EQ(e.kind(), ErrorKind::kTlsUnknownAuthority);
  EXPECT_EQ(e.KubectlMessage(),
            "Unable to connect to the server: tls: failed to verify certificate: x509: certificate "
            "signed by unknown authority");
}

TEST_F(Network, SystemRootsDoNotTrustTheClusterCa) {
  LocalServer s(B().server);
  Config c = Base(s);
  c.ca_data.clear();
  EXPECT_EQ(Fails(c).kind(), ErrorKind::kTlsUnknownAuthority);
}

TEST_F(Network, HostNameMismatchByNameAndByIp) {
  LocalServer s(B().wrong_host_server);
  Error by_name = Fails(Base(s, "localhost"));
  EXPECT_EQ(by_name.kind(), ErrorKind::kTlsHostnameMismatch);
  EXPECT_THAT(by_name.what(), HasSubstr(std::string("x509: certificate is valid for ") +
                                        std::string(certs::kWrongHostName) + ", not localhost"));
  Error by_ip = Fails(Base(s));
  EXPECT_EQ(by_ip.kind(), ErrorKind::kTlsHostnameMismatch);
  EXPECT_THAT(by_ip.what(), HasSubstr("x509: cannot validate certificate for 127.0.0.1 because it "
                                      "doesn't contain any IP SANs"));
}

TEST_F(Network, TlsServerNameIsCheckedAndSentAsSni) {
  LocalServer s(B().wrong_host_server);
  Config c = Base(s);
  c.tls_server_name = std::string(certs::kWrongHostName);
  EXPECT_NO_THROW(Client(c).Get("/api"));
  EXPECT_EQ(s.last().sni, certs::kWrongHostName);
  EXPECT_EQ(s.last().host, "127.0.0.1:" + std::to_string(s.port()));
  // And a tls-server-name the certificate does not carry fails.
  LocalServer good(B().server);
  Config bad = Base(good);
  bad.tls_server_name = "not-in-the-cert.example";
  EXPECT_EQ(Fails(bad).kind(), ErrorKind::kTlsHostnameMismatch);
}

TEST_F(Network, ExpiredAndNotYetValid) {
  LocalServer expired(B().expired_server);
  Error e = Fails(Base(expired));
  EXPECT_EQ(e.kind(), ErrorKind::kTlsExpired);
  EXPECT_THAT(e.what(),
              HasSubstr("x509: certificate has expired or is not yet valid: current time"));
  EXPECT_THAT(e.what(), HasSubstr("is after"));
  LocalServer future(B().not_yet_valid_server);
  Error f = Fails(Base(future));
  EXPECT_EQ(f.kind(), ErrorKind::kTlsNotYetValid);
  EXPECT_THAT(f.what(), HasSubstr("is before"));
}

TEST_F(Network, InsecureAcceptsAnyCertificate) {
  LocalServer s(B().rogue_server);
  Config c = Base(s);
  c.ca_data.clear();
  c.insecure = true;
  c.token = "leaked";
  EXPECT_NO_THROW(Client(MakeTransport(c)).Get("/api"));
  EXPECT_EQ(s.last().authorization, "Bearer leaked");
}

TEST_F(Network, CredentialsNeverGoOverPlainHttp) {
  LocalServer s([](const httplib::Request&, httplib::Response& res) {
    res.set_content("{}", "application/json");
  });
  Config c;
  c.server = s.url();
  c.token = "secret";
  Client(c).Get("/api");
  EXPECT_EQ(s.last().authorization, "");
}

TEST_F(Network, ConnectionRefused) {
  Config c;
  c.server = "https://127.0.0.1:" + std::to_string(kubedouble::test::FreePort());
  c.insecure = true;
  Error e = Fails(c);
  EXPECT_EQ(e.kind(), ErrorKind::kConnectRefused);
  EXPECT_EQ(e.KubectlMessage(), "The connection to the server 127.0.0.1:" + e.server.substr(10) +
                                    " was refused - did you specify the right host or port?");
}

TEST_F(Network, NameResolutionFailure) {
  Config c;
  c.server = "https://no-such-host.invalid:6443";
  c.insecure = true;
  Error e = Fails(c);
  EXPECT_EQ(e.kind(), ErrorKind::kConnectDns);
  EXPECT_THAT(e.what(), HasSubstr("no such host"));
}

TEST_F(Network, RotatedTokenFileAfter401) {
  std::string token_path = dir_.Write("token", "first").string();
  std::mutex mu;
  std::string accepted = "first";
  LocalServer s(B().server, nullptr, [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(mu);
    if (req.get_header_value("Authorization") != "Bearer " + accepted) {
      res.status = 401;
      res.set_content(
          R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})",
          "application/json");
      return;
    }
    res.set_content("{}", "application/json");
  });
  Config c = Base(s);
  c.token_file = token_path;
  c.token_refresh = std::chrono::hours(1);
  Client client(c);
  client.Get("/api");
  {
    std::lock_guard<std::mutex> l(mu);
    accepted = "second";  // the server rotated it, then the kubelet wrote the new one
  }
  dir_.Write("token", "second\n");
  try {
    client.Get("/api");  // 401, forced re-read, one retry
  } catch (const Error& e) {
    FAIL() << e.what();
  }
  // A token the server no longer accepts, with no newer one on disk: 401, kubectl's message.
  {
    std::lock_guard<std::mutex> l(mu);
    accepted = "third";
  }
  try {
    client.Get("/api");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.http().code, 401);
    EXPECT_EQ(e.KubectlMessage(), "error: You must be logged in to the server (Unauthorized)");
  }
}

TEST_F(Network, TooManyRequestsWithRetryAfterIsRetried) {
  std::atomic<int> calls{0};
  LocalServer s(B().server, nullptr, [&](const httplib::Request&, httplib::Response& res) {
    if (calls++ < 2) {
      res.status = 429;
      res.set_header("Retry-After", "0");
      res.set_content(
          R"({"kind":"Status","status":"Failure","reason":"TooManyRequests","code":429})",
          "application/json");
      return;
    }
    res.set_content("{\"ok\":true}", "application/json");
  });
  EXPECT_EQ(Client(Base(s)).Get("/api"), "{\"ok\":true}");
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(Network, ProxyUrlUsesConnect) {
  LocalServer s(B().server);
  ConnectProxy proxy;
  Config c = Base(s, kUpstreamName);  // only the proxy knows where this name is
  c.proxy_url = proxy.url();
  c.token = "t";
  EXPECT_NO_THROW(Client(c).Get("/api"));
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(proxy.requests()[0],
            "CONNECT " + std::string(kUpstreamName) + ":" + std::to_string(s.port()) + " HTTP/1.1");
  EXPECT_EQ(s.last().authorization, "Bearer t");
}

TEST_F(Network, HttpsProxyAndNoProxyFromTheEnvironment) {
  LocalServer s(B().server);
  ConnectProxy proxy;
  Config c = Base(s, kUpstreamName);
  std::map<std::string, std::string> env = {{"HTTPS_PROXY", proxy.url()}};
  auto getenv = [&env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_NO_THROW(Client(c.namespace_name.empty() ? c : c).transport());
  EXPECT_NO_THROW(Client(MakeTransport(c, getenv)).Get("/api"));
  EXPECT_EQ(proxy.requests().size(), 1u);
  env["NO_PROXY"] = "example.com,.kubedouble.test";
  try {
    Client(MakeTransport(c, getenv)).Get("/api");
    FAIL() << "NO_PROXY should have sent the request directly (and the name does not resolve)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnectDns);
  }
  EXPECT_EQ(proxy.requests().size(), 1u);
}

TEST_F(Network, RequestTimeout) {
  LocalServer s(B().server, nullptr, [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    res.set_content("{}", "application/json");
  });
  Config c = Base(s);
  c.request_timeout = std::chrono::milliseconds(300);
  Error e = Fails(c);
  EXPECT_EQ(e.kind(), ErrorKind::kConnectTimeout);
  EXPECT_THAT(e.what(), HasSubstr("Client.Timeout exceeded while awaiting headers"));
}

TEST_F(Network, KeepAliveAndThreads) {
  LocalServer s(B().server);
  Client client(Base(s));
  for (int i = 0; i < 20; i++) client.Get("/api");
  EXPECT_EQ(s.connections(), 1u);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < 25; i++)
        if (client.Get("/api").find("APIVersions") != std::string::npos) ok++;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(s.connections(), 5u);
}

}  // namespace
}  // namespace kubedouble::access
