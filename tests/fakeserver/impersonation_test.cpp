// Impersonation: the Impersonate-* headers as parsed and checked (impersonation.h), and what a
// client sees over HTTPS — the impersonated identity authorizes, whoami answers it, the journal
// records the caller beside it, and refusals are worded as kube-apiserver words them.
#include "impersonation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

using fake::Attributes;
using fake::Impersonate;
using fake::ImpersonationChecks;
using fake::ImpersonationRequest;
using fake::ParseImpersonation;
using fake::StatusError;
using fake::UserInfo;
using ::testing::ElementsAre;

constexpr char kWhoami[] = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
constexpr char kSelfReview[] =
    R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})";

UserInfo Bob() { return {"bob", "", {"system:authenticated"}, {}}; }

// The status a StatusError thrown by `f` carries ({} when nothing is thrown).
template <typename F>
json Thrown(F f) {
  try {
    f();
  } catch (const StatusError& e) {
    return e.ToStatus();
  }
  return json::object();
}

TEST(ImpersonationHeaders, NoneMeansNoImpersonation) {
  EXPECT_FALSE(ParseImpersonation({{"Authorization", "Bearer x"}, {"Accept", "*/*"}}));
}

TEST(ImpersonationHeaders, UserGroupsUidAndExtrasAreRead) {
  auto r = ParseImpersonation({{"impersonate-user", "jane"},
                               {"Impersonate-Group", "devs"},
                               {"Impersonate-Group", "ops"},
                               {"Impersonate-Uid", "1234"},
                               {"Impersonate-Extra-Scopes", "view"},
                               {"Impersonate-Extra-Scopes", "edit"},
                               {"Impersonate-Extra-Acme.com%2FTeam", "blue"},
                               {"Impersonate-Extra-Bad%zzKey", "x"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->user, "jane");
  EXPECT_THAT(r->groups, ElementsAre("devs", "ops"));
  EXPECT_EQ(r->uid, "1234");
  EXPECT_THAT(r->extra["scopes"], ElementsAre("view", "edit"));
  // Keys are lower-cased, then percent-decoded; a malformed escape is kept as sent.
  EXPECT_THAT(r->extra["acme.com/team"], ElementsAre("blue"));
  EXPECT_THAT(r->extra["bad%zzkey"], ElementsAre("x"));
}

TEST(ImpersonationHeaders, GroupsUidOrExtrasWithoutAUserAre400) {
  for (const auto& headers :
       std::vector<httplib::Headers>{{{"Impersonate-Group", "devs"}},
                                     {{"Impersonate-Uid", "1"}},
                                     {{"Impersonate-Extra-Scopes", "v"}},
                                     {{"Impersonate-User", ""}, {"Impersonate-Group", "devs"}}}) {
    json s = Thrown([&] { ParseImpersonation(headers); });
    EXPECT_EQ(s.value("code", 0), 400) << s.dump();
    EXPECT_EQ(s.value("reason", ""), "BadRequest");
    EXPECT_THAT(s.value("message", ""), ::testing::HasSubstr("need an Impersonate-User header"));
  }
  json s = Thrown([] { ParseImpersonation({{"Impersonate-Group", "devs"}}); });
  EXPECT_EQ(s["message"],
            "requested impersonation without impersonating a user: Impersonate-Group: devs need "
            "an Impersonate-User header");
}

TEST(ImpersonationChecks, EachPartIsAskedWithTheImpersonateVerb) {
  ImpersonationRequest want{
      "system:serviceaccount:kube-system:builder", {"devs"}, "42", {{"scopes", {"view"}}}};
  auto checks = ImpersonationChecks(Bob(), want);
  ASSERT_EQ(checks.size(), 4u);
  for (const auto& c : checks) {
    EXPECT_EQ(c.verb, "impersonate");
    EXPECT_TRUE(c.resource_request);
    EXPECT_EQ(c.user.name, "bob");
  }
  EXPECT_EQ(checks[0].resource, "serviceaccounts");
  EXPECT_EQ(checks[0].ns, "kube-system");
  EXPECT_EQ(checks[0].name, "builder");
  EXPECT_EQ(checks[1].resource, "groups");
  EXPECT_EQ(checks[1].name, "devs");
  EXPECT_EQ(checks[2].api_group, "authentication.k8s.io");
  EXPECT_EQ(checks[2].resource, "userextras");
  EXPECT_EQ(checks[2].subresource, "scopes");
  EXPECT_EQ(checks[2].name, "view");
  EXPECT_EQ(checks[3].api_group, "authentication.k8s.io");
  EXPECT_EQ(checks[3].resource, "uids");
  EXPECT_EQ(checks[3].name, "42");
  // A name that only looks like a service account's is a user.
  auto user = ImpersonationChecks(Bob(), {"system:serviceaccount:a:b:c", {}, "", {}});
  EXPECT_EQ(user[0].resource, "users");
  EXPECT_EQ(user[0].ns, "");
}

TEST(Impersonate, DenialsAreWordedAsTheApiServerWordsThem) {
  auto deny_all = [](const Attributes&) { return false; };
  json s = Thrown([&] { Impersonate(Bob(), {"jane", {}, "", {}}, deny_all); });
  EXPECT_EQ(s, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"users \"jane\" is forbidden: User \"bob\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
      "reason":"Forbidden","details":{"name":"jane","kind":"users"},"code":403})"));
  s = Thrown([&] {
    Impersonate(Bob(), {"system:serviceaccount:ci:runner", {}, "", {}}, deny_all);
  });
  EXPECT_EQ(s["message"],
            "serviceaccounts \"runner\" is forbidden: User \"bob\" cannot impersonate resource "
            "\"serviceaccounts\" in API group \"\" in the namespace \"ci\"");
  // The first part refused is the one named: here the extra, the user being allowed.
  auto users_only = [](const Attributes& a) { return a.resource == "users"; };
  s = Thrown([&] { Impersonate(Bob(), {"jane", {}, "", {{"scopes", {"view"}}}}, users_only); });
  EXPECT_EQ(s["message"],
            "userextras.authentication.k8s.io \"view\" is forbidden: User \"bob\" cannot "
            "impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at "
            "the cluster scope");
  s = Thrown([&] { Impersonate(Bob(), {"jane", {}, "7", {}}, users_only); });
  EXPECT_EQ(s["message"],
            "uids.authentication.k8s.io \"7\" is forbidden: User \"bob\" cannot impersonate "
            "resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope");
  s = Thrown([&] { Impersonate(Bob(), {"jane", {"admins"}, "", {}}, users_only); });
  EXPECT_EQ(s["details"], json({{"name", "admins"}, {"kind", "groups"}}));
}

TEST(Impersonate, TheIdentityGetsTheGroupsTheApiServerAdds) {
  auto allow = [](const Attributes&) { return true; };
  UserInfo u = Impersonate(Bob(), {"jane", {}, "", {}}, allow);
  EXPECT_EQ(u.name, "jane");
  EXPECT_THAT(u.groups, ElementsAre("system:authenticated"));
  u = Impersonate(Bob(), {"jane", {"devs"}, "9", {{"k", {"v"}}}}, allow);
  EXPECT_THAT(u.groups, ElementsAre("devs", "system:authenticated"));
  EXPECT_EQ(u.uid, "9");
  EXPECT_THAT(u.extra["k"], ElementsAre("v"));
  u = Impersonate(Bob(), {"jane", {"system:unauthenticated"}, "", {}}, allow);
  EXPECT_THAT(u.groups, ElementsAre("system:unauthenticated"));
  u = Impersonate(Bob(), {"system:anonymous", {}, "", {}}, allow);
  EXPECT_THAT(u.groups, ElementsAre("system:unauthenticated"));
  u = Impersonate(Bob(), {"system:serviceaccount:ci:runner", {}, "", {}}, allow);
  EXPECT_THAT(u.groups, ElementsAre("system:serviceaccounts", "system:serviceaccounts:ci",
                                    "system:authenticated"));
  // Groups given replace the service account's own.
  u = Impersonate(Bob(), {"system:serviceaccount:ci:runner", {"devs"}, "", {}}, allow);
  EXPECT_THAT(u.groups, ElementsAre("devs", "system:authenticated"));
}

// ---- over HTTPS ----

httplib::Headers As(const std::string& user) { return {{"Impersonate-User", user}}; }

TEST(ImpersonationServer, AnAdminActsAsTheUserItImpersonates) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto r = admin->Get("/api/v1/namespaces/default/pods", As("jane"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r)["message"],
            "pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" in "
            "the namespace \"default\"");
  auto e = srv.journal().Entries().back();
  EXPECT_EQ(e.user, "jane");
  EXPECT_THAT(e.groups, ElementsAre("system:authenticated"));
  EXPECT_EQ(e.impersonator, "kubedouble-admin");
  EXPECT_THAT(e.impersonator_groups, ::testing::Contains("system:masters"));
  EXPECT_EQ(e.auth_method, "token");
  json line = e.ToJson();
  EXPECT_EQ(line["user"], "jane");
  EXPECT_EQ(line["impersonator"], "kubedouble-admin");

  // Impersonating a group that may list pods lists them.
  httplib::Headers masters{{"Impersonate-User", "jane"}, {"Impersonate-Group", "system:masters"}};
  r = admin->Get("/api/v1/namespaces/default/pods", masters);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);

  // whoami answers the impersonated identity.
  httplib::Headers full{{"Impersonate-User", "system:serviceaccount:default:builder"},
                        {"Impersonate-Uid", "u-1"},
                        {"Impersonate-Extra-Scopes", "view"}};
  r = admin->Post(kWhoami, full, kSelfReview, "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(r)["status"]["userInfo"],
            json::parse(R"({"username":"system:serviceaccount:default:builder","uid":"u-1",
                "groups":["system:serviceaccounts","system:serviceaccounts:default",
                          "system:authenticated"],
                "extra":{"scopes":["view"]}})"));
  // Without the headers the journal has no impersonator.
  admin->Get("/api");
  EXPECT_EQ(srv.journal().Entries().back().impersonator, "");
  EXPECT_FALSE(srv.journal().Entries().back().ToJson().contains("impersonator"));
}

TEST(ImpersonationServer, APlainUserMayNotImpersonate) {
  fake::TestServer srv;
  auto user = Client(srv, UserToken(srv));
  auto r = user->Post(kWhoami, As("kubedouble-admin"), kSelfReview, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_EQ(Body(r), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"users \"kubedouble-admin\" is forbidden: User \"kubedouble-user\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
      "reason":"Forbidden","details":{"name":"kubedouble-admin","kind":"users"},"code":403})"));
  auto e = srv.journal().Entries().back();
  EXPECT_EQ(e.user, "kubedouble-user");  // the refused caller, not who it asked to be
  EXPECT_EQ(e.impersonator, "");
  EXPECT_EQ(e.status, 403);
}

TEST(ImpersonationServer, AGroupWithoutAUserIs400) {
  fake::TestServer srv;
  auto r = Client(srv, AdminToken(srv))
               ->Get("/api/v1/namespaces/default/pods", {{"Impersonate-Group", "devs"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["reason"], "BadRequest");
}

TEST(ImpersonationServer, UnauthenticatedCallersAre401NotImpersonated) {
  fake::TestServer srv;
  auto r = Client(srv, {"not-a-token", "", ""})->Get("/api", As("kubedouble-admin"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace kubedouble::testing
