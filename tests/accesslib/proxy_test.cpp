// `kubectl proxy` compatibility: the request filter (kubectl's defaults and Go's host parsing)
// and forwarding through the proxy with the upstream's credentials, streaming included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

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

}  // namespace
}  // namespace kubedouble::access
