// The fake clock, token lifetimes and the rotation of serviceaccount/token.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/clock.h>

#include <thread>

#include "common/read_file.h"
#include "sh.h"

namespace kubedouble::faults_test {
namespace {

using fake::TestServer;

fake::ServerOptions FakeClock() {
  fake::ServerOptions o;
  o.clock = fake::ClockMode::kFake;
  return o;
}

int WhoAmI(TestServer& s, const std::string& token) {
  return Call(s, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token,
              R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})")
      .status;
}

TEST(Clock, CreationTimestampsFollowTheFakeClock) {
  TestServer s(FakeClock());
  auto moved = Admin(s, "POST", "clock", {{"advance", "48h"}});
  ASSERT_EQ(moved.status, 200) << moved.body;
  std::string now = moved.Json()["now"];
  auto created = Call(s, "POST", "/api/v1/namespaces/default/configmaps", s.paths().admin_token,
                      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"later"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["metadata"]["creationTimestamp"], now);
  EXPECT_EQ(Admin(s, "POST", "clock", {{"seconds", 30}}).status, 200);
  EXPECT_EQ(Admin(s, "POST", "clock", {{"advance", "soon"}}).status, 400);
}

TEST(Clock, ARealClockCannotBeMoved) {
  TestServer s;
  auto r = Admin(s, "POST", "clock", {{"advance", "1h"}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.Json()["message"],
            "the clock is real and cannot be moved (start the server with --clock fake)");
}

TEST(Clock, TokenRequestTokensExpireByTheFakeClock) {
  TestServer s(FakeClock());
  auto tr = Call(s, "POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                 s.paths().admin_token,
                 R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
                     "spec":{"expirationSeconds":600}})");
  ASSERT_EQ(tr.status, 201) << tr.body;
  std::string token = tr.Json()["status"]["token"];
  EXPECT_EQ(WhoAmI(s, token), 201);
  Admin(s, "POST", "clock", {{"advance", "9m"}});
  EXPECT_EQ(WhoAmI(s, token), 201);
  Admin(s, "POST", "clock", {{"advance", "2m"}});
  EXPECT_EQ(WhoAmI(s, token), 401);
  // A token issued after the jump is valid (its nbf/iat are the fake now).
  auto later = Call(s, "POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                    s.paths().admin_token, R"({"spec":{"expirationSeconds":3600}})");
  EXPECT_EQ(WhoAmI(s, later.Json()["status"]["token"]), 201);
}

TEST(Clock, TheStateFolderTokenRotatesAndTheOldOneHasAGracePeriod) {
  auto o = FakeClock();
  o.sa_token_ttl = std::chrono::hours(1);
  o.sa_token_grace = std::chrono::seconds(90);
  TestServer s(o);
  auto file = s.paths().serviceaccount_dir / "token";
  std::string old_token = test::ReadFile(file);
  ASSERT_FALSE(old_token.empty());
  EXPECT_EQ(WhoAmI(s, old_token), 201);

  Admin(s, "POST", "clock", {{"advance", "61m"}});
  std::string new_token;
  for (int i = 0; i < 200 && (new_token = test::ReadFile(file)) == old_token; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(new_token, old_token) << "serviceaccount/token was not re-minted";
  // Swapped through ..data, as the kubelet does.
  EXPECT_TRUE(std::filesystem::is_symlink(s.paths().serviceaccount_dir / "..data"));
  EXPECT_EQ(WhoAmI(s, new_token), 201);
  EXPECT_EQ(WhoAmI(s, old_token), 201);  // within the grace period
  Admin(s, "POST", "clock", {{"advance", "91s"}});
  EXPECT_EQ(WhoAmI(s, old_token), 401);
  EXPECT_EQ(WhoAmI(s, new_token), 201);
}

// Runs the admin `action` on a server with a 30 s grace: serviceaccount/token is re-minted, the
// token a client holds works until the grace is over, then only the new one does.
void ExpectTheTokenRotatedWithTheGrace(TestServer& s, const std::string& action) {
  auto file = s.paths().serviceaccount_dir / "token";
  std::string old_token = test::ReadFile(file);
  ASSERT_EQ(WhoAmI(s, old_token), 201);
  auto r = Admin(s, "POST", action);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string new_token = test::ReadFile(file);
  EXPECT_NE(new_token, old_token);
  EXPECT_EQ(WhoAmI(s, old_token), 201);  // within the grace
  EXPECT_EQ(WhoAmI(s, new_token), 201);
  Admin(s, "POST", "clock", {{"advance", "31s"}});
  EXPECT_EQ(WhoAmI(s, old_token), 401);
  EXPECT_EQ(WhoAmI(s, new_token), 201);
}

fake::ServerOptions FakeClockWithGrace30s() {
  auto o = FakeClock();
  o.sa_token_grace = std::chrono::seconds(30);
  return o;
}

TEST(Clock, AForcedRotationRetiresTheOldTokenAfterTheGrace) {
  TestServer s(FakeClockWithGrace30s());
  ExpectTheTokenRotatedWithTheGrace(s, "rotate-token");
}

// A reset brings every object back, the default service account with its uid: the state
// folder's token is rotated, and the one a client holds keeps working for the grace.
TEST(Clock, AResetRotatesTheTokenWithTheGrace) {
  TestServer s(FakeClockWithGrace30s());
  ExpectTheTokenRotatedWithTheGrace(s, "reset");
  // The legacy token secret made again by the reset names the account as it is.
  auto sa = Call(s, "GET", "/api/v1/namespaces/default/serviceaccounts/default",
                 s.paths().admin_token, "");
  auto secrets = Call(s, "GET", "/api/v1/namespaces/default/secrets", s.paths().admin_token, "");
  ASSERT_EQ(secrets.status, 200);
  int legacy = 0;
  const json list = secrets.Json();
  for (const auto& item : list["items"]) {
    if (item.value("type", std::string()) != "kubernetes.io/service-account-token") continue;
    ++legacy;
    EXPECT_EQ(item["metadata"]["annotations"]["kubernetes.io/service-account.uid"],
              sa.Json()["metadata"]["uid"]);
  }
  EXPECT_EQ(legacy, 1);
}

TEST(Clock, ServeRejectsABadTtl) {
  auto r = Sh(std::string(KUBEDOUBLE_BINARY) + " serve --port 0 --dir /tmp/kd-ttl-" +
              std::to_string(getpid()) + " --sa-token-ttl 1fortnight");
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.output,
              ::testing::HasSubstr("--sa-token-ttl: time: unknown unit \"fortnight\" in duration "
                                   "\"1fortnight\""));
}

}  // namespace
}  // namespace kubedouble::faults_test
