// JsonToYaml through kubedouble's own loader: what `get -o yaml` and `snapshot save` write reads
// back as the same JSON (the strings YAML would misread are quoted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/base/json_yaml.h>
#include <kubedouble/base/yaml_json.h>

namespace kubedouble::base {
namespace {

TEST(JsonToYamlRoundTrip, WhatYamlWouldMisreadReadsBackAsTheSameJson) {
  nlohmann::json j = nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "x", "labels": {"on": "yes", "1": "2"}, "annotations": {}},
    "data": {"a": "true", "b": "1.0", "c": "null", "d": "0x10", "e": "0755", "f": "",
             "g": "multi\nline", "h": "a: b", "i": "ünïcode"},
    "n": 3, "f": 1.5, "t": true, "z": null, "list": [1, "1", [], {}]})");
  std::string yaml = JsonToYaml(j);
  EXPECT_EQ(LoadYamlAsJson(yaml), j) << yaml;
  EXPECT_THAT(yaml, ::testing::HasSubstr("name: x\n"));
  EXPECT_EQ(yaml.back(), '\n');
}

}  // namespace
}  // namespace kubedouble::base
