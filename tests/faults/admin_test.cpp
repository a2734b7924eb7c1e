// The admin API under /__kubedouble/.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/journal.h>

#include "sh.h"

namespace kubedouble::faults_test {
namespace {

using fake::TestServer;
using ::testing::HasSubstr;

TEST(Admin, OnlySystemMastersAndTheAdminToken) {
  fake::ServerOptions o;
  o.admin_token = "admin-" + std::to_string(getpid()) + "-secret";
  TestServer s(o);
  EXPECT_EQ(Call(s, "GET", "/__kubedouble/faults", "").status, 401);
  EXPECT_EQ(Call(s, "GET", "/__kubedouble/faults", "not-a-token").status, 401);
  auto denied = Call(s, "GET", "/__kubedouble/faults", s.paths().user_token);
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.Json()["message"].get<std::string>(), HasSubstr("system:masters"));
  EXPECT_EQ(Call(s, "GET", "/__kubedouble/faults", s.paths().serviceaccount_token).status, 403);
  EXPECT_EQ(Call(s, "GET", "/__kubedouble/faults", o.admin_token).status, 200);
  EXPECT_EQ(Admin(s, "GET", "faults").status, 200);  // the admin static token (system:masters)
  // The admin token is good for the admin API only.
  EXPECT_EQ(Call(s, "GET", "/api/v1/pods", o.admin_token).status, 401);
  // kubectl's admin client certificate works too.
  auto kubectl =
      Sh("KUBECONFIG=" + s.paths().kubeconfig.string() + " kubectl get --raw /__kubedouble/faults");
  EXPECT_EQ(kubectl.code, 0) << kubectl.output;
  EXPECT_THAT(kubectl.output, HasSubstr(R"({"faults":[]})"));
  EXPECT_EQ(Admin(s, "GET", "nothing-here").status, 404);
}

TEST(Admin, FaultsAreAddedListedAndDeleted) {
  TestServer s;
  auto added = Admin(s, "POST", "faults",
                     {{"name", "slow-lists"}, {"match", {{"verb", "list"}}}, {"status", 503}});
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_EQ(Call(s, "GET", "/api/v1/pods", s.paths().admin_token).status, 503);
  auto list = Admin(s, "GET", "faults").Json();
  ASSERT_EQ(list["faults"].size(), 1u);
  EXPECT_EQ(list["faults"][0]["fired"], 1);
  auto bad = Admin(s, "POST", "faults", {{"status", 99}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["message"], "rule 1: status must be from 400 to 599, not 99");
  EXPECT_EQ(Admin(s, "DELETE", "faults/nope").status, 404);
  EXPECT_EQ(Admin(s, "DELETE", "faults/slow-lists").status, 200);
  EXPECT_EQ(Call(s, "GET", "/api/v1/pods", s.paths().admin_token).status, 200);
  Admin(s, "POST", "faults", {{"faults", {{{"status", 500}}, {{"delay", "1ms"}}}}});
  EXPECT_EQ(Admin(s, "GET", "faults").Json()["faults"].size(), 2u);
  EXPECT_EQ(Admin(s, "DELETE", "faults").Json()["deleted"], 2);
}

TEST(Admin, TheJournalFilteredAndCounted) {
  TestServer s;
  Call(s, "GET", "/api/v1/namespaces/default/pods", s.paths().admin_token);
  Call(s, "GET", "/api/v1/namespaces/default/pods/nope", s.paths().admin_token);
  Call(s, "GET", "/version", s.paths().user_token);
  auto by_path = Admin(s, "GET", "requests?path=/api/v1/namespaces/default/pods.*").Json();
  EXPECT_EQ(by_path["count"], 2);
  EXPECT_EQ(Admin(s, "GET", "requests?status=404&count=true").Json(), json({{"count", 1}}));
  auto by_user = Admin(s, "GET", "requests?user=" + s.paths().user_name).Json();
  ASSERT_EQ(by_user["requests"].size(), 1u);
  EXPECT_EQ(by_user["requests"][0]["path"], "/version");
  EXPECT_EQ(Admin(s, "GET", "requests?path=(").status, 400);
  EXPECT_EQ(Admin(s, "DELETE", "requests").status, 200);
  EXPECT_EQ(Admin(s, "GET", "requests?count=true&method=GET&path=/version").Json()["count"], 0);
}

TEST(Admin, ObjectsAreLoadedAndDeletedAndResetGoesBackToTheFixtures) {
  TestServer s;
  json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "loaded"}, {"namespace", "default"}}},
             {"data", {{"k", "v"}}}};
  auto loaded = Admin(s, "POST", "objects", {{"items", {cm}}});
  ASSERT_EQ(loaded.status, 200) << loaded.body;
  EXPECT_EQ(loaded.Json()["loaded"][0]["name"], "loaded");
  auto got = Call(s, "GET", "/api/v1/namespaces/default/configmaps/loaded", s.paths().admin_token);
  EXPECT_EQ(got.Json()["data"]["k"], "v");
  auto unknown =
      Admin(s, "POST", "objects",
            {{"apiVersion", "example.com/v1"}, {"kind", "Gizmo"}, {"metadata", {{"name", "g"}}}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.Json()["message"], "object 1: the server does not serve example.com/v1 Gizmo");
  EXPECT_EQ(Admin(s, "DELETE", "objects", cm).status, 200);
  EXPECT_EQ(
      Call(s, "GET", "/api/v1/namespaces/default/configmaps/loaded", s.paths().admin_token).status,
      404);

  Admin(s, "POST", "objects", cm);
  Call(s, "DELETE", "/api/v1/namespaces/kube-system", s.paths().admin_token);
  auto reset = Admin(s, "POST", "reset");
  ASSERT_EQ(reset.status, 200) << reset.body;
  EXPECT_EQ(
      Call(s, "GET", "/api/v1/namespaces/default/configmaps/loaded", s.paths().admin_token).status,
      404);
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/kube-system", s.paths().admin_token).status, 200);
  // The service-account token in the state folder names the new default service account.
  EXPECT_EQ(Call(s, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                 s.server().paths().serviceaccount_token,
                 R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})")
                .status,
            201);
}

}  // namespace
}  // namespace kubedouble::faults_test
