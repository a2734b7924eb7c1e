#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "client.h"

namespace kubedouble::testing {
namespace {

constexpr char kTable[] =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/"
    "json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json";

TEST(Resources, ListPodsInANamespaceAndAcrossAll) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json all = Body(c->Get("/api/v1/pods"));
  EXPECT_EQ(all["kind"], "PodList");
  EXPECT_EQ(all["apiVersion"], "v1");
  std::set<std::string> namespaces;
  for (const auto& p : all["items"]) {
    namespaces.insert(p["metadata"]["namespace"].get<std::string>());
    EXPECT_EQ(p["kind"], "Pod");
  }
  EXPECT_EQ(namespaces, (std::set<std::string>{"default", "kube-system"}));
  json def = Body(c->Get("/api/v1/namespaces/default/pods"));
  EXPECT_LT(def["items"].size(), all["items"].size());
  bool with_ip = false;
  for (const auto& p : def["items"]) {
    EXPECT_EQ(p["metadata"]["namespace"], "default");
    if (p["status"].contains("podIP")) with_ip = true;
  }
  EXPECT_TRUE(with_ip);
}

TEST(Resources, TableWhenAskedPlainListOtherwise) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Get("/api/v1/namespaces/default/pods?limit=500", {{"Accept", kTable}});
  json t = Body(r);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["apiVersion"], "meta.k8s.io/v1");
  EXPECT_FALSE(t["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_EQ(t["columnDefinitions"][0]["name"], "Name");
  ASSERT_FALSE(t["rows"].empty());
  EXPECT_EQ(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["namespace"], "default");
  json plain = Body(c->Get("/api/v1/namespaces/default/pods", {{"Accept", "application/json"}}));
  EXPECT_EQ(plain["kind"], "PodList");
}

TEST(Resources, GetOneAndNotFound) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json ns = Body(c->Get("/api/v1/namespaces/kube-system"));
  EXPECT_EQ(ns["kind"], "Namespace");
  EXPECT_EQ(ns["metadata"]["name"], "kube-system");
  json cm = Body(c->Get("/api/v1/namespaces/kube-public/configmaps/kube-root-ca.crt"));
  EXPECT_EQ(cm["data"]["ca.crt"], srv.ca_pem());
  json sa = Body(c->Get("/api/v1/namespaces/kube-system/serviceaccounts/default"));
  EXPECT_EQ(sa["kind"], "ServiceAccount");
  auto missing = c->Get("/api/v1/namespaces/default/pods/nope");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["message"], "pods \"nope\" not found");
  EXPECT_EQ(Body(missing)["reason"], "NotFound");
  auto unknown = c->Get("/api/v1/namespaces/default/widgets");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Body(unknown)["message"], "the server could not find the requested resource");
  EXPECT_EQ(c->Get("/api/v1/namespaces/default/events")->status, 200);
}

TEST(Resources, LegacyTokenSecretCarriesTokenCaAndNamespace) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json secrets = Body(c->Get("/api/v1/namespaces/default/secrets"));
  int found = 0;
  for (const auto& s : secrets["items"]) {
    if (s["type"] != "kubernetes.io/service-account-token") continue;
    ++found;
    EXPECT_EQ(s["metadata"]["annotations"]["kubernetes.io/service-account.name"], "default");
    EXPECT_TRUE(s["data"].contains("token"));
    EXPECT_TRUE(s["data"].contains("ca.crt"));
    EXPECT_EQ(s["data"]["namespace"], "ZGVmYXVsdA==");
  }
  EXPECT_EQ(found, 1);
}

TEST(Resources, CreateThroughTheApiIsStored) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Post(
      "/api/v1/namespaces/default/configmaps",
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"made"},"data":{"k":"v"}})",
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(Body(c->Get("/api/v1/namespaces/default/configmaps/made"))["data"]["k"], "v");
  auto bad = c->Post("/api/v1/namespaces/default/configmaps", "{not json", "application/json");
  EXPECT_EQ(bad->status, 400);
}

TEST(Resources, YamlBodiesAreAcceptedAsOnARealServer) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Post("/api/v1/namespaces/default/configmaps",
                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n"
                   "data:\n  replicas: \"3\"\n  enabled: \"true\"\n",
                   "application/yaml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body;
  json stored = Body(c->Get("/api/v1/namespaces/default/configmaps/from-yaml"));
  EXPECT_EQ(stored["data"]["replicas"], "3");
  EXPECT_EQ(stored["data"]["enabled"], "true");
  auto bad =
      c->Post("/api/v1/namespaces/default/configmaps", "metadata: [unclosed", "application/yaml");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(Body(bad)["message"].get<std::string>(), ::testing::HasSubstr("not valid YAML"));
  auto scalar = c->Post("/api/v1/namespaces/default/configmaps", "just text", "application/yaml");
  EXPECT_EQ(scalar->status, 400);
}

// YAML turns unquoted 3 and true into a number and a bool, which a ConfigMap's data refuses, as
// kube-apiserver refuses them (it decodes YAML into JSON the same way); dryRun=All is checked
// too, and a watch from before sees nothing of either.
TEST(Resources, WrongFieldTypesInABodyAre400AndStoreNothing) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  const std::string path = "/api/v1/namespaces/default/configmaps";
  json list = Body(c->Get(path.c_str()));
  std::string rv = list["metadata"]["resourceVersion"];
  for (const char* query : {"", "?dryRun=All"}) {
    auto r = c->Post((path + query).c_str(),
                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unquoted\n"
                     "data:\n  replicas: 3\n",
                     "application/yaml");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(Body(r)["message"],
              "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot "
              "unmarshal number into Go struct field ConfigMap.data of type string");
  }
  auto secret =
      c->Post("/api/v1/namespaces/default/secrets",
              R"({"metadata":{"name":"s"},"data":{"token":"not base64"}})", "application/json");
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->status, 400);
  EXPECT_EQ(Body(secret)["message"],
            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input "
            "byte 3");
  EXPECT_EQ(c->Get((path + "/unquoted").c_str())->status, 404);
  auto watch = c->Get((path + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv).c_str());
  ASSERT_TRUE(watch);
  EXPECT_EQ(watch->status, 200);
  EXPECT_EQ(watch->body, "");
}

}  // namespace
}  // namespace kubedouble::testing
