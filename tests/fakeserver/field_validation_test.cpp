// fieldValidation over HTTP: keys a body repeats (JSON and YAML) and fields a custom resource's
// schema does not declare, as Strict (400), Warn (Warning headers, the default) and Ignore.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";
constexpr char kDuplicated[] =
    R"({"metadata":{"name":"cfg","name":"cfg2"},"data":{"a":"1","a":"2"},"dta":{}})";

std::vector<std::string> Warnings(const httplib::Result& r) {
  std::vector<std::string> out;
  for (auto [it, end] = r->headers.equal_range("Warning"); it != end; ++it) {
    out.push_back(it->second);
  }
  return out;
}

TEST(FieldValidation, RepeatedJsonKeysAreNamedByPath) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto strict = c->Post(std::string(kConfigMaps) + "?fieldValidation=Strict", kDuplicated,
                        "application/json");
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->status, 400);
  EXPECT_EQ(Body(strict)["message"],
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
            "duplicate field \"metadata.name\", duplicate field \"data.a\", unknown field \"dta\"");

  auto warn = c->Post(kConfigMaps, kDuplicated, "application/json");  // Warn is the default
  ASSERT_TRUE(warn);
  EXPECT_EQ(warn->status, 201);
  EXPECT_THAT(Warnings(warn), ElementsAre(R"(299 - "duplicate field \"metadata.name\"")",
                                          R"(299 - "duplicate field \"data.a\"")",
                                          R"(299 - "unknown field \"dta\"")"));
  EXPECT_EQ(Body(warn)["metadata"]["name"], "cfg2");  // the last one wins
  EXPECT_EQ(Body(warn)["data"]["a"], "2");

  auto ignore =
      c->Post(std::string(kConfigMaps) + "?fieldValidation=Ignore",
              R"({"metadata":{"name":"quiet"},"data":{"a":"1","a":"2"}})", "application/json");
  ASSERT_TRUE(ignore);
  EXPECT_EQ(ignore->status, 201);
  EXPECT_TRUE(Warnings(ignore).empty());

  auto patch = c->Patch(std::string(kConfigMaps) + "/cfg2?fieldValidation=Strict",
                        R"({"data":{"b":"1","b":"2"}})", "application/merge-patch+json");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->status, 400);
  EXPECT_THAT(Body(patch)["message"].get<std::string>(),
              HasSubstr("strict decoding error: duplicate field \"data.b\""));
}

TEST(FieldValidation, RepeatedYamlKeysAreNamedByLine) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  const std::string yaml =
      "apiVersion: v1\n"
      "kind: ConfigMap\n"
      "metadata:\n"
      "  name: cfg\n"
      "  name: cfg2\n"
      "data:\n"
      "  a: '1'\n";
  auto strict =
      c->Post(std::string(kConfigMaps) + "?fieldValidation=Strict", yaml, "application/yaml");
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->status, 400);
  EXPECT_EQ(Body(strict)["message"],
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: "
            "yaml: unmarshal errors:\n  line 5: key \"name\" already set in map");
  auto warn = c->Post(kConfigMaps, yaml, "application/yaml");
  ASSERT_TRUE(warn);
  EXPECT_EQ(warn->status, 201);
  EXPECT_THAT(Warnings(warn), ElementsAre(R"(299 - "line 5: key \"name\" already set in map")"));
}

TEST(FieldValidation, CustomResourcesReportWhatTheirSchemaDoesNotDeclare) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  json crd = json::parse(R"({"apiVersion":"apiextensions.k8s.io/v1",
    "kind":"CustomResourceDefinition","metadata":{"name":"crontabs.stable.example.com"},
    "spec":{"group":"stable.example.com","scope":"Namespaced",
      "names":{"plural":"crontabs","kind":"CronTab"},
      "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{
        "type":"object","properties":{"spec":{"type":"object","properties":{
          "cronSpec":{"type":"string"},"replicas":{"type":"integer","default":1}}}}}}}]}})");
  auto made = c->Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd.dump(),
                      "application/json");
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string url = "/apis/stable.example.com/v1/namespaces/default/crontabs";
  const std::string body =
      R"({"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"c1"},
          "spec":{"cronSpec":"* * * * *","bogus":true}})";
  auto strict = c->Post(url + "?fieldValidation=Strict", body, "application/json");
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->status, 400);
  EXPECT_EQ(Body(strict)["message"],
            "CronTab in version \"v1\" cannot be handled as a CronTab: strict decoding error: "
            "unknown field \"spec.bogus\"");
  auto warn = c->Post(url, body, "application/json");
  ASSERT_TRUE(warn);
  EXPECT_EQ(warn->status, 201);
  EXPECT_THAT(Warnings(warn), ElementsAre(R"(299 - "unknown field \"spec.bogus\"")"));
  EXPECT_EQ(Body(warn)["spec"], json({{"cronSpec", "* * * * *"}, {"replicas", 1}}));
  auto invalid =
      c->Post(url, R"({"metadata":{"name":"c2"},"spec":{"replicas":"two"}})", "application/json");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 422);
  EXPECT_EQ(Body(invalid)["message"],
            "CronTab.stable.example.com \"c2\" is invalid: spec.replicas: Invalid value: "
            "\"string\": spec.replicas in body must be of type integer: \"string\"");
}

}  // namespace
}  // namespace kubedouble::testing
