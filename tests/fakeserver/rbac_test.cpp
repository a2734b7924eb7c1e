// The RBAC authorizer over the API: bindings created, changed and deleted through the API decide
// the very next request; the bootstrap policy; escalation prevention; RBAC validation; the
// access reviews — with upstream's status codes and wording.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "client.h"

namespace kubedouble::testing {
namespace {

constexpr char kRbac[] = "/apis/rbac.authorization.k8s.io/v1";

httplib::Result Send(httplib::SSLClient& c, const std::string& method, const std::string& path,
                     const json& body = nullptr) {
  if (method == "POST") return c.Post(path, body.dump(), "application/json");
  if (method == "PUT") return c.Put(path, body.dump(), "application/json");
  if (method == "DELETE") return c.Delete(path);
  return c.Get(path);
}

json Role(const std::string& kind, const std::string& name, json rules) {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", kind},
          {"metadata", {{"name", name}}},
          {"rules", std::move(rules)}};
}

json Binding(const std::string& kind, const std::string& name, const std::string& role_kind,
             const std::string& role, json subjects) {
  return {
      {"apiVersion", "rbac.authorization.k8s.io/v1"},
      {"kind", kind},
      {"metadata", {{"name", name}}},
      {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", role_kind}, {"name", role}}},
      {"subjects", std::move(subjects)}};
}

json User(const std::string& name) {
  return {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", name}};
}

std::vector<std::string> Names(const json& list) {
  std::vector<std::string> out;
  for (const auto& item : list["items"]) out.push_back(item["metadata"]["name"]);
  return out;
}

TEST(Rbac, FreshServerHasTheBootstrapPolicy) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto roles = Names(Body(admin->Get(std::string(kRbac) + "/clusterroles")));
  for (const char* name : {"cluster-admin", "admin", "edit", "view", "system:discovery",
                           "system:basic-user", "system:public-info-viewer"}) {
    EXPECT_THAT(roles, ::testing::Contains(name));
  }
  auto bindings = Names(Body(admin->Get(std::string(kRbac) + "/clusterrolebindings")));
  EXPECT_THAT(bindings,
              ::testing::IsSupersetOf({"cluster-admin", "system:discovery", "system:basic-user"}));
  auto kube_system = Names(Body(admin->Get(std::string(kRbac) + "/namespaces/kube-system/roles")));
  EXPECT_THAT(kube_system, ::testing::Contains("extension-apiserver-authentication-reader"));
  // view carries its aggregated rules.
  json view = Body(admin->Get(std::string(kRbac) + "/clusterroles/view"));
  EXPECT_FALSE(view["rules"].empty());
  EXPECT_TRUE(view.contains("aggregationRule"));
}

TEST(Rbac, ServiceAccountForbiddenThenBoundThenForbiddenAgain) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto sa = Client(srv, {srv.paths().serviceaccount_token, "", ""});
  const std::string pods = "/api/v1/namespaces/default/pods";
  auto denied = sa->Get(pods);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(Body(denied)["message"],
            "pods is forbidden: User \"system:serviceaccount:default:default\" cannot list "
            "resource \"pods\" in API group \"\" in the namespace \"default\"");

  json sa_subject = {{"kind", "ServiceAccount"}, {"name", "default"}, {"namespace", "default"}};
  auto bound = Send(*admin, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                    Binding("RoleBinding", "sa-view", "ClusterRole", "view", {sa_subject}));
  ASSERT_EQ(bound->status, 201) << bound->body;
  EXPECT_EQ(sa->Get(pods)->status, 200);                                   // the very next request
  EXPECT_EQ(sa->Get("/api/v1/namespaces/kube-system/pods")->status, 403);  // only default
  EXPECT_EQ(sa->Get("/api/v1/namespaces/default/secrets")->status, 403);   // view: no secrets
  EXPECT_EQ(sa->Get("/api/v1/pods")->status, 403);  // all namespaces is cluster scope

  ASSERT_EQ(admin->Delete(std::string(kRbac) + "/namespaces/default/rolebindings/sa-view")->status,
            200);
  EXPECT_EQ(sa->Get(pods)->status, 403);
}

TEST(Rbac, GroupsOfServiceAccountsAndAuthenticatedUsers) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto sa = Client(srv, {srv.paths().serviceaccount_token, "", ""});
  auto user = Client(srv, UserToken(srv));
  const std::string cms = "/api/v1/namespaces/default/configmaps";
  json group = {{"apiGroup", "rbac.authorization.k8s.io"},
                {"kind", "Group"},
                {"name", "system:serviceaccounts:default"}};
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/clusterrolebindings",
                 Binding("ClusterRoleBinding", "sas-view", "ClusterRole", "view", {group}))
                ->status,
            201);
  EXPECT_EQ(sa->Get(cms)->status, 200);
  EXPECT_EQ(user->Get(cms)->status, 403);
  group["name"] = "system:authenticated";
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/clusterrolebindings",
                 Binding("ClusterRoleBinding", "all-view", "ClusterRole", "view", {group}))
                ->status,
            201);
  EXPECT_EQ(user->Get(cms)->status, 200);
}

TEST(Rbac, ResourceNamesSubresourcesAndUrls) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto user = Client(srv, UserToken(srv));
  std::string name = srv.paths().user_name;
  json rules = {{{"verbs", {"get"}},
                 {"apiGroups", {""}},
                 {"resources", {"configmaps"}},
                 {"resourceNames", {"kube-root-ca.crt"}}},
                {{"verbs", {"get"}}, {"nonResourceURLs", {"/metrics", "/logs/*"}}}};
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/clusterroles",
                 Role("ClusterRole", "narrow", rules))
                ->status,
            201);
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/clusterrolebindings",
                 Binding("ClusterRoleBinding", "narrow", "ClusterRole", "narrow", {User(name)}))
                ->status,
            201);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/configmaps/kube-root-ca.crt")->status, 200);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/configmaps")->status, 403);
  auto logs = user->Get("/logs/x");
  EXPECT_NE(logs->status, 403);  // allowed, then not served
  auto other = user->Get("/debug/pprof");
  EXPECT_EQ(other->status, 403);
}

TEST(Rbac, AggregationAddsLabelledRolesToView) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto user = Client(srv, UserToken(srv));
  std::string name = srv.paths().user_name;
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                 Binding("RoleBinding", "user-view", "ClusterRole", "view", {User(name)}))
                ->status,
            201);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/secrets")->status, 403);
  json extra = Role("ClusterRole", "secrets-view",
                    {{{"verbs", {"list"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}}});
  extra["metadata"]["labels"] = {{"rbac.authorization.k8s.io/aggregate-to-view", "true"}};
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/clusterroles", extra)->status, 201);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/secrets")->status, 200);
  json view = Body(admin->Get(std::string(kRbac) + "/clusterroles/view"));
  EXPECT_THAT(view["rules"].dump(), ::testing::HasSubstr(R"("resources":["secrets"])"));
  json admin_role = Body(admin->Get(std::string(kRbac) + "/clusterroles/admin"));
  EXPECT_THAT(admin_role["rules"].dump(), ::testing::HasSubstr(R"("verbs":["list"])"));
  ASSERT_EQ(admin->Delete(std::string(kRbac) + "/clusterroles/secrets-view")->status, 200);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/secrets")->status, 403);
  view = Body(admin->Get(std::string(kRbac) + "/clusterroles/view"));
  EXPECT_THAT(view["rules"].dump(),
              ::testing::Not(::testing::HasSubstr(R"("resources":["secrets"])")));
}

TEST(Rbac, EscalationNeedsTheRulesOrEscalateAndBind) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto user = Client(srv, UserToken(srv));
  std::string name = srv.paths().user_name;
  // The user may manage roles and bindings in default, and read pods there.
  json manage = {{{"verbs", {"create", "update", "get"}},
                  {"apiGroups", {"rbac.authorization.k8s.io"}},
                  {"resources", {"roles", "rolebindings"}}},
                 {{"verbs", {"get", "list"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}};
  json role = Role("Role", "manager", manage);
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/namespaces/default/roles", role)->status,
            201);
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                 Binding("RoleBinding", "manager", "Role", "manager", {User(name)}))
                ->status,
            201);

  // A role within what the user holds: allowed.
  json readers = Role("Role", "pod-reader",
                      {{{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}});
  EXPECT_EQ(Send(*user, "POST", std::string(kRbac) + "/namespaces/default/roles", readers)->status,
            201);
  // Beyond it: 403 with upstream's message.
  json grab = Role("Role", "grab",
                   {{{"verbs", {"get", "list", "delete"}},
                     {"apiGroups", {""}},
                     {"resources", {"pods", "secrets"}}}});
  auto denied = Send(*user, "POST", std::string(kRbac) + "/namespaces/default/roles", grab);
  ASSERT_EQ(denied->status, 403);
  EXPECT_EQ(Body(denied)["reason"], "Forbidden");
  EXPECT_EQ(Body(denied)["message"],
            "roles.rbac.authorization.k8s.io \"grab\" is forbidden: user \"" + name +
                "\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions "
                "not currently held:\n"
                "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}\n"
                "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"delete\"]}");
  // Binding a role the user does not hold: 403; one it holds: fine.
  auto bind_admin = Send(*user, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                         Binding("RoleBinding", "me-admin", "ClusterRole", "admin", {User(name)}));
  ASSERT_EQ(bind_admin->status, 403);
  EXPECT_THAT(Body(bind_admin)["message"].get<std::string>(),
              ::testing::StartsWith("rolebindings.rbac.authorization.k8s.io \"me-admin\" is "
                                    "forbidden: user \"" +
                                    name +
                                    "\" (groups=[\"system:authenticated\"]) is attempting "
                                    "to grant RBAC permissions not currently held:\n"));
  EXPECT_EQ(Send(*user, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                 Binding("RoleBinding", "readers", "Role", "pod-reader", {User("bob")}))
                ->status,
            201);
  // With escalate and bind, anything goes.
  manage.push_back({{"verbs", {"escalate", "bind"}},
                    {"apiGroups", {"rbac.authorization.k8s.io"}},
                    {"resources", {"roles", "clusterroles"}}});
  role["rules"] = manage;
  ASSERT_EQ(
      Send(*admin, "PUT", std::string(kRbac) + "/namespaces/default/roles/manager", role)->status,
      200);
  EXPECT_EQ(Send(*user, "POST", std::string(kRbac) + "/namespaces/default/roles", grab)->status,
            201);
  EXPECT_EQ(Send(*user, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                 Binding("RoleBinding", "me-admin", "ClusterRole", "admin", {User(name)}))
                ->status,
            201);
}

TEST(Rbac, ValidationAsUpstream) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  std::string rbs = std::string(kRbac) + "/namespaces/default/rolebindings";
  ASSERT_EQ(
      Send(*admin, "POST", rbs, Binding("RoleBinding", "b", "ClusterRole", "view", {User("a")}))
          ->status,
      201);
  json changed = Body(admin->Get(rbs + "/b"));
  changed["roleRef"]["name"] = "edit";
  auto r = Send(*admin, "PUT", rbs + "/b", changed);
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(Body(r)["message"],
            "RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: roleRef: Invalid value: "
            "rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", "
            "Name:\"edit\"}: cannot change roleRef");
  json no_verbs = Role("Role", "nv", {{{"apiGroups", {""}}, {"resources", {"pods"}}}});
  r = Send(*admin, "POST", std::string(kRbac) + "/namespaces/default/roles", no_verbs);
  ASSERT_EQ(r->status, 422);
  EXPECT_EQ(Body(r)["details"]["causes"][0],
            json({{"reason", "FieldValueRequired"},
                  {"message", "Required value: verbs must contain at least one value"},
                  {"field", "rules[0].verbs"}}));
  json bad_kind = Binding("ClusterRoleBinding", "x", "Role", "view", {User("a")});
  r = Send(*admin, "POST", std::string(kRbac) + "/clusterrolebindings", bad_kind);
  ASSERT_EQ(r->status, 422);
  EXPECT_THAT(Body(r)["message"].get<std::string>(),
              ::testing::HasSubstr("roleRef.kind: Unsupported value: \"Role\": supported values: "
                                   "\"ClusterRole\""));
  // A User subject without apiGroup gets the default.
  json defaulted =
      Binding("RoleBinding", "d", "ClusterRole", "view", {{{"kind", "User"}, {"name", "carol"}}});
  defaulted["roleRef"].erase("apiGroup");
  r = Send(*admin, "POST", rbs, defaulted);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(r)["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(Body(r)["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
}

TEST(Rbac, SubjectAccessReviewsAndRulesReview) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/namespaces/default/rolebindings",
                 Binding("RoleBinding", "alice-edit", "ClusterRole", "edit", {User("alice")}))
                ->status,
            201);
  json sar = {{"apiVersion", "authorization.k8s.io/v1"},
              {"kind", "SubjectAccessReview"},
              {"spec",
               {{"user", "alice"},
                {"resourceAttributes",
                 {{"verb", "create"},
                  {"resource", "deployments"},
                  {"group", "apps"},
                  {"namespace", "default"}}}}}};
  auto r = Send(*admin, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(r)["status"],
            json({{"allowed", true},
                  {"reason",
                   "RBAC: allowed by RoleBinding \"alice-edit/default\" of ClusterRole \"edit\" "
                   "to User \"alice\""}}));
  sar["spec"]["resourceAttributes"]["namespace"] = "kube-system";
  r = Send(*admin, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar);
  EXPECT_EQ(Body(r)["status"], json({{"allowed", false}}));
  r = Send(*admin, "POST",
           "/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews", sar);
  ASSERT_EQ(r->status, 422);
  EXPECT_THAT(Body(r)["message"].get<std::string>(),
              ::testing::HasSubstr("spec.resourceAttributes.namespace: Invalid value: "
                                   "\"kube-system\": must match metadata.namespace"));
  sar["spec"]["resourceAttributes"]["namespace"] = "default";
  sar["kind"] = "LocalSubjectAccessReview";
  r = Send(*admin, "POST",
           "/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews", sar);
  ASSERT_EQ(r->status, 201);
  EXPECT_EQ(Body(r)["status"]["allowed"], true);
  EXPECT_EQ(Body(r)["metadata"]["namespace"], "default");
  // No user and no group: 422.
  sar["spec"].erase("user");
  r = Send(*admin, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar);
  EXPECT_EQ(r->status, 422);
  // A user without the right may not ask about others.
  auto user = Client(srv, UserToken(srv));
  EXPECT_EQ(Send(*user, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)->status,
            403);

  json rules = {{"apiVersion", "authorization.k8s.io/v1"},
                {"kind", "SelfSubjectRulesReview"},
                {"spec", {{"namespace", "default"}}}};
  r = Send(*user, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", rules);
  ASSERT_EQ(r->status, 201);
  json status = Body(r)["status"];
  EXPECT_EQ(status["incomplete"], false);
  EXPECT_THAT(status["resourceRules"].dump(),
              ::testing::HasSubstr(
                  R"("resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"])"));
  EXPECT_THAT(status["nonResourceRules"].dump(), ::testing::HasSubstr(R"("/healthz")"));
}

TEST(Rbac, FixtureBindingsAuthorizeAndResetRestoresTheBootstrapPolicy) {
  test::TempDir tmp;
  auto fixtures = tmp.path() / "rbac.json";
  std::ofstream(fixtures) << Binding("RoleBinding", "user-view", "ClusterRole", "view",
                                     {User("kubedouble-user")})
                                 .dump();
  fake::TestServer srv({.fixtures = fake::LoadFixtureObjects(fixtures)});
  auto admin = Client(srv, AdminToken(srv));
  auto user = Client(srv, UserToken(srv));
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/pods")->status, 200);
  ASSERT_EQ(Send(*admin, "POST", std::string(kRbac) + "/clusterrolebindings",
                 Binding("ClusterRoleBinding", "user-edit", "ClusterRole", "edit",
                         {User("kubedouble-user")}))
                ->status,
            201);
  EXPECT_EQ(user->Get("/api/v1/namespaces/kube-system/pods")->status, 200);
  auto reset = admin->Post("/__kubedouble/reset", "", "application/json");
  ASSERT_TRUE(reset);
  ASSERT_EQ(reset->status, 200) << reset->body;
  EXPECT_EQ(user->Get("/api/v1/namespaces/kube-system/pods")->status, 403);
  EXPECT_EQ(user->Get("/api/v1/namespaces/default/pods")->status, 200);
  EXPECT_EQ(admin->Get(std::string(kRbac) + "/clusterroles/view")->status, 200);
}

TEST(Rbac, PolicyFileOfManifestsAndModes) {
  test::TempDir tmp;
  auto policy = tmp.path() / "policy.yaml";
  std::ofstream(policy) << R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: users-read-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kubedouble-user}
)";
  {
    fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
    auto user = Client(srv, UserToken(srv));
    EXPECT_EQ(user->Get("/api/v1/namespaces/default/pods")->status, 200);
    EXPECT_EQ(user->Get("/api/v1/namespaces/default/secrets")->status, 403);
  }
  std::ofstream(policy) << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
  try {
    fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
    ADD_FAILURE() << "a ConfigMap in a policy file was accepted";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr("document 1: kind \"ConfigMap\" is not an RBAC kind"));
  }
  fake::TestServer deny({.authorization = fake::Authorization::kAlwaysDeny});
  EXPECT_EQ(Client(deny, UserToken(deny))->Get("/api")->status, 403);
  // system:masters is never denied, as kube-apiserver's privileged group.
  EXPECT_EQ(Client(deny, AdminToken(deny))->Get("/api/v1/namespaces/default/pods")->status, 200);
}

// The bootstrap policy is stored on a thread of its own at start-up, beside the fixtures: a policy
// file's object of the same name still replaces it, as it did when the two were stored in turn.
TEST(Rbac, PolicyFileReplacesABootstrapObjectOfTheSameName) {
  test::TempDir tmp;
  auto policy = tmp.path() / "policy.yaml";
  std::ofstream(policy) << R"(apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:public-info-viewer"}
rules:
- {nonResourceURLs: [/version], verbs: [get]}
)";
  for (int start = 0; start < 5; ++start) {
    fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
    auto r = Client(srv, AdminToken(srv))
                 ->Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/system:public-info-viewer");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body)["rules"],
              json::parse(R"([{"nonResourceURLs": ["/version"], "verbs": ["get"]}])"))
        << "start " << start;
  }
}

}  // namespace
}  // namespace kubedouble::testing
