// JSON as the YAML kube-apiserver writes (go-yaml's block style), read back by the one loader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/base/json_yaml.h>
#include <kubedouble/base/yaml_json.h>

namespace kubedouble::base {
namespace {

using json = nlohmann::json;

TEST(JsonToYaml, BlockStyleAsKubectlShowsIt) {
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web",
    "labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx",
    "ports":[{"containerPort":80}]}],"volumes":[]},"status":{}})");
  EXPECT_EQ(JsonToYaml(pod),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  labels:\n"
            "    app: web\n"
            "  name: web\n"
            "spec:\n"
            "  containers:\n"
            "  - image: nginx\n"
            "    name: c\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "  volumes: []\n"
            "status: {}\n");
}

TEST(JsonToYaml, StringsAreQuotedWhenAReaderWouldTakeThemForSomethingElse) {
  json v = {{"a", "true"}, {"b", "123"},        {"c", "1.5"},
            {"d", ""},     {"e", "null"},       {"f", "2024-01-02T03:04:05Z"},
            {"g", "on"},   {"h", "*star"},      {"i", "- dash"},
            {"j", "a: b"}, {"k", " lead"},      {"l", "tab\there"},
            {"m", "it's"}, {"n", "plain text"}, {"o", "0x1F"},
            {"p", "1:20"}, {"q", "a #b"},       {"r", "a#b"}};
  EXPECT_EQ(JsonToYaml(v),
            "a: \"true\"\n"
            "b: \"123\"\n"
            "c: \"1.5\"\n"
            "d: \"\"\n"
            "e: \"null\"\n"
            "f: \"2024-01-02T03:04:05Z\"\n"
            "g: \"on\"\n"
            "h: '*star'\n"
            "i: '- dash'\n"
            "j: 'a: b'\n"
            "k: ' lead'\n"
            "l: \"tab\\there\"\n"
            "m: it's\n"
            "\"n\": plain text\n"  // a YAML 1.1 boolean as a key, quoted too
            "o: \"0x1F\"\n"
            "p: \"1:20\"\n"
            "q: 'a #b'\n"
            "r: a#b\n");
}

TEST(JsonToYaml, MultiLineTextIsALiteralBlock) {
  json v = {{"script", "echo a\necho b\n"}, {"x", {"one\ntwo"}}};
  EXPECT_EQ(JsonToYaml(v),
            "script: |\n"
            "  echo a\n"
            "  echo b\n"
            "x:\n"
            "- |-\n"
            "  one\n"
            "  two\n");
}

TEST(JsonToYaml, ReadsBackAsTheSameJson) {
  json v = json::parse(R"({"a":[[1,2],[{"b":null,"c":false}]],"d":{"e":{"f":"g: h"}},
    "s":["yes","no","~","", "x\ny", "\u00e9t\u00e9"],"n":-1.25,"big":12345678901})");
  EXPECT_EQ(LoadYamlAsJson(JsonToYaml(v)), v);
}

// What `get -o yaml` and `snapshot save` write reads back through kubedouble's own loader.
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
