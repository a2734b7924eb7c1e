// The embedded swagger document and the OpenAPI v3 documents derived from it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubedouble/schema/openapi.h"

namespace kubedouble::schema {
namespace {

using json = nlohmann::json;

const json& Swagger() {
  static const json doc = json::parse(BuiltInSwaggerJson());
  return doc;
}

TEST(SchemaOpenApi, SwaggerHoldsServedGroupVersionsOnly) {
  const json& s = Swagger();
  EXPECT_EQ(s["swagger"], "2.0");
  EXPECT_TRUE(s["paths"].contains("/apis/apps/v1/namespaces/{namespace}/deployments"));
  EXPECT_TRUE(s["paths"].contains("/api/v1/namespaces/{namespace}/pods/{name}"));
  EXPECT_FALSE(s["paths"].contains("/apis/resource.k8s.io/v1beta1/resourceclaims"));
  const json& d = s["definitions"]["io.k8s.api.apps.v1.Deployment"];
  EXPECT_EQ(d["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
  EXPECT_TRUE(s["definitions"].contains("io.k8s.api.apps.v1.DeploymentStrategy"));
  EXPECT_FALSE(s["definitions"].contains("io.k8s.api.resource.v1beta1.ResourceClaim"));
  EXPECT_EQ(&BuiltInSwaggerJson(), &BuiltInSwaggerJson());  // inflated once
}

TEST(SchemaOpenApi, KeysOfV3Documents) {
  EXPECT_EQ(OpenApiV3Key("/apis/apps/v1/namespaces/{namespace}/deployments"), "apis/apps/v1");
  EXPECT_EQ(OpenApiV3Key("/apis/apps/v1/"), "apis/apps/v1");
  EXPECT_EQ(OpenApiV3Key("/api/v1/pods"), "api/v1");
  EXPECT_EQ(OpenApiV3Key("/apis/apps/"), "apis/apps");
  EXPECT_EQ(OpenApiV3Key("/api/"), "api");
  EXPECT_EQ(OpenApiV3Key("/apis/"), "apis");
  EXPECT_EQ(OpenApiV3Key("/version/"), "version");
  EXPECT_EQ(OpenApiV3Key("/logs/{logpath}"), "logs");
  EXPECT_EQ(OpenApiV3Key("/.well-known/openid-configuration/"), ".well-known/openid-configuration");
}

TEST(SchemaOpenApi, V3DocumentOfAppsV1) {
  auto docs = ToOpenApiV3(Swagger());
  ASSERT_TRUE(docs.count("apis/apps/v1"));
  EXPECT_TRUE(docs.count("api/v1"));
  EXPECT_TRUE(docs.count("apis/batch/v1"));
  EXPECT_FALSE(docs.count("apis/resource.k8s.io/v1beta1"));
  const json& apps = docs["apis/apps/v1"];
  EXPECT_EQ(apps["openapi"], "3.0.0");
  const json& schemas = apps["components"]["schemas"];
  ASSERT_TRUE(schemas.contains("io.k8s.api.apps.v1.Deployment"));
  EXPECT_EQ(schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy");
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  EXPECT_FALSE(schemas.contains("io.k8s.api.batch.v1.Job"));  // not reached from apps/v1
  // What kubectl checks before it leaves validation to the server: the PATCH operation of the
  // kind takes fieldValidation, and accepts strategic merge patches.
  const json& patch =
      apps["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"]["kind"], "Deployment");
  bool field_validation = false;
  for (const auto& p : patch["parameters"]) {
    if (p["name"] == "fieldValidation" && p["in"] == "query") field_validation = true;
    EXPECT_FALSE(p.contains("$ref")) << p.dump();
    EXPECT_FALSE(p.contains("type")) << p.dump();
  }
  EXPECT_TRUE(field_validation);
  EXPECT_TRUE(patch["requestBody"]["content"].contains("application/strategic-merge-patch+json"));
  EXPECT_EQ(patch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(apps.dump().find("#/definitions/"), std::string::npos);
}

}  // namespace
}  // namespace kubedouble::schema
