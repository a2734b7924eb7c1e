#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

TEST(Fixtures, FilesAndFoldersAddObjects) {
  test::TempDir tmp;
  std::filesystem::create_directory(tmp.path() / "more");
  std::ofstream(tmp.path() / "one.yaml") << R"(apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team-a
spec:
  containers: [{name: web, image: "nginx"}]
status:
  phase: Running
  podIP: 10.9.8.7
)";
  std::ofstream(tmp.path() / "more" / "cm.json")
      << R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"1"}}]})";
  auto fixtures = fake::LoadFixtureObjects(tmp.path() / "one.yaml");
  for (auto& object : fake::LoadFixtureObjects(tmp.path() / "more")) fixtures.push_back(object);
  fake::TestServer srv({.fixtures = fixtures});
  auto c = Client(srv, AdminToken(srv));
  json pod = Body(c->Get("/api/v1/namespaces/team-a/pods/web"));
  EXPECT_EQ(pod["status"]["podIP"], "10.9.8.7");
  json cm = Body(c->Get("/api/v1/namespaces/default/configmaps/settings"));
  EXPECT_EQ(cm["data"]["a"], "1");
  // Default fixtures are still there.
  EXPECT_EQ(c->Get("/api/v1/namespaces/kube-system/pods")->status, 200);
}

// The objects the server makes itself (namespaces, pods, service accounts, the legacy token
// secret, kube-root-ca.crt, the bootstrap policy) are stored unchecked (Store::PutOwn): each of
// them must be one that Put, which checks, accepts as it is.
TEST(Fixtures, TheServersOwnObjectsPassPutsChecks) {
  fake::TestServer srv;
  fake::Store& store = srv.server().store();
  int checked = 0;
  for (const auto& res : store.registry()->All()) {
    if (res.Allows("list")) {
      const json list = store.List(res, "", {});
      for (const auto& item : list["items"]) {
        SCOPED_TRACE(res.plural + " " + item["metadata"].value("name", ""));
        EXPECT_NO_THROW(store.Put(res, item));
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 60);  // the fixtures and the bootstrap policy
}

TEST(Fixtures, EveryServedKindIsAccepted) {
  test::TempDir tmp;
  std::ofstream(tmp.path() / "app.yaml") << R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: leader, namespace: kube-system}
spec: {holderIdentity: me}
)";
  fake::TestServer srv({.fixtures = fake::LoadFixtureObjects(tmp.path() / "app.yaml")});
  auto c = Client(srv, AdminToken(srv));
  EXPECT_EQ(Body(c->Get("/apis/apps/v1/namespaces/default/deployments/web"))["spec"]["replicas"],
            2);
  EXPECT_EQ(c->Get("/apis/rbac.authorization.k8s.io/v1/clusterroles/reader")->status, 200);
  EXPECT_EQ(
      Body(c->Get(
          "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/leader"))["spec"]
                                                                               ["holderIdentity"],
      "me");
}

TEST(Fixtures, NoDefaultFixturesLeavesOnlyTheDefaultNamespace) {
  fake::TestServer srv({.default_fixtures = false});
  auto c = Client(srv, AdminToken(srv));
  EXPECT_TRUE(Body(c->Get("/api/v1/pods"))["items"].empty());
  json ns = Body(c->Get("/api/v1/namespaces"));
  ASSERT_EQ(ns["items"].size(), 1u);
  EXPECT_EQ(ns["items"][0]["metadata"]["name"], "default");
}

TEST(Fixtures, ObjectsGivenAsValuesAreServedAndABadOneNamesItsSource) {
  fake::TestServer srv({.fixtures = {{json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "in-memory", "namespace": "kube-system"}, "data": {"k": "v"}})"),
                                      "my test"}}});
  json cm = Body(
      Client(srv, AdminToken(srv))->Get("/api/v1/namespaces/kube-system/configmaps/in-memory"));
  EXPECT_EQ(cm["data"]["k"], "v");
  try {
    fake::TestServer bad(
        {.fixtures = {{json{{"apiVersion", "v1"}, {"kind", "Gizmo"}}, "my test"}}});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "my test: kind Gizmo in v1 is not served");
  }
}

TEST(Fixtures, BadDocumentNamesFileAndNumber) {
  test::TempDir tmp;
  auto file = tmp.path() / "bad.yaml";
  std::ofstream(file) << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n"
                         "apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n";
  try {
    fake::TestServer srv({.fixtures = fake::LoadFixtureObjects(file)});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("bad.yaml: document 2: kind Gizmo"));
  }
  std::ofstream(file) << "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n";
  try {
    fake::TestServer srv({.fixtures = fake::LoadFixtureObjects(file)});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr("bad.yaml: document 1: ConfigMap has no metadata.name"));
  }
  try {
    fake::TestServer srv({.fixtures = fake::LoadFixtureObjects(tmp.path() / "missing.yaml")});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("missing.yaml: no such file"));
  }
}

}  // namespace
}  // namespace kubedouble::testing
