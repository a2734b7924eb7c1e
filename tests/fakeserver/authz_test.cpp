#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

constexpr char kCanI[] = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

bool CanI(httplib::SSLClient& c, const std::string& verb, const std::string& resource,
          const std::string& ns = "default") {
  json body = {
      {"apiVersion", "authorization.k8s.io/v1"},
      {"kind", "SelfSubjectAccessReview"},
      {"spec",
       {{"resourceAttributes", {{"verb", verb}, {"resource", resource}, {"namespace", ns}}}}}};
  auto r = c.Post(kCanI, body.dump(), "application/json");
  return r && r->status == 201 && Body(r)["status"]["allowed"] == true;
}

TEST(Authz, MastersMayDoEverythingOthersOnlyDiscovery) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto user = Client(srv, UserToken(srv));
  EXPECT_EQ(admin->Get("/api/v1/namespaces/default/pods")->status, 200);
  auto denied = user->Get("/api/v1/namespaces/default/pods");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(Body(denied), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"pods is forbidden: User \"kubedouble-user\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"",
      "reason":"Forbidden","details":{"kind":"pods"},"code":403})"));
  auto named = user->Get("/api/v1/namespaces/default/secrets/x");
  EXPECT_EQ(Body(named)["message"],
            "secrets \"x\" is forbidden: User \"kubedouble-user\" cannot get resource "
            "\"secrets\" in API group \"\" in the namespace \"default\"");
  EXPECT_EQ(Body(named)["details"], json({{"name", "x"}, {"kind", "secrets"}}));
  for (const char* path :
       {"/api", "/apis", "/api/v1", "/version", "/healthz", "/readyz", "/livez"}) {
    auto r = user->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
  }
  EXPECT_TRUE(CanI(*admin, "list", "pods"));
  EXPECT_FALSE(CanI(*user, "list", "pods"));
  EXPECT_FALSE(CanI(*Client(srv, {srv.paths().serviceaccount_token, "", ""}), "list", "pods"));
}

TEST(Authz, UnknownPathIs403ForUsersWhoMayNotGetIt404ForThoseWhoMay) {
  fake::TestServer srv;
  auto user = Client(srv, UserToken(srv))->Get("/no/such/path");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->status, 403);
  EXPECT_EQ(Body(user)["message"],
            "forbidden: User \"kubedouble-user\" cannot get path \"/no/such/path\"");
  auto admin = Client(srv, AdminToken(srv))->Get("/no/such/path");
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 404);
  EXPECT_EQ(admin->body, "404 page not found\n");
  EXPECT_EQ(admin->get_header_value("Content-Type"), "text/plain; charset=utf-8");
}

TEST(Authz, PolicyFileGrantsRules) {
  test::TempDir tmp;
  auto policy = tmp.path() / "policy.yaml";
  std::ofstream(policy) << R"(rules:
  - subjects:
      serviceAccounts: [default/default]
    verbs: [get, list, watch]
    apiGroups: [""]
    resources: [pods]
    namespaces: [default]
  - subjects:
      users: [kubedouble-user]
    verbs: [get]
    resources: [secrets]
    resourceNames: [visible]
  - subjects:
      groups: [system:authenticated]
    verbs: [get]
    nonResourceURLs: ["/metrics"]
)";
  fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
  auto sa = Client(srv, {srv.paths().serviceaccount_token, "", ""});
  EXPECT_EQ(sa->Get("/api/v1/namespaces/default/pods")->status, 200);
  EXPECT_EQ(sa->Get("/api/v1/namespaces/kube-system/pods")->status, 403);
  EXPECT_EQ(sa->Get("/api/v1/pods")->status, 403);
  EXPECT_EQ(sa->Get("/api/v1/namespaces/default/secrets")->status, 403);
  EXPECT_TRUE(CanI(*sa, "watch", "pods"));
  auto user = Client(srv, UserToken(srv));
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/secrets/visible")->status, 404);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/secrets/other")->status, 403);
  EXPECT_EQ(user->Get("/metrics")->status, 404);

  // SelfSubjectRulesReview (kubectl auth can-i --list): the rules for the asked namespace.
  auto rules = [&](httplib::SSLClient& c, const std::string& ns) {
    json body = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SelfSubjectRulesReview"},
                 {"spec", {{"namespace", ns}}}};
    auto r = c.Post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", body.dump(),
                    "application/json");
    EXPECT_EQ(r->status, 201);
    return Body(r)["status"];
  };
  json in_default = rules(*sa, "default");
  EXPECT_EQ(in_default["incomplete"], false);
  EXPECT_TRUE(std::any_of(
      in_default["resourceRules"].begin(), in_default["resourceRules"].end(), [](const json& r) {
        return r["resources"] == json{"pods"} && r["verbs"] == json{"get", "list", "watch"};
      }));
  json in_kube_system = rules(*sa, "kube-system");
  for (const auto& r : in_kube_system["resourceRules"]) EXPECT_NE(r["resources"], json{"pods"});
  json for_user = rules(*user, "default");
  EXPECT_TRUE(std::any_of(
      for_user["resourceRules"].begin(), for_user["resourceRules"].end(),
      [](const json& r) { return r.value("resourceNames", json()) == json{"visible"}; }));
  EXPECT_TRUE(std::any_of(for_user["nonResourceRules"].begin(), for_user["nonResourceRules"].end(),
                          [](const json& r) { return r["nonResourceURLs"] == json{"/metrics"}; }));
}

TEST(Authz, BadPolicyFileNamesTheRule) {
  test::TempDir tmp;
  auto policy = tmp.path() / "policy.yaml";
  std::ofstream(policy) << "rules:\n  - users: [a]\n    verbs: [get]\n    resources: [pods]\n"
                           "  - users: [b]\n    verbs: [get]\n    resurces: [pods]\n";
  try {
    fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("policy.yaml: rule 2: unknown field \"resurces\""));
  }
}

TEST(Authz, AlwaysAllow) {
  fake::TestServer srv({.authorization = fake::Authorization::kAlwaysAllow});
  EXPECT_EQ(Client(srv, UserToken(srv))->Get("/api/v1/namespaces/default/secrets")->status, 200);
  // Authentication still applies.
  EXPECT_EQ(Client(srv, {"bogus", "", ""})->Get("/api/v1/pods")->status, 401);
}

}  // namespace
}  // namespace kubedouble::testing
