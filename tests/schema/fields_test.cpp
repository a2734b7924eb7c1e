// UnknownFields: what fieldValidation names, from the kinds' message tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubedouble/schema/fields.h"

namespace kubedouble::schema {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SchemaFields, NamesEveryUnknownFieldByItsPath) {
  json d = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "labls": {"a": "b"}},
    "spec": {
      "replcas": 2,
      "template": {"spec": {
        "containers": [{"name": "a", "image": "x"}, {"name": "b", "imagee": "y",
                        "resources": {"limits": {"cpu": "1"}},
                        "livenessProbe": {"httpGet": {"port": 80}, "periodSeconds": 5}}],
        "volumes": [{"name": "v", "configMap": {"name": "c"}, "bogus": 1}]}}}})");
  EXPECT_THAT(
      UnknownFields("apps", "v1", "Deployment", d),
      ElementsAre("metadata.labls", "spec.replcas", "spec.template.spec.containers[1].imagee",
                  "spec.template.spec.volumes[0].bogus"));
}

TEST(SchemaFields, KnownFieldsFreeFormValuesAndDirectivesPass) {
  json cm = json::parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
    "annotations": {"x": "y"}, "managedFields": [{"fieldsV1": {"f:data": {}}}]},
    "data": {"anything": "goes"}})");
  EXPECT_THAT(UnknownFields("", "v1", "ConfigMap", cm), IsEmpty());
  json patch = json::parse(R"({"spec": {"$setElementOrder/containers": [{"name": "a"}],
    "containers": [{"name": "a", "$patch": "delete"}]}})");
  EXPECT_THAT(UnknownFields("", "v1", "Pod", patch), IsEmpty());
  json widget = json::parse(R"({"spec": {"anything": 1}})");
  EXPECT_THAT(UnknownFields("example.com", "v1", "Widget", widget), IsEmpty());  // not known
}

TEST(SchemaFields, PruneDropsWhatItNames) {
  json pod = json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "a", "image": "x", "imagee": "y"}], "nodeNam": "n"}})");
  EXPECT_THAT(PruneUnknownFields("", "v1", "Pod", pod),
              ElementsAre("spec.containers[0].imagee", "spec.nodeNam"));
  EXPECT_EQ(pod, json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "a", "image": "x"}]}})"));
}

}  // namespace
}  // namespace kubedouble::schema
