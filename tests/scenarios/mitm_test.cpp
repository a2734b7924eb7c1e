// The MITM interceptor: an --insecure client hands it the token; a verifying client refuses.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "common/shell.h"
#include "kubedouble/fakeserver/faults.h"
#include "kubedouble/fakeserver/mitm.h"
#include "kubedouble/fakeserver/server.h"
#include "reliability/raw_tls.h"

namespace kubedouble::fake {
namespace {

class MitmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mitm_ = std::make_unique<Mitm>(
        MitmOptions{.upstream = server_.url(),
                    .cert_file = server_.paths().pki_dir / "rogue-server.crt",
                    .key_file = server_.paths().pki_dir / "rogue-server.key",
                    .faults = {}});
    mitm_->Start();
  }
  // A fault front: the interceptor with the real serving certificate (clients that verify
  // accept it) and `rules`, started.
  std::unique_ptr<Mitm> FaultFront(std::vector<FaultRule> rules) {
    auto front =
        std::make_unique<Mitm>(MitmOptions{.upstream = server_.url(),
                                           .cert_file = server_.paths().pki_dir / "server.crt",
                                           .key_file = server_.paths().pki_dir / "server.key",
                                           .faults = std::move(rules)});
    front->Start();
    return front;
  }
  // The admin, through `front`, verifying it against the cluster CA.
  std::unique_ptr<httplib::Client> AdminClient(const Mitm& front) {
    auto c = std::make_unique<httplib::Client>(front.url());
    c->set_ca_cert_path(server_.paths().ca_crt.string().c_str());
    c->enable_server_certificate_verification(true);
    c->set_bearer_token_auth(server_.paths().admin_token);
    return c;
  }
  TestServer server_;
  std::unique_ptr<Mitm> mitm_;
};

TEST_F(MitmTest, AnInsecureClientSucceedsAndLeaksItsToken) {
  httplib::Client c(mitm_->url());
  c.enable_server_certificate_verification(false);
  c.set_bearer_token_auth(server_.paths().admin_token);
  auto r = c.Get("/api/v1/namespaces/default/pods");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);            // forwarded with the token: the request works...
  EXPECT_TRUE(mitm_->TokenCaptured());  // ...and the man in the middle has the token
  auto caps = mitm_->Captures();
  ASSERT_EQ(caps.size(), 1u);
  EXPECT_EQ(caps[0].authorization, "Bearer " + server_.paths().admin_token);
  EXPECT_EQ(caps[0].path, "/api/v1/namespaces/default/pods");
  EXPECT_EQ(caps[0].upstream_status, 200);
  EXPECT_FALSE(caps[0].client_cert_offered);
}

TEST_F(MitmTest, AVerifyingClientRefusesAndNothingIsCaptured) {
  httplib::Client c(mitm_->url());
  c.set_ca_cert_path(server_.paths().ca_crt.string().c_str());
  c.enable_server_certificate_verification(true);
  c.set_bearer_token_auth(server_.paths().admin_token);
  auto r = c.Get("/api");
  EXPECT_FALSE(r);
  EXPECT_FALSE(mitm_->TokenCaptured());
  EXPECT_EQ(mitm_->requests(), 0u);
}

TEST_F(MitmTest, SeesAnOfferedClientCertificate) {
  auto pki = server_.paths().pki_dir;
  httplib::Client c(mitm_->url(), (pki / "admin.crt").string(), (pki / "admin.key").string());
  c.enable_server_certificate_verification(false);
  auto r = c.Get("/api");
  ASSERT_TRUE(r);
  EXPECT_TRUE(mitm_->ClientCertOffered());
  EXPECT_NE(mitm_->Captures()[0].client_cert_subject.find("kubedouble-admin"), std::string::npos);
  EXPECT_FALSE(mitm_->TokenCaptured());
}

// The MITM takes the server's own fault rules (the `--faults` file format, faults.h): one rule
// type and one matcher. A rule fires its `times`, matches the whole path by RE2, and its
// description is what the capture says.
TEST_F(MitmTest, InjectsAFaultTheGivenNumberOfTimes) {
  auto front = FaultFront(ParseFaultRules(R"(
faults:
- name: slow-down
  match: {method: GET, path: "/api"}
  status: 429
  retryAfterSeconds: 2
  times: 1
)",
                                          "faults.yaml"));
  auto c = AdminClient(*front);
  auto first = c->Get("/api");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 429);
  EXPECT_EQ(first->get_header_value("Retry-After"), "2");
  EXPECT_NE(first->body.find("\"reason\":\"TooManyRequests\""), std::string::npos);
  auto second = c->Get("/api");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  ASSERT_EQ(front->Captures().size(), 2u);
  EXPECT_EQ(front->Captures()[0].fault, "rule slow-down: status 429");
  EXPECT_EQ(front->Captures()[1].fault, "");
}

// Every action of the server's rules works in front of it too: the resource matcher (verb,
// resource, namespace, read from the path as the server reads it) and a connection reset.
TEST_F(MitmTest, MatchesByResourceAndResetsTheConnection) {
  auto front = FaultFront({ParseFaultRule(
      {{"name", "cut"},
       {"match", {{"verb", "list"}, {"resource", "pods"}, {"namespace", "default"}}},
       {"action", "connection-reset"}})});
  auto c = AdminClient(*front);
  EXPECT_FALSE(c->Get("/api/v1/namespaces/default/pods")) << "the connection should be reset";
  auto other = c->Get("/api/v1/namespaces/kube-system/pods");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  ASSERT_FALSE(front->Captures().empty());
  EXPECT_EQ(front->Captures()[0].fault, "rule cut: connection-reset");
}

// Idle connections (a client that connected and sent nothing, or a keep-alive client between
// requests) each hold a worker; the pool grows, so they do not hold up a new client. With the
// old fixed pool of 8 workers, the 13th connection waited for an idle one's 5 s timeout.
TEST_F(MitmTest, IdleConnectionsDoNotHoldUpOthers) {
  std::vector<std::unique_ptr<kubedouble::testing::RawConn>> idle;
  for (int i = 0; i < 12; ++i) {
    idle.push_back(std::make_unique<kubedouble::testing::RawConn>(mitm_->port()));
    ASSERT_TRUE(idle.back()->ok());
  }
  httplib::Client c(mitm_->url());
  c.enable_server_certificate_verification(false);
  c.set_bearer_token_auth(server_.paths().admin_token);
  c.set_connection_timeout(2);
  c.set_read_timeout(2);  // well under the idle connections' 5 s timeout
  auto r = c.Get("/api");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
}

// A watch is relayed as its events arrive: the client sees the initial events while the watch is
// open, and an object created after that as the next event (the old interceptor buffered the
// whole watch until it ended, so the first chunk came only at the end).
TEST_F(MitmTest, AWatchIsRelayedAsItsEventsArrive) {
  httplib::Client c(mitm_->url());
  c.enable_server_certificate_verification(false);
  c.set_bearer_token_auth(server_.paths().admin_token);
  c.set_read_timeout(10);
  std::string seen;
  bool created = false, relayed = false;
  auto r = c.Get("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=5",
                 [&](const char* data, size_t n) {
                   seen.append(data, n);
                   if (!created) {
                     created = true;  // the watch is open: make an event happen now
                     httplib::Client w(server_.url());
                     w.set_ca_cert_path(server_.paths().ca_crt.string().c_str());
                     w.set_bearer_token_auth(server_.paths().admin_token);
                     auto made = w.Post(
                         "/api/v1/namespaces/default/configmaps",
                         R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"late"}})",
                         "application/json");
                     EXPECT_TRUE(made && made->status == 201);
                   }
                   relayed = seen.find("\"name\":\"late\"") != std::string::npos;
                   return !relayed;  // stop once the new object came through
                 });
  EXPECT_TRUE(created);
  EXPECT_TRUE(relayed) << seen.substr(0, 300);
}

// The capture list keeps the last N; what fell out is counted, and a captured token is still
// reported.
TEST(Mitm, TheCaptureListIsBounded) {
  TestServer server;
  Mitm mitm({.upstream = server.url(),
             .cert_file = server.paths().pki_dir / "rogue-server.crt",
             .key_file = server.paths().pki_dir / "rogue-server.key",
             .faults = {},
             .max_captures = 3});
  mitm.Start();
  httplib::Client c(mitm.url());
  c.enable_server_certificate_verification(false);
  c.set_bearer_token_auth(server.paths().admin_token);
  ASSERT_TRUE(c.Get("/api"));
  httplib::Client anonymous(mitm.url());
  anonymous.enable_server_certificate_verification(false);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(anonymous.Get("/version"));
  auto caps = mitm.Captures();
  ASSERT_EQ(caps.size(), 3u);
  EXPECT_EQ(caps.front().id, 3u);
  EXPECT_EQ(caps.back().id, 5u);
  EXPECT_EQ(mitm.requests(), 5u);
  EXPECT_EQ(mitm.dropped(), 2u);
  for (const auto& cap : caps) EXPECT_EQ(cap.authorization, "");
  EXPECT_TRUE(mitm.TokenCaptured());  // the first request's, dropped from the list
}

// `kubedouble mitm` listens on loopback only unless asked, as `kubedouble serve` does.
TEST(Mitm, TheCliRefusesANonLoopbackAddress) {
  for (std::string listen : {"0.0.0.0:0", "[::]:0", "192.0.2.1:0"}) {
    auto r = test::Bash(std::string(KUBEDOUBLE_BINARY) + " mitm --listen " + listen +
                        " --upstream https://127.0.0.1:1 --pki /nonexistent");
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("kubedouble mitm: --listen " + listen +
                            ": not a loopback address; the interceptor prints the tokens it "
                            "captures, so listening beyond this machine needs "
                            "--allow-non-loopback"),
              std::string::npos)
        << r.output;
  }
}

TEST(Mitm, NamesAMissingCertificate) {
  Mitm m({.upstream = "https://127.0.0.1:1",
          .cert_file = "/nonexistent.crt",
          .key_file = "/nonexistent.key",
          .faults = {}});
  try {
    m.Start();
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent.crt"), std::string::npos);
  }
}

}  // namespace
}  // namespace kubedouble::fake
