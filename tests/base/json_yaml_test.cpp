// JsonToYaml: what it writes reads back as the same JSON, with plain scalars only where no YAML
// reader could take them for anything else.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/base/json_yaml.h>
#include <kubedouble/base/yaml_json.h>

namespace kubedouble::base {
namespace {

TEST(JsonToYaml, QuotesWhatYamlWouldMisread) {
  for (const char* s :
       {"true",       "False",  "yes", "No",  "on",   "OFF",   "y",         "n",
        "null",       "~",      "",    "1.0", "0x10", "0755",  "1e3",       ".inf",
        "2024-01-01", "a: b",   "- x", "#c",  "*a",   "&a",    "!t",        "%x",
        "@x",         "`x",     "{a}", "[a]", "'q'",  "\"q\"", "two words", "line\nbreak",
        " lead",      "trail ", "+1",  "-1",  "<<"}) {
    EXPECT_FALSE(IsPlainSafe(s)) << s;
  }
  for (const char* s : {"nginx", "kube-system", "app.kubernetes.io/name", "v1", "Pod", "x_y",
                        "d2fdc05a-1454-4563-821c-ce5754407928"}) {
    EXPECT_TRUE(IsPlainSafe(s)) << s;
  }
}

TEST(JsonToYaml, ReadsBackAsTheSameJson) {
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
