// CompactJson writes exactly the bytes of nlohmann's compact dump (every answer's wire form).
#include <gtest/gtest.h>
#include <kubedouble/base/compact_json.h>

#include <cstdint>
#include <limits>
#include <string>

namespace kubedouble::base {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;

std::string Reference(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(CompactJson, WritesAnObjectAsTheSerializerDoes) {
  json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web",
    "labels":{"app":"web"},"managedFields":[{"manager":"kubectl","operation":"Update",
    "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}}]},
    "spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80}]}],
    "volumes":[],"nodeSelector":{}},"status":{"ready":true,"restarts":0,"ip":null}})");
  EXPECT_EQ(CompactJson(pod), Reference(pod));
  EXPECT_EQ(CompactJson(json{{"a", {1, "x"}}}), R"({"a":[1,"x"]})");
}

TEST(CompactJson, EscapesAndReplacesAsTheSerializerDoes) {
  const std::string strings[] = {
      "",
      "quote \" and backslash \\",
      "nul \0 tab \t newline \n cr \r bell \x07 del \x7f"s,
      "slash / stays",
      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",  // valid UTF-8 kept as it is
      "bad \xff byte, cut \xe2\x82, surrogate \xed\xa0\x80, overlong \xc0\xaf",
  };
  for (const auto& s : strings) {
    json value = s;
    EXPECT_EQ(CompactJson(value), Reference(value)) << "value: " << Reference(value);
    json keyed = {{s, s}, {"plain", {s}}};
    EXPECT_EQ(CompactJson(keyed), Reference(keyed)) << "key: " << Reference(value);
  }
}

TEST(CompactJson, WritesNumbersAsTheSerializerDoes) {
  const json values[] = {0,
                         -1,
                         42,
                         std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<uint64_t>::max(),
                         0.5,
                         1.0,
                         -0.0,
                         1e300,
                         3.14159265358979,
                         std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity(),
                         true,
                         false,
                         nullptr,
                         json::object(),
                         json::array(),
                         json::binary({1, 2, 3})};
  for (const auto& v : values) {
    EXPECT_EQ(CompactJson(v), Reference(v));
    json nested = {{"v", v}, {"list", {v, v}}};
    EXPECT_EQ(CompactJson(nested), Reference(nested));
  }
}

TEST(CompactJson, AppendsToWhatIsThere) {
  std::string out = "[";
  AppendCompactJson(out, json{{"k", "v"}});
  EXPECT_EQ(out, R"([{"k":"v"})");
  AppendCompactJsonString(out, "a\"b\xff");
  EXPECT_EQ(
      out, R"([{"k":"v"})" + json("a\"b\xff").dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace
}  // namespace kubedouble::base
