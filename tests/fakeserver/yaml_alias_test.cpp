// YAML aliases that loop (`a: &a [*a]`) or fan out ("billion laughs"), wherever the server reads
// YAML: a request body is a 400 BadRequest Status and the server keeps answering; a --fixtures,
// --faults or --policy file stops `kubedouble serve` with a message naming the file, never a
// crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "client.h"
#include "common/shell.h"

namespace kubedouble::testing {
namespace {

using ::testing::HasSubstr;

const char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";
// 11 bytes that crashed the server: the anchor's value holds an alias to itself.
const char kCycle[] = "a: &a [*a]\n";

// A ConfigMap body whose field `lol` holds 9^7 (4.8 million) strings through seven levels of
// aliases: 344 bytes that stored a 33.6 MB object.
std::string Laughs(const std::string& name) {
  std::string text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\nlol:\n";
  text += "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char level = 'b'; level <= 'g'; ++level) {
    std::string alias = std::string("*") + static_cast<char>(level - 1);
    text += std::string("  ") + level + ": &" + level + " [";
    for (int i = 0; i < 9; ++i) text += (i ? ", " : "") + alias;
    text += "]\n";
  }
  return text;
}

void ExpectBadRequest(const httplib::Result& r, const std::string& why) {
  ASSERT_TRUE(r) << "no answer: " << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 400) << r->body;
  json status = Body(r);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "BadRequest");
  EXPECT_THAT(status["message"].get<std::string>(),
              HasSubstr("the request body is not valid YAML: "));
  EXPECT_THAT(status["message"].get<std::string>(), HasSubstr(why));
}

TEST(YamlAliases, ABodyWhoseAliasLoopsIsABadRequestAndTheServerLivesOn) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  ExpectBadRequest(c->Post(kConfigMaps, kCycle, "application/yaml"),
                   "anchor 'a' value contains itself");
  ASSERT_EQ(c->Post(kConfigMaps, R"({"metadata":{"name":"cm"}})", "application/json")->status, 201);
  std::string path = std::string(kConfigMaps) + "/cm";
  ExpectBadRequest(
      c->Put(path, std::string("metadata: {name: cm}\n") + "x: &x {y: *x}\n", "application/yaml"),
      "anchor 'x' value contains itself");
  // Still answering, and the object is unchanged.
  auto get = c->Get(path);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_FALSE(Body(get).contains("x"));
}

TEST(YamlAliases, BillionLaughsInABodyIsRefusedAndNothingIsStored) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  ExpectBadRequest(c->Post(kConfigMaps, Laughs("lol"), "application/yaml"),
                   "document contains excessive aliasing");
  EXPECT_EQ(c->Get(std::string(kConfigMaps) + "/lol")->status, 404);
  // Ordinary anchors and merge keys are still welcome.
  auto ok = c->Post(kConfigMaps,
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"
                    "data:\n  <<: &base {a: '1', b: '2'}\n  b: '3'\n",
                    "application/yaml");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201) << ok->body;
  EXPECT_EQ(Body(ok)["data"], (json{{"a", "1"}, {"b", "3"}}));
}

// Bytes that are not UTF-8 reached the store's messages and came back as a 500.
TEST(YamlAliases, InvalidUtf8InABodyIsABadRequest) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  ExpectBadRequest(
      c->Post(kConfigMaps, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a\xff\"}\n",
              "application/yaml"),
      "invalid leading UTF-8 octet");
}

// `kubedouble serve` with an aliased file: exit 1 and a message naming the file, not a crash.
test::ShellResult Serve(const test::TempDir& tmp, const std::string& flag,
                        const std::string& file) {
  return test::Bash(std::string(KUBEDOUBLE_BINARY) + " serve --port 0 --dir " +
                    test::ShellQuote((tmp.path() / "state").string()) + " " + flag + " " +
                    test::ShellQuote((tmp.path() / file).string()));
}

TEST(YamlAliases, ServeRefusesAliasedFixturesFaultsAndPolicies) {
  test::TempDir tmp;
  std::ofstream(tmp.path() / "cycle.yaml") << kCycle;
  std::ofstream(tmp.path() / "merge.yaml") << "x: &x 1\n<<: *x\n";
  std::ofstream(tmp.path() / "laughs.yaml") << Laughs("lol");
  std::ofstream(tmp.path() / "fixtures.yaml")
      << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n---\n"
      << kCycle;
  for (auto [flag, file, why] : {
           std::tuple{"--fixtures", "cycle.yaml", "anchor 'a' value contains itself"},
           std::tuple{"--fixtures", "fixtures.yaml", "anchor 'a' value contains itself"},
           std::tuple{"--fixtures", "laughs.yaml", "document contains excessive aliasing"},
           std::tuple{"--fixtures", "merge.yaml",
                      "document 1: line 1: map merge requires map or sequence of maps"},
           std::tuple{"--faults", "cycle.yaml", "anchor 'a' value contains itself"},
           std::tuple{"--faults", "laughs.yaml", "document contains excessive aliasing"},
           std::tuple{"--policy", "cycle.yaml", "anchor 'a' value contains itself"},
       }) {
    auto r = Serve(tmp, flag, file);
    EXPECT_EQ(r.code, 1) << flag << " " << file << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr(file)) << flag;
    EXPECT_THAT(r.output, HasSubstr(why)) << flag << " " << file;
  }
}

}  // namespace
}  // namespace kubedouble::testing
