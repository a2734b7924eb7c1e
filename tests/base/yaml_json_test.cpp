// The one YAML loader: aliases that loop or fan out are refused before a node graph is built,
// and ordinary anchors, aliases and merge keys still read as they always did.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kubedouble/base/yaml_json.h"

namespace {

using kubedouble::base::LoadAllYaml;
using kubedouble::base::LoadYaml;
using kubedouble::base::LoadYamlAsJson;
using kubedouble::base::YamlLimits;
using nlohmann::json;
using ::testing::HasSubstr;

// The message of the ParserException `text` is refused with (empty when it loads).
std::string Refusal(const std::string& text, const YamlLimits& limits = {}) {
  try {
    LoadYamlAsJson(text, limits);
  } catch (const YAML::ParserException& e) {
    return e.msg;
  }
  return "";
}

// `levels` anchored lists of `fan_out` aliases to the previous one: fan_out^levels leaves.
std::string Laughs(int levels, int fan_out) {
  std::string text = "l0: &l0 [lol]\n";
  for (int i = 1; i <= levels; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int j = 0; j < fan_out; ++j) text += (j ? ", *l" : "*l") + std::to_string(i - 1);
    text += "]\n";
  }
  return text;
}

TEST(YamlLoad, AnAliasInsideItsOwnAnchorIsRefusedNotFollowed) {
  EXPECT_EQ(Refusal("a: &a [*a]"), "anchor 'a' value contains itself");
  EXPECT_EQ(Refusal("a: &x\n  b: *x\n"), "anchor 'x' value contains itself");
  EXPECT_EQ(Refusal("- &outer {k: [1, {deep: *outer}]}"), "anchor 'outer' value contains itself");
}

TEST(YamlLoad, TheRefusalSaysWhereTheAliasIs) {
  try {
    LoadYaml("x: 1\na: &a [*a]");
    FAIL() << "loaded";
  } catch (const YAML::ParserException& e) {
    EXPECT_EQ(e.mark.line, 1);  // yaml-cpp's lines count from 0
    EXPECT_THAT(e.what(), HasSubstr("line 2"));
  }
}

TEST(YamlLoad, BillionLaughsAreRefusedAsExcessiveAliasing) {
  // 9^9 leaves (387 million) from 200 bytes; the 7-level body of the hardening report stored a
  // 33.6 MB object.
  EXPECT_THAT(Refusal(Laughs(9, 9)), HasSubstr("document contains excessive aliasing"));
  EXPECT_THAT(Refusal(Laughs(7, 9)), HasSubstr("document contains excessive aliasing"));
  // The same through every loader.
  EXPECT_THROW(LoadYaml(Laughs(9, 9)), YAML::ParserException);
  EXPECT_THROW(LoadAllYaml("a: 1\n---\n" + Laughs(9, 9)), YAML::ParserException);
}

TEST(YamlLoad, ModestReuseIsAllowedAsGoYamlAllowsIt) {
  // 100 aliases or fewer: any share; 1,000 nodes or fewer: any share.
  EXPECT_EQ(Refusal(Laughs(2, 10)), "");  // 110 alias nodes in 124
  EXPECT_EQ(Refusal(Laughs(3, 4)), "");
  // Many aliases among many more plain nodes.
  std::string text = "base: &b {x: 1}\nuse: [";
  for (int i = 0; i < 300; ++i) text += "*b, ";
  text += "]\nplain: [";
  for (int i = 0; i < 2000; ++i) text += "0, ";
  text += "]\n";
  EXPECT_EQ(Refusal(text), "");
}

TEST(YamlLoad, TheNodeAndByteCapsBindEvenUnderTheShare) {
  YamlLimits small{.max_nodes = 50};
  EXPECT_THAT(Refusal(Laughs(2, 10), small), HasSubstr("more than 50 nodes"));
  YamlLimits few_bytes{.max_alias_bytes = 1000};
  std::string text = "s: &s " + std::string(400, 'x') + "\nt: [*s, *s, *s]\n";
  EXPECT_THAT(Refusal(text, few_bytes), HasSubstr("repeat more than 1000 bytes"));
  EXPECT_EQ(Refusal(text), "");
}

TEST(YamlLoad, NestingThroughAliasesIsBounded) {
  // Each anchor nests 400 levels; aliasing it inside the next stacks the depths up.
  std::string text;
  for (int i = 0; i < 6; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " " + std::string(400, '[');
    if (i > 0) text += "*a" + std::to_string(i - 1);
    text += std::string(400, ']') + "\n";
  }
  EXPECT_THAT(Refusal(text), HasSubstr("nests deeper than 2000 levels"));
}

TEST(YamlLoad, AnchorsAliasesAndMergeKeysStillWork) {
  json j = LoadYamlAsJson(
      "defaults: &d {image: nginx, port: 80}\n"
      "labels: &l {app: web}\n"
      "one: *d\n"
      "two:\n  <<: *d\n  port: 8080\n"
      "three:\n  <<: [*l, *d]\n  name: x\n"
      "s: &s hello\n"
      "t: *s\n");
  EXPECT_EQ(j["one"], (json{{"image", "nginx"}, {"port", 80}}));
  EXPECT_EQ(j["two"], (json{{"image", "nginx"}, {"port", 8080}}));
  EXPECT_EQ(j["three"], (json{{"app", "web"}, {"image", "nginx"}, {"port", 80}, {"name", "x"}}));
  EXPECT_EQ(j["t"], "hello");
  // A quoted "<<" is an ordinary key.
  EXPECT_EQ(LoadYamlAsJson("'<<': 1"), (json{{"<<", 1}}));
  // An anchor used again after it closes is fine; so is redefining it.
  EXPECT_EQ(LoadYamlAsJson("a: &a [1]\nb: [*a, *a]\nc: &a 2\nd: *a"),
            (json{{"a", {1}}, {"b", {{1}, {1}}}, {"c", 2}, {"d", 2}}));
}

TEST(YamlLoad, AMergeOfAScalarIsRefused) {
  EXPECT_THAT(Refusal("a: &a 1\nb:\n  <<: *a\n"),
              HasSubstr("map merge requires map or sequence of maps"));
}

// yaml-cpp 0.7's LoadAll never returned on a stray top-level `,` (found by the fuzzer).
TEST(YamlLoad, AStrayCommaEndsTheStreamWithAnError) {
  for (const char* text : {",", "[1],", "a: 1\n---\n,", "a: 1\n,"}) {
    EXPECT_THROW(LoadAllYaml(text), YAML::Exception) << text;
  }
  EXPECT_EQ(LoadAllYaml("a: 1\n---\n---\nb: [1, 2]\n").size(), 3u);
}

// Bytes that are not UTF-8 are refused as go-yaml refuses them; they reached JSON, which cannot
// hold them, and the server answered 500 (found by the fuzzer).
TEST(YamlLoad, InvalidUtf8IsRefusedWithItsPlace) {
  EXPECT_EQ(Refusal("a: \xff"), "invalid leading UTF-8 octet");
  EXPECT_EQ(Refusal("a: x\xc3"), "incomplete UTF-8 octet sequence");
  EXPECT_EQ(Refusal("a: \xe2\x28\xa1"), "invalid trailing UTF-8 octet");
  EXPECT_EQ(Refusal("a: \xed\xa0\x80"), "invalid trailing UTF-8 octet");  // a surrogate
  try {
    LoadYaml("a: 1\nb: caf\xe9\n");
    FAIL() << "loaded";
  } catch (const YAML::ParserException& e) {
    EXPECT_EQ(e.mark.line, 1);
    EXPECT_EQ(e.mark.column, 6);
  }
  // Escapes that decode to no character; NUL bytes (which made yaml-cpp read UTF-16 or UTF-32).
  EXPECT_THAT(Refusal("a: \"\\uD800\""), HasSubstr("invalid unicode"));  // yaml-cpp's own
  EXPECT_THAT(Refusal("a: \"\\U00110000\""), HasSubstr("invalid unicode"));
  EXPECT_EQ(Refusal(std::string("-\0\0\0a: b", 8)), "control characters are not allowed");
  EXPECT_EQ(Refusal("\xff\xfe-\0"), "invalid leading UTF-8 octet");
  EXPECT_EQ(LoadYamlAsJson("a: \"\\u00e9\\U0001F433\""), (json{{"a", "\xc3\xa9\xf0\x9f\x90\xb3"}}));
  EXPECT_EQ(LoadYamlAsJson("name: caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3"),
            (json{{"name", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xb3"}}));
}

TEST(YamlToJson, ScalarsFollowTheCoreSchema) {
  EXPECT_EQ(
      LoadYamlAsJson("[~, null, true, False, 12, +3, -4, 1.5, 1e3, '7', \"true\", !!str 9, "
                     "abc, 0x1F]"),
      (json{nullptr, nullptr, true, false, 12, 3, -4, 1.5, 1000.0, "7", "true", "9", "abc", 31}));
  EXPECT_EQ(LoadYamlAsJson(""), json());
}

// The four values a suite file and a --faults file once read differently: one reading now.
TEST(YamlToJson, TrueNullInfAndHexReadOneWay) {
  EXPECT_EQ(LoadYamlAsJson("a: TRUE"), (json{{"a", true}}));
  EXPECT_EQ(LoadYamlAsJson("a: Null"), (json{{"a", nullptr}}));
  EXPECT_EQ(LoadYamlAsJson("a: inf"), (json{{"a", "inf"}}));  // not a number in YAML 1.2
  EXPECT_EQ(LoadYamlAsJson("a: 0x10"), (json{{"a", 16}}));
}

TEST(YamlToJson, CoreSchemaEdges) {
  EXPECT_EQ(LoadYamlAsJson("[yes, no, on, off, y, n, tRUE, nULL, NuLL]"),
            (json{"yes", "no", "on", "off", "y", "n", "tRUE", "nULL", "NuLL"}));
  EXPECT_EQ(LoadYamlAsJson("[0o17, 017, 0xff, +0x10, -0x10, 0o8, 0xg, 1_000]"),
            (json{15, 17, 255, "+0x10", "-0x10", "0o8", "0xg", "1_000"}));
  EXPECT_EQ(LoadYamlAsJson("[.5, 1., +1.5, -2E2, 1e+2, 1e, e3, ., 1.5.6, 2024-01-02]"),
            (json{0.5, 1.0, 1.5, -200.0, 100.0, "1e", "e3", ".", "1.5.6", "2024-01-02"}));
  EXPECT_EQ(LoadYamlAsJson("[9223372036854775807, -9223372036854775808, 18446744073709551615]"),
            (json{INT64_MAX, INT64_MIN, UINT64_MAX}));
  EXPECT_EQ(LoadYamlAsJson("a: 99999999999999999999")["a"], 1e20);
  EXPECT_EQ(LoadYamlAsJson("[inf, nan, Infinity, '.inf']"),
            (json{"inf", "nan", "Infinity", ".inf"}));
}

TEST(YamlToJson, InfinityAndNanAreRefusedWithTheirPlace) {
  for (const char* text : {"a: .inf", "a: -.Inf", "a: +.INF", "a: .nan", "a: .NaN", "a: 1e400"}) {
    try {
      LoadYamlAsJson(text);
      ADD_FAILURE() << text << " was read";
    } catch (const YAML::ParserException& e) {
      EXPECT_EQ(e.mark.line, 0) << text;
      EXPECT_EQ(e.mark.column, 3) << text;
      EXPECT_NE(e.msg.find("cannot be represented in JSON"), std::string::npos) << e.msg;
    }
  }
}

TEST(YamlLoad, SyntaxErrorsStillComeFromYamlCpp) {
  EXPECT_THROW(LoadYaml("a: [1, 2"), YAML::ParserException);
  EXPECT_THROW(LoadYaml("a: *missing"), YAML::ParserException);
}

}  // namespace
