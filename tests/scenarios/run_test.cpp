// `kubedouble run` end to end: a small suite through the real binary, its matrix, JUnit and JSON.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
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
  ProcessResult Kubedouble(std::vector<std::string> args,
                           const std::map<std::string, std::string>& env = {}) {
    ProcessOptions o;
    o.argv = {KUBEDOUBLE_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = CleanEnvironment();
    for (const auto& [k, v] : env) o.env[k] = v;
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

  // What ran where: versions, time and host; the scenario's file as the repository names it (here
  // no repository: relative to the working folder, else absolute) with the line apart.
  EXPECT_THAT(xml, HasSubstr("<property name=\"kubedouble.version\" value=\"0."));
  EXPECT_THAT(xml, HasSubstr("<property name=\"client.kubectl.version\" value=\"kubectl v"));
  EXPECT_THAT(xml, HasSubstr("<property name=\"client.curl.version\" value=\"curl "));
  EXPECT_THAT(xml, HasSubstr("<property name=\"host\" value=\""));
  EXPECT_THAT(xml, HasSubstr("file=\"" + suite.string() + "\" line=\"7\""));

  auto j = nlohmann::json::parse(Read(dir_ / "out.json"));
  EXPECT_EQ(j["summary"]["passed"], 7);
  EXPECT_THAT(j["kubedouble_version"].get<std::string>(), ::testing::StartsWith("0."));
  EXPECT_THAT(j["client_versions"]["kubectl"].get<std::string>(),
              ::testing::StartsWith("kubectl v"));
  EXPECT_THAT(j["started"].get<std::string>(), ::testing::MatchesRegex("20[0-9-]+T[0-9:]+Z"));
  EXPECT_FALSE(j["host"].get<std::string>().empty());
  // The evidence says, for each request, what the server saw: path, user and how they proved it.
  bool evidence_seen = false;
  for (const auto& res : j["results"])
    if (res["scenario"] == "token-and-ca" && res["client"] == "curl") {
      EXPECT_EQ(res["line"], 3);
      const auto& seen = res["outcome"]["evidence"]["requests"];
      ASSERT_EQ(seen.size(), 1u) << seen.dump();
      EXPECT_EQ(seen[0]["path"], "/api/v1/pods");
      EXPECT_EQ(seen[0]["user"], "kubedouble-admin");
      EXPECT_EQ(seen[0]["auth"], "token");
      evidence_seen = true;
    }
  EXPECT_TRUE(evidence_seen);
  bool leak_seen = false;
  for (const auto& res : j["results"])
    if (res["scenario"] == "insecure-behind-a-mitm" && res["client"] == "curl")
      leak_seen = res["outcome"]["evidence"]["token_leaked"] == true;
  EXPECT_TRUE(leak_seen);
}

constexpr const char* kFailingSuite = R"(scenarios:
  - name: wrong-expectation
    access: {path: token, ca: rogue}
    expect: {outcome: ok}
)";

TEST_F(RunTest, AFailureExitsOneWithTheReason) {
  fs::path suite = Write("fails.yaml", kFailingSuite);
  auto r = Kubedouble(
      {"run", suite.string(), "--clients", "curl", "--junit", (dir_ / "junit.xml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAIL"));
  EXPECT_THAT(r.out, HasSubstr("expected ok, got tls_error unknown_authority"));
  EXPECT_THAT(Read(dir_ / "junit.xml"), HasSubstr("<failure message=\"expected ok, got tls_error"));
}

// --keep keeps a failed run's folder with the client's log, its command, and repro.sh, which
// starts the same server again and replays the client by hand.
TEST_F(RunTest, KeepGivesTheClientsLogAndAReproScriptThatReplaysTheRun) {
  fs::path suite = Write("fails.yaml", kFailingSuite);
  fs::path work = dir_ / "work";
  auto r =
      Kubedouble({"run", suite.string(), "--clients", "curl", "--work", work.string(), "--keep"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  fs::path run = work / "fails" / "wrong-expectation" / "curl";
  EXPECT_THAT(Read(run / "client.log"), HasSubstr("== stderr"));
  EXPECT_THAT(Read(run / "client.sh"), HasSubstr("'curl'"));
  std::string repro = Read(run / "repro.sh");
  EXPECT_THAT(repro, HasSubstr("'serve' '--dir' '" + (run / "state").string() + "'"));

  ProcessOptions o;
  o.argv = {"bash", (run / "repro.sh").string()};
  o.env = CleanEnvironment();
  o.env["KUBEDOUBLE"] = KUBEDOUBLE_BINARY;
  o.timeout = std::chrono::milliseconds(60000);
  auto replay = RunProcess(o);
  // The same failure again, by hand: curl refuses the certificate against the rogue CA.
  EXPECT_THAT(replay.out + replay.err, HasSubstr("SSL certificate problem")) << replay.err;
}

// The stage gives its in-process server the scenario's tokens, fixtures, faults and policy as
// values; repro.sh gets them as the files `kubedouble serve` takes, and its server reads them.
TEST_F(RunTest, AReproScriptServesTheScenariosTokensFixturesFaultsAndPolicy) {
  fs::path suite = Write("configured.yaml", R"(scenarios:
  - name: configured
    server:
      tokens: "only-token-0123456789abcdef,carol,uid-1,system:masters\n"
      fixtures:
      - {apiVersion: v1, kind: Pod, metadata: {name: from-fixture},
         spec: {containers: [{name: c, image: busybox}]}}
      faults: [{match: {resource: secrets}, status: 503}]
      policy: {rules: [{users: [nobody], verbs: [get], resources: [pods]}]}
    access: {path: token}
    request: {verb: list, namespace: default}
    expect: {outcome: tls_error}
)");
  fs::path work = dir_ / "work";
  auto r =
      Kubedouble({"run", suite.string(), "--clients", "curl", "--work", work.string(), "--keep"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("got ok")) << "the in-process server did not serve";
  fs::path run = work / "configured" / "configured" / "curl";
  std::string repro = Read(run / "repro.sh");
  for (const char* file : {"tokens.csv", "fixtures.yaml", "faults.yaml", "policy.json"}) {
    EXPECT_TRUE(fs::exists(run / file)) << file;
    EXPECT_THAT(repro, HasSubstr((run / file).string())) << file;
  }
  ProcessOptions o;
  o.argv = {"bash", (run / "repro.sh").string()};
  o.env = CleanEnvironment();
  o.env["KUBEDOUBLE"] = KUBEDOUBLE_BINARY;
  o.timeout = std::chrono::milliseconds(60000);
  auto replay = RunProcess(o);
  // curl's status with the scenario's only token, and the policy file read.
  EXPECT_THAT(replay.out, HasSubstr("\n200")) << replay.err;
  EXPECT_THAT(replay.err, HasSubstr("policy.json: the \"rules:\" policy format is deprecated"));
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

// A client named in --clients (or any, with --require-clients) that is not installed fails the
// run, naming it — never a green run of skips.
TEST_F(RunTest, AMissingRequiredClientFailsNamingIt) {
  fs::path suite = Write("small.yaml", kSuite);
  // No kubectl, no curl on PATH.
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"run", suite.string()});
    return Kubedouble(args, {{"PATH", (dir_ / "empty-path").string()}});
  };
  auto named = run({"--clients", "kubectl,accesslib"});
  EXPECT_EQ(named.exit_code, 1) << named.out << named.err;
  EXPECT_THAT(named.err,
              HasSubstr("required client is not available: kubectl (kubectl: not found"));
  auto all = run({"--require-clients", "--filter", "token-and-ca"});
  EXPECT_EQ(all.exit_code, 1) << all.out << all.err;
  EXPECT_THAT(all.err, HasSubstr("curl (curl: not found on PATH)"));
  // Without either, a missing client is a skip with its reason, as before.
  auto lenient = run({"--filter", "token-and-ca"});
  EXPECT_EQ(lenient.exit_code, 0) << lenient.out << lenient.err;
  EXPECT_THAT(lenient.out, HasSubstr("kubectl: not found on PATH"));
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
