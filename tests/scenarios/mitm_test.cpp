// The MITM interceptor: an --insecure client hands it the token; a verifying client refuses.
#include <gtest/gtest.h>
#include <httplib.h>

#include "kubedouble/fakeserver/mitm.h"
#include "kubedouble/fakeserver/server.h"

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

TEST_F(MitmTest, InjectsAFaultTheGivenNumberOfTimes) {
  MitmOptions o;
  o.upstream = server_.url();
  o.cert_file = server_.paths().pki_dir / "server.crt";
  o.key_file = server_.paths().pki_dir / "server.key";
  o.faults.push_back({.method = "GET",
                      .path_regex = "^/api$",
                      .status = 429,
                      .retry_after = 2,
                      .delay_ms = 0,
                      .close = false,
                      .times = 1});
  Mitm front(o);
  front.Start();
  httplib::Client c(front.url());
  c.set_ca_cert_path(server_.paths().ca_crt.string().c_str());
  c.enable_server_certificate_verification(true);
  c.set_bearer_token_auth(server_.paths().admin_token);
  auto first = c.Get("/api");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 429);
  EXPECT_EQ(first->get_header_value("Retry-After"), "2");
  EXPECT_NE(first->body.find("\"reason\":\"TooManyRequests\""), std::string::npos);
  auto second = c.Get("/api");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(front.Captures()[0].fault, "status 429");
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
