// Every built-in resource of 1.32 is served by the one generic store: scope, verbs, status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

json Deployment(const std::string& name) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", 2},
            {"selector", {{"matchLabels", {{"app", name}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", name}}}}},
              {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx:1.27"}}}}}}}}}}};
}

// POSTs a Deployment to namespace default; true when it was created.
bool Create(httplib::SSLClient& c, const json& deployment) {
  auto r =
      c.Post("/apis/apps/v1/namespaces/default/deployments", deployment.dump(), "application/json");
  return r && r->status == 201;
}

TEST(BuiltInResources, DeploymentsLeasesAndRolesAreStoredAndListed) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto created = c->Post("/apis/apps/v1/namespaces/default/deployments", Deployment("web").dump(),
                         "application/json");
  ASSERT_EQ(created->status, 201) << created->body;
  json d = Body(c->Get("/apis/apps/v1/namespaces/default/deployments/web"));
  EXPECT_EQ(d["kind"], "Deployment");
  EXPECT_EQ(d["spec"]["replicas"], 2);
  EXPECT_EQ(Body(c->Get("/apis/apps/v1/deployments"))["kind"], "DeploymentList");
  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "leader"}}},
                {"spec", {{"holderIdentity", "me"}}}};
  EXPECT_EQ(c->Post("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", lease.dump(),
                    "application/json")
                ->status,
            201);
  json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
               {"kind", "ClusterRole"},
               {"metadata", {{"name", "reader"}}},
               {"rules", {{{"apiGroups", {""}}, {"resources", {"pods"}}, {"verbs", {"get"}}}}}};
  EXPECT_EQ(
      c->Post("/apis/rbac.authorization.k8s.io/v1/clusterroles", role.dump(), "application/json")
          ->status,
      201);
  auto got = Body(c->Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/reader"));
  EXPECT_FALSE(got["metadata"].contains("namespace"));  // cluster-scoped
  // A cluster-scoped resource asked for inside a namespace does not exist.
  EXPECT_EQ(
      c->Get("/apis/rbac.authorization.k8s.io/v1/namespaces/default/clusterroles/reader")->status,
      404);
}

TEST(BuiltInResources, VerbsDiscoveryDoesNotListAre405) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto all_namespaces = c->Delete("/api/v1/namespaces");
  EXPECT_EQ(all_namespaces->status, 405);
  EXPECT_EQ(Body(all_namespaces)["reason"], "MethodNotAllowed");
  EXPECT_EQ(c->Get("/apis/authentication.k8s.io/v1/tokenreviews")->status, 405);
  EXPECT_EQ(c->Put("/api/v1/namespaces/default/pods/x/exec", "{}", "application/json")->status,
            405);  // create and get only
  EXPECT_EQ(c->Get("/api/v1/namespaces/default/pods/x/nothing")->status, 404);
}

TEST(BuiltInResources, ReviewsAreAnsweredNotStored) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SubjectAccessReview"},
                 {"spec", {{"user", "jane"}, {"nonResourceAttributes", {{"path", "/x"}}}}}};
  auto r = c->Post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review.dump(),
                   "application/json");
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(r)["kind"], "SubjectAccessReview");
  EXPECT_EQ(Body(r)["spec"]["user"], "jane");
}

TEST(BuiltInResources, StatusSubresourceChangesOnlyStatus) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  ASSERT_TRUE(Create(*c, Deployment("web")));
  json d = Body(c->Get("/apis/apps/v1/namespaces/default/deployments/web"));
  d["spec"]["replicas"] = 7;
  d["status"] = {{"replicas", 2}, {"readyReplicas", 2}};
  auto put = c->Put("/apis/apps/v1/namespaces/default/deployments/web/status", d.dump(),
                    "application/json");
  ASSERT_EQ(put->status, 200) << put->body;
  json after = Body(c->Get("/apis/apps/v1/namespaces/default/deployments/web"));
  EXPECT_EQ(after["status"]["readyReplicas"], 2);
  EXPECT_EQ(after["spec"]["replicas"], 2);  // the spec change was not taken
  auto patch = c->Patch("/apis/apps/v1/namespaces/default/deployments/web/status",
                        R"({"spec":{"replicas":9},"status":{"readyReplicas":1}})",
                        "application/merge-patch+json");
  ASSERT_EQ(patch->status, 200) << patch->body;
  after = Body(c->Get("/apis/apps/v1/namespaces/default/deployments/web/status"));
  EXPECT_EQ(after["status"]["readyReplicas"], 1);
  EXPECT_EQ(after["spec"]["replicas"], 2);
}

TEST(BuiltInResources, ScaleSubresourceReadsAndWritesReplicas) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  ASSERT_TRUE(Create(*c, Deployment("web")));
  const char* path = "/apis/apps/v1/namespaces/default/deployments/web/scale";
  json scale = Body(c->Get(path));
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(scale["spec"]["replicas"], 2);
  EXPECT_EQ(scale["status"]["selector"], "app=web");
  auto patched = c->Patch(path, R"({"spec":{"replicas":5}})", "application/merge-patch+json");
  ASSERT_EQ(patched->status, 200) << patched->body;
  EXPECT_EQ(Body(patched)["spec"]["replicas"], 5);
  scale["spec"]["replicas"] = 1;
  scale.erase("metadata");
  ASSERT_EQ(c->Put(path, scale.dump(), "application/json")->status, 200);
  EXPECT_EQ(Body(c->Get("/apis/apps/v1/namespaces/default/deployments/web"))["spec"]["replicas"],
            1);
  auto negative = c->Patch(path, R"({"spec":{"replicas":-1}})", "application/merge-patch+json");
  EXPECT_EQ(negative->status, 422);
  EXPECT_EQ(c->Get("/apis/apps/v1/namespaces/default/deployments/nothing/scale")->status, 404);
}

TEST(BuiltInResources, FieldValidationStrictWarnIgnore) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json d = Deployment("web");
  d["spec"]["replcas"] = 3;
  const char* path = "/apis/apps/v1/namespaces/default/deployments";
  auto strict =
      c->Post(std::string(path) + "?fieldValidation=Strict", d.dump(), "application/json");
  EXPECT_EQ(strict->status, 400);
  EXPECT_EQ(Body(strict)["message"],
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding "
            "error: unknown field \"spec.replcas\"");
  EXPECT_EQ(c->Get(std::string(path) + "/web")->status, 404);  // nothing stored
  auto warn = c->Post(path, d.dump(), "application/json");     // Warn is the default
  ASSERT_EQ(warn->status, 201);
  EXPECT_EQ(warn->get_header_value("Warning"), "299 - \"unknown field \\\"spec.replcas\\\"\"");
  // Unknown fields are never stored: dropped, not echoed back.
  EXPECT_FALSE(Body(warn)["spec"].contains("replcas"));
  EXPECT_FALSE(Body(c->Get(std::string(path) + "/web"))["spec"].contains("replcas"));
  EXPECT_EQ(Body(warn)["spec"]["replicas"], 2);
  auto patch = c->Patch(std::string(path) + "/web?fieldValidation=Strict",
                        R"({"spec":{"replicas":2,"bogus":1}})", "application/merge-patch+json");
  EXPECT_EQ(patch->status, 400);
  EXPECT_EQ(Body(patch)["message"], "strict decoding error: unknown field \"spec.bogus\"");
  auto ignore = c->Patch(std::string(path) + "/web?fieldValidation=Ignore",
                         R"({"spec":{"bogus":1}})", "application/merge-patch+json");
  EXPECT_EQ(ignore->status, 200);
  EXPECT_FALSE(ignore->has_header("Warning"));
  EXPECT_FALSE(Body(ignore)["spec"].contains("bogus"));
}

}  // namespace
}  // namespace kubedouble::testing
