// /openapi/v2 and /openapi/v3: what kubectl reads for validation, apply and explain.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(OpenApi, V2IsJsonOrProtobufWithOneEtag) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Get("/openapi/v2", {{"Accept", "application/json"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  std::string etag = r->get_header_value("Etag");
  EXPECT_THAT(etag, MatchesRegex("\"[0-9A-F]{128}\""));
  json doc = Body(r);
  EXPECT_EQ(doc["swagger"], "2.0");
  EXPECT_TRUE(doc["definitions"].contains("io.k8s.api.apps.v1.Deployment"));
  EXPECT_EQ(c->Get("/openapi/v2", {{"If-None-Match", etag}})->status, 304);
  // kubectl asks for the protobuf form by its older name; the answer carries the current one.
  auto pb = c->Get("/openapi/v2",
                   {{"Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}});
  ASSERT_EQ(pb->status, 200);
  EXPECT_EQ(pb->get_header_value("Content-Type"),
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  EXPECT_EQ(pb->get_header_value("Etag"), etag);
  EXPECT_EQ(pb->body.substr(0, 5), std::string("\x0a\x03"
                                               "2.0",
                                               5));  // swagger = 1: "2.0"
  EXPECT_THAT(pb->body, HasSubstr("io.k8s.api.apps.v1.Deployment"));
  EXPECT_EQ(c->Get("/openapi/v2", {{"Accept", "text/html"}})->status, 406);
  EXPECT_EQ(c->Get("/openapi/v2", {{"Accept", "text/html, */*"}})->status, 200);
  EXPECT_EQ(c->Delete("/openapi/v2")->status, 405);
}

TEST(OpenApi, V3DiscoveryPointsAtHashedGroupVersions) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json root = Body(c->Get("/openapi/v3"));
  ASSERT_TRUE(root["paths"].contains("apis/apps/v1"));
  ASSERT_TRUE(root["paths"].contains("api/v1"));
  EXPECT_FALSE(root["paths"].contains("apis/resource.k8s.io/v1beta1"));
  std::string url = root["paths"]["apis/apps/v1"]["serverRelativeURL"];
  EXPECT_THAT(url, MatchesRegex("/openapi/v3/apis/apps/v1\\?hash=[0-9A-F]{128}"));
  auto r = c->Get(url);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Cache-Control"), "public, immutable");
  EXPECT_THAT(r->get_header_value("Expires"), HasSubstr(" UTC"));
  EXPECT_EQ(r->get_header_value("Vary"), "Accept");
  const std::string etag = r->get_header_value("Etag");  // the hash, quoted
  ASSERT_GE(etag.size(), 2u);
  EXPECT_EQ(etag.substr(1, etag.size() - 2), url.substr(url.find('=') + 1));
  json apps = Body(r);
  EXPECT_EQ(apps["openapi"], "3.0.0");
  const json& strategy =
      apps["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentStrategy"]["properties"];
  EXPECT_TRUE(strategy.contains("rollingUpdate"));
  EXPECT_TRUE(strategy.contains("type"));
  // Without the hash: the document, with every answer's Cache-Control, not the immutable one.
  auto plain = c->Get("/openapi/v3/apis/apps/v1");
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(plain->get_header_value("Cache-Control"), "no-cache, private");
  EXPECT_FALSE(plain->has_header("Expires"));
  EXPECT_EQ(plain->body, r->body);
  // A stale hash is redirected to the current one.
  auto stale = c->Get("/openapi/v3/apis/apps/v1?hash=ABC");
  EXPECT_EQ(stale->status, 301);
  EXPECT_EQ(stale->get_header_value("Location"), url);
  EXPECT_EQ(c->Get("/openapi/v3/apis/nothing.example.com/v1")->status, 404);
}

TEST(OpenApi, CustomResourceDefinitionsAddTheirSchemas) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json before = Body(c->Get("/openapi/v3"));
  EXPECT_FALSE(before["paths"].contains("apis/stable.example.com/v1"));
  json structural = {
      {"type", "object"},
      {"properties",
       {{"spec", {{"type", "object"}, {"properties", {{"cronSpec", {{"type", "string"}}}}}}}}}};
  json crd = CronTabCrd(json::array({{{"name", "v1"},
                                      {"served", true},
                                      {"storage", true},
                                      {"schema", {{"openAPIV3Schema", structural}}}}}));
  ASSERT_EQ(c->Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd.dump(),
                    "application/json")
                ->status,
            201);
  json after = Body(c->Get("/openapi/v3"));
  ASSERT_TRUE(after["paths"].contains("apis/stable.example.com/v1"));
  json doc = Body(
      c->Get(after["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"].get<std::string>()));
  const json& schema = doc["components"]["schemas"]["com.example.stable.v1.CronTab"];
  EXPECT_EQ(schema["properties"]["spec"]["properties"]["cronSpec"]["type"], "string");
  EXPECT_EQ(schema["x-kubernetes-group-version-kind"][0]["kind"], "CronTab");
  const json& patch =
      doc["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]["patch"];
  bool field_validation = false;
  for (const auto& p : patch["parameters"]) field_validation |= p["name"] == "fieldValidation";
  EXPECT_TRUE(field_validation);
  EXPECT_TRUE(Body(c->Get("/openapi/v2"))["definitions"].contains("com.example.stable.v1.CronTab"));
}

}  // namespace
}  // namespace kubedouble::testing
