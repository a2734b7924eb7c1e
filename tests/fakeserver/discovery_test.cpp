#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

constexpr char kAggregated[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/"
    "json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

TEST(Discovery, LegacyApi) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  for (const char* path : {"/api", "/api/"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
    json j = Body(r);
    EXPECT_EQ(j["kind"], "APIVersions");
    EXPECT_EQ(j["versions"], json({"v1"}));
    EXPECT_EQ(j["serverAddressByClientCIDRs"][0]["clientCIDR"], "0.0.0.0/0");
    EXPECT_EQ(j["serverAddressByClientCIDRs"][0]["serverAddress"],
              "127.0.0.1:" + std::to_string(srv.port()));
  }
  json v1 = Body(c->Get("/api/v1"));
  EXPECT_EQ(v1["kind"], "APIResourceList");
  EXPECT_EQ(v1["groupVersion"], "v1");
  bool pods = false, token = false;
  for (const auto& r : v1["resources"]) {
    if (r["name"] == "pods") {
      pods = true;
      EXPECT_EQ(r["kind"], "Pod");
      EXPECT_EQ(r["namespaced"], true);
      EXPECT_EQ(r["singularName"], "pod");
    }
    if (r["name"] == "serviceaccounts/token") {
      token = true;
      EXPECT_EQ(r["kind"], "TokenRequest");
      EXPECT_EQ(r["group"], "authentication.k8s.io");
    }
  }
  EXPECT_TRUE(pods);
  EXPECT_TRUE(token);
  json apis = Body(c->Get("/apis"));
  EXPECT_EQ(apis["kind"], "APIGroupList");
  bool authz = false;
  for (const auto& g : apis["groups"]) {
    if (g["name"] == "authorization.k8s.io") authz = true;
  }
  EXPECT_TRUE(authz);
  auto group = Body(c->Get("/apis/authentication.k8s.io"));
  EXPECT_EQ(group["kind"], "APIGroup");
  auto gv = Body(c->Get("/apis/authentication.k8s.io/v1"));
  EXPECT_EQ(gv["resources"][0]["name"], "selfsubjectreviews");
  auto missing = c->Get("/apis/nope.example.com/v1");
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["reason"], "NotFound");
}

TEST(Discovery, AggregatedByAcceptWithEtag) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  for (const char* path : {"/api", "/apis"}) {
    auto r = c->Get(path, {{"Accept", kAggregated}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Content-Type"),
              "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
    EXPECT_EQ(r->get_header_value("Vary"), "Accept");
    std::string etag = r->get_header_value("ETag");
    ASSERT_FALSE(etag.empty());
    json j = Body(r);
    EXPECT_EQ(j["kind"], "APIGroupDiscoveryList");
    EXPECT_EQ(j["apiVersion"], "apidiscovery.k8s.io/v2");
    ASSERT_FALSE(j["items"].empty());
    for (const auto& item : j["items"]) {
      for (const auto& v : item["versions"]) {
        for (const auto& res : v["resources"]) {
          EXPECT_TRUE(res.contains("responseKind")) << res.dump();
          EXPECT_TRUE(res["scope"] == "Namespaced" || res["scope"] == "Cluster");
        }
      }
    }
    auto again = c->Get(path, {{"Accept", kAggregated}, {"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
  }
  json core = Body(c->Get("/api", {{"Accept", kAggregated}}));
  EXPECT_EQ(core["items"][0]["metadata"]["name"], "");
  auto beta = c->Get(
      "/apis",
      {{"Accept", "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"}});
  EXPECT_EQ(Body(beta)["apiVersion"], "apidiscovery.k8s.io/v2beta1");
  auto legacy = c->Get("/api", {{"Accept", "application/json, */*"}});
  EXPECT_EQ(Body(legacy)["kind"], "APIVersions");
}

TEST(Discovery, VersionHealthAndOpenApi) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json v = Body(c->Get("/version"));
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "32");
  EXPECT_THAT(v["gitVersion"].get<std::string>(), ::testing::MatchesRegex("v1\\.32\\.[0-9]+"));
  for (const char* path : {"/healthz", "/livez", "/readyz", "/readyz/ping", "/livez/etcd"}) {
    auto r = c->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, "ok");
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  }
  auto verbose = c->Get("/readyz?verbose");
  EXPECT_THAT(verbose->body, ::testing::HasSubstr("[+]ping ok\n"));
  EXPECT_THAT(verbose->body, ::testing::EndsWith("readyz check passed\n"));
  EXPECT_EQ(c->Get("/readyz/nonsense")->status, 404);
  EXPECT_EQ(c->Get("/openapi/v4")->status, 404);
}

TEST(Discovery, EveryBuiltInGroupInApisOrderWithPreferredVersions) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json apis = Body(c->Get("/apis"));
  ASSERT_GE(apis["groups"].size(), 19u);
  EXPECT_EQ(apis["groups"][0]["name"], "apiregistration.k8s.io");
  EXPECT_EQ(apis["groups"][1]["name"], "apps");
  json autoscaling = Body(c->Get("/apis/autoscaling"));
  EXPECT_EQ(autoscaling["preferredVersion"]["version"], "v2");
  EXPECT_EQ(autoscaling["versions"].size(), 2u);
  json apps = Body(c->Get("/apis/apps/v1"));
  json scale, deployments;
  for (const auto& r : apps["resources"]) {
    if (r["name"] == "deployments/scale") scale = r;
    if (r["name"] == "deployments") deployments = r;
  }
  EXPECT_EQ(deployments["shortNames"], json({"deploy"}));
  EXPECT_EQ(deployments["categories"], json({"all"}));
  EXPECT_EQ(scale["group"], "autoscaling");
  EXPECT_EQ(scale["version"], "v1");
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(Body(c->Get("/apis/rbac.authorization.k8s.io/v1"))["resources"].size(), 4u);
}

TEST(Discovery, AggregatedListsSubresourcesShortNamesAndCategories) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json apis = Body(c->Get("/apis", {{"Accept", kAggregated}}));
  json jobs;
  int resources = 0;
  for (const auto& g : apis["items"]) {
    for (const auto& v : g["versions"]) {
      for (const auto& r : v["resources"]) {
        ++resources;
        if (g["metadata"]["name"] == "batch" && r["resource"] == "jobs") jobs = r;
      }
    }
  }
  json core = Body(c->Get("/api", {{"Accept", kAggregated}}));
  resources += core["items"][0]["versions"][0]["resources"].size();
  EXPECT_EQ(resources, 59);  // every default-enabled resource of 1.32
  EXPECT_EQ(jobs["categories"], json({"all"}));
  EXPECT_EQ(jobs["scope"], "Namespaced");
  EXPECT_EQ(jobs["subresources"][0]["subresource"], "status");
  EXPECT_EQ(jobs["subresources"][0]["responseKind"]["group"], "batch");
  EXPECT_EQ(jobs["subresources"][0]["responseKind"]["kind"], "Job");
}

}  // namespace
}  // namespace kubedouble::testing
