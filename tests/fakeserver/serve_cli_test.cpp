// `kubedouble serve` as a user runs it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "client.h"
#include "common/process.h"

namespace kubedouble::testing {
namespace {

TEST(ServeCli, ReadyLineThenGracefulStopOnSigterm) {
  test::TempDir tmp;
  test::Process p({KUBEDOUBLE_BINARY, "serve", "--dir", tmp.path().string(), "--port", "0"});
  EXPECT_THAT(
      p.FirstLine(),
      ::testing::MatchesRegex(
          "kubedouble: serving on https://127\\.0\\.0\\.1:[0-9]+ \\(kubeconfig: .*/kubeconfig\\)"));
  httplib::SSLClient c("127.0.0.1", test::ServePort(p));
  c.set_ca_cert_path((tmp.path() / "pki" / "ca.crt").c_str());
  c.enable_server_certificate_verification(true);
  auto r = c.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);  // no credentials, no --anonymous
  EXPECT_EQ(p.Stop(), 0);     // SIGTERM: a graceful stop
}

TEST(ServeCli, OldPolicyFormatStillServesWithADeprecationWarning) {
  test::TempDir tmp;
  auto policy = tmp.path() / "policy.yaml";
  std::ofstream(policy) << "rules:\n  - users: [alice]\n    verbs: [get]\n    resources: [pods]\n";
  test::Process p({KUBEDOUBLE_BINARY, "serve", "--dir", (tmp.path() / "state").string(), "--port",
                   "0", "--policy", policy.string(), "--authorization", "AlwaysDeny"});
  EXPECT_THAT(p.FirstLine(), ::testing::StartsWith("kubedouble: serving on"));
  EXPECT_EQ(p.Stop(), 0);
  EXPECT_THAT(p.Stderr(), ::testing::HasSubstr("warning: " + policy.string() +
                                               ": the \"rules:\" policy format is deprecated"));
}

TEST(ServeCli, PortInUseIsAClearErrorAndNonZeroExit) {
  fake::TestServer srv;
  test::TempDir tmp;
  auto r = test::RunToEnd({KUBEDOUBLE_BINARY, "serve", "--dir", tmp.path().string(), "--port",
                           std::to_string(srv.port())});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::HasSubstr("cannot listen on 127.0.0.1:" +
                                          std::to_string(srv.port()) + ": Address already in use"));
}

TEST(ServeCli, UnwritableFolderAndBadFlags) {
  auto r =
      test::RunToEnd({KUBEDOUBLE_BINARY, "serve", "--dir", "/proc/kubedouble-nope", "--port", "0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::HasSubstr("/proc/kubedouble-nope"));
  r = test::RunToEnd({KUBEDOUBLE_BINARY, "serve", "--serve-cert", "shiny"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::HasSubstr("shiny"));
  r = test::RunToEnd({KUBEDOUBLE_BINARY, "serve", "--port", "70000"});
  EXPECT_NE(r.exit_code, 0);
  r = test::RunToEnd({KUBEDOUBLE_BINARY, "serve", "--no-such-flag"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--no-such-flag"));
}

}  // namespace
}  // namespace kubedouble::testing
