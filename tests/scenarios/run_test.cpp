// `kubedouble run` end to end: a small suite through the real binary, its matrix, JUnit and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class RunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kd-run-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  ProcessResult Kubedouble(std::vector<std::string> args) {
    ProcessOptions o;
    o.argv = {KUBEDOUBLE_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = CleanEnvironment();
    o.timeout = std::chrono::milliseconds(120000);
    return RunProcess(o);
  }
  fs::path dir_;
};

constexpr const char* kSuite = R"(suite: small
scenarios:
  - name: token-and-ca
    access: {path: token}
    request: {verb: list, namespace: all}
    expect: {outcome: ok, min_items: 1, user: kubedouble-admin}
  - name: rogue-ca
    access: {path: token, ca: rogue}
    expect: {outcome: tls_error, tls: unknown_authority}
  - name: insecure-behind-a-mitm
    server: {mitm: true}
    access: {path: insecure}
    expect: {outcome: ok, evidence: {token_leaked: true}}
  - name: kubeconfig-only
    access:
      path: kubeconfig
      kubeconfigs: [a.yaml]
      files:
        - path: a.yaml
          content: |
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "${SERVER}", certificate-authority: "${CA_FILE}"}}]
            users: [{name: u, user: {token: "${ADMIN_TOKEN}"}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
    expect: {outcome: ok}
)";

TEST_F(RunTest, PassingSuiteGivesMatrixJunitAndJson) {
  fs::path suite = Write("small.yaml", kSuite);
  auto r = Kubedouble({"run", suite.string(), "--clients", "curl,kubectl", "--jobs", "2", "--junit",
                       (dir_ / "junit.xml").string(), "--json", (dir_ / "out.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("small/token-and-ca"));
  EXPECT_THAT(r.out, HasSubstr("curl does not read kubeconfig files"));  // skipped, with reason
  EXPECT_THAT(r.out, HasSubstr("8 runs: 7 passed, 0 failed, 0 errors, 1 skipped"));

  std::string xml = Read(dir_ / "junit.xml");
  EXPECT_THAT(
      xml,
      HasSubstr("<testsuite name=\"small\" tests=\"8\" failures=\"0\" errors=\"0\" skipped=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<testcase name=\"rogue-ca [kubectl]\" classname=\"small.kubectl\""));
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"curl does not read kubeconfig files"));

  auto j = nlohmann::json::parse(Read(dir_ / "out.json"));
  EXPECT_EQ(j["summary"]["passed"], 7);
  bool leak_seen = false;
  for (const auto& res : j["results"])
    if (res["scenario"] == "insecure-behind-a-mitm" && res["client"] == "curl")
      leak_seen = res["outcome"]["evidence"]["token_leaked"] == true;
  EXPECT_TRUE(leak_seen);
}

TEST_F(RunTest, AFailureExitsOneWithTheReason) {
  fs::path suite = Write("fails.yaml", R"(scenarios:
  - name: wrong-expectation
    access: {path: token, ca: rogue}
    expect: {outcome: ok}
)");
  auto r = Kubedouble(
      {"run", suite.string(), "--clients", "curl", "--junit", (dir_ / "junit.xml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAIL"));
  EXPECT_THAT(r.out, HasSubstr("expected ok, got tls_error unknown_authority"));
  EXPECT_THAT(Read(dir_ / "junit.xml"), HasSubstr("<failure message=\"expected ok, got tls_error"));
}

TEST_F(RunTest, AMalformedSuiteExitsTwoWithThePosition) {
  fs::path suite =
      Write("bad.yaml", "scenarios:\n  - name: a\n    expect: {outcome: ok}\n    colour: red\n");
  auto r = Kubedouble({"run", suite.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(suite.string() + ":4:5: unknown key \"colour\""));
}

// A fixture whose alias loops crashed `kubedouble run` (SIGSEGV) before the suite was read.
TEST_F(RunTest, ASuiteWhoseAliasLoopsExitsTwoWithTheReason) {
  fs::path suite = Write("loop.yaml",
                         "scenarios:\n  - name: a\n    server: {fixtures: [&f {kind: [*f]}]}\n"
                         "    expect: {outcome: ok}\n");
  auto r = Kubedouble({"run", suite.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr(suite.string() + ":3:36: anchor 'f' value contains itself"));
}

TEST_F(RunTest, UsageErrorsExitTwo) {
  fs::path suite = Write("small.yaml", kSuite);
  EXPECT_EQ(Kubedouble({"run", suite.string(), "--clients", "telnet"}).exit_code, 2);
  EXPECT_EQ(Kubedouble({"run", suite.string(), "--shard", "3/2"}).exit_code, 2);
  EXPECT_EQ(Kubedouble({"run", suite.string(), "--filter", "(("}).exit_code, 2);
  EXPECT_EQ(Kubedouble({"run", (dir_ / "missing.yaml").string()}).exit_code, 2);
}

TEST_F(RunTest, ListFilterAndShard) {
  fs::path suite = Write("small.yaml", kSuite);
  auto all = Kubedouble({"run", suite.string(), "--list"});
  EXPECT_EQ(all.exit_code, 0);
  EXPECT_THAT(all.out, HasSubstr("4 scenarios"));
  auto filtered = Kubedouble({"run", suite.string(), "--list", "--filter", "ca$"});
  EXPECT_THAT(filtered.out, HasSubstr("small/token-and-ca"));
  EXPECT_THAT(filtered.out, HasSubstr("2 scenarios"));
  auto shard1 = Kubedouble({"run", suite.string(), "--list", "--shard", "1/2"});
  auto shard2 = Kubedouble({"run", suite.string(), "--list", "--shard", "2/2"});
  EXPECT_THAT(shard1.out, HasSubstr("small/token-and-ca"));
  EXPECT_THAT(shard1.out, HasSubstr("2 scenarios"));
  EXPECT_THAT(shard2.out, HasSubstr("small/rogue-ca"));
  EXPECT_THAT(shard2.out, HasSubstr("2 scenarios"));
}

}  // namespace
}  // namespace kubedouble::scenarios
