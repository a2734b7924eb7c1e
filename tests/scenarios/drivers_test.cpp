// Drivers against a real fake server: each client's result normalized the same way.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "kubedouble/fakeserver/server.h"
#include "kubedouble/scenarios/driver.h"
#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class DriversTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    driver_ = MakeDriver(GetParam(), fs::path(KUBEDOUBLE_SOURCE_DIR) / "scenarios/clients");
    ASSERT_TRUE(driver_);
    if (std::string why = driver_->Unavailable(); !why.empty()) GTEST_SKIP() << why;
    work_ = fs::temp_directory_path() /
            ("kd-driver-test-" + GetParam() + "-" + std::to_string(getpid()));
    fs::create_directories(work_ / "home");
    scenario_.suite = "t";
    scenario_.name = "n";
  }
  void TearDown() override { fs::remove_all(work_); }

  Target TokenTarget(const std::string& ca) {
    Target t;
    t.path = AccessPath::kToken;
    t.server = server_.url();
    t.host = "127.0.0.1";
    t.port = server_.port();
    t.ca_file = ca;
    t.token = server_.paths().admin_token;
    t.via_flags = true;
    t.work = work_;
    return t;
  }

  Outcome RunWith(const Target& t) {
    Job job;
    job.scenario = &scenario_;
    job.target = t;
    job.env = CleanEnvironment();
    job.env["HOME"] = (work_ / "home").string();
    job.env["KUBECACHEDIR"] = (work_ / "cache").string();
    return driver_->Run(job);
  }

  fake::TestServer server_;
  std::unique_ptr<Driver> driver_;
  fs::path work_;
  Scenario scenario_;
};

TEST_P(DriversTest, ListsPodsWithTokenAndCa) {
  scenario_.request.verb = Verb::kList;
  scenario_.request.all_namespaces = true;
  scenario_.request.ns.clear();
  Outcome o = RunWith(TokenTarget(server_.paths().ca_crt.string()));
  EXPECT_EQ(o.kind, OutcomeKind::kOk) << o.Summary() << " " << o.message;
  ASSERT_TRUE(o.items.has_value());
  EXPECT_GT(*o.items, 0);
}

TEST_P(DriversTest, TheRogueCaIsAnUnknownAuthority) {
  scenario_.request.verb = Verb::kList;
  Outcome o = RunWith(TokenTarget((server_.paths().pki_dir / "rogue-ca.crt").string()));
  EXPECT_EQ(o.kind, OutcomeKind::kTlsError) << o.Summary() << " " << o.message;
  EXPECT_EQ(o.tls, "unknown_authority") << o.message;
}

TEST_P(DriversTest, ABadTokenIs401) {
  scenario_.request.verb = Verb::kList;
  Target t = TokenTarget(server_.paths().ca_crt.string());
  t.token = "not-a-token";
  Outcome o = RunWith(t);
  EXPECT_EQ(o.kind, OutcomeKind::kHttpError) << o.Summary() << " " << o.message;
  EXPECT_EQ(o.code, 401);
}

TEST_P(DriversTest, ARefusedConnectionIsAConnectError) {
  scenario_.request.verb = Verb::kList;
  Target t = TokenTarget(server_.paths().ca_crt.string());
  t.server = "https://127.0.0.1:1";
  t.port = 1;
  Outcome o = RunWith(t);
  EXPECT_EQ(o.kind, OutcomeKind::kConnectError) << o.Summary() << " " << o.message;
}

INSTANTIATE_TEST_SUITE_P(Clients, DriversTest,
                         ::testing::Values("curl", "kubectl", "python", "node"));

TEST(Drivers, AMissingClientIsUnavailableWithTheReason) {
  auto python = MakeDriver("python", "/nonexistent/clients");
  EXPECT_THAT(python->Unavailable(),
              HasSubstr("driver script /nonexistent/clients/python/driver.py is missing"));
  auto node = MakeDriver("node", "/nonexistent/clients");
  EXPECT_THAT(node->Unavailable(), HasSubstr("is missing"));
  EXPECT_EQ(MakeDriver("telnet"), nullptr);
}

TEST(Drivers, RequestPaths) {
  Request r;
  EXPECT_EQ(RequestPath(r), "/api/v1/namespaces/default/pods");
  r.all_namespaces = true;
  EXPECT_EQ(RequestPath(r), "/api/v1/pods");
  r.verb = Verb::kWhoami;
  EXPECT_EQ(RequestPath(r), "/apis/authentication.k8s.io/v1/selfsubjectreviews");
  EXPECT_EQ(RequestMethod(r), "POST");
}

}  // namespace
}  // namespace kubedouble::scenarios
