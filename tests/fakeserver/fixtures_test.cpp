#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

TEST(Fixtures, FilesAndFoldersAddObjects) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.path / "more");
  std::ofstream(tmp.path / "one.yaml") << R"(apiVersion: v1
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
  std::ofstream(tmp.path / "more" / "cm.json")
      << R"({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings"},"data":{"a":"1"}}]})";
  fake::TestServer srv({.fixtures = {tmp.path / "one.yaml", tmp.path / "more"}});
  auto c = Client(srv, AdminToken(srv));
  json pod = Body(c->Get("/api/v1/namespaces/team-a/pods/web"));
  EXPECT_EQ(pod["status"]["podIP"], "10.9.8.7");
  json cm = Body(c->Get("/api/v1/namespaces/default/configmaps/settings"));
  EXPECT_EQ(cm["data"]["a"], "1");
  // Default fixtures are still there.
  EXPECT_EQ(c->Get("/api/v1/namespaces/kube-system/pods")->status, 200);
}

TEST(Fixtures, NoDefaultFixturesLeavesOnlyTheDefaultNamespace) {
  fake::TestServer srv({.default_fixtures = false});
  auto c = Client(srv, AdminToken(srv));
  EXPECT_TRUE(Body(c->Get("/api/v1/pods"))["items"].empty());
  json ns = Body(c->Get("/api/v1/namespaces"));
  ASSERT_EQ(ns["items"].size(), 1u);
  EXPECT_EQ(ns["items"][0]["metadata"]["name"], "default");
}

TEST(Fixtures, BadDocumentNamesFileAndNumber) {
  TempDir tmp;
  auto file = tmp.path / "bad.yaml";
  std::ofstream(file) << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n"
                         "apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n";
  try {
    fake::TestServer srv({.fixtures = {file}});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("bad.yaml: document 2: kind Gizmo"));
  }
  std::ofstream(file) << "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n";
  try {
    fake::TestServer srv({.fixtures = {file}});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(),
                ::testing::HasSubstr("bad.yaml: document 1: ConfigMap has no metadata.name"));
  }
  try {
    fake::TestServer srv({.fixtures = {tmp.path / "missing.yaml"}});
    FAIL() << "should not start";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("missing.yaml: no such file"));
  }
}

}  // namespace
}  // namespace kubedouble::testing
