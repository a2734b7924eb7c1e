// scenarios/suite.schema.json: every built-in suite is valid, and suites the runner refuses
// are refused by the schema too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "distribution/facts.h"

namespace kubedouble::test {
namespace {
namespace fs = std::filesystem;

bool HaveJsonschema() { return Bash("python3 -c 'import jsonschema, yaml'").code == 0; }
const std::string kSchema = kSource + "/scenarios/suite.schema.json";

TEST(SuiteSchema, EveryBuiltInSuiteIsValid) {
  if (!HaveJsonschema()) GTEST_SKIP() << "python3-jsonschema is not installed (ci/setup)";
  std::string files;
  int n = 0;
  for (const auto& e : fs::directory_iterator(kSource + "/scenarios/suites")) {
    files += ' ';
    files += e.path().string();
    n++;
  }
  nlohmann::json result = Facts("schema " + kSchema + files);
  ASSERT_EQ(static_cast<int>(result.size()), n);
  for (const auto& [file, errors] : result.items()) EXPECT_TRUE(errors.empty()) << file << errors;
}

// Suites `kubedouble run --list` refuses: the schema says no as well.
TEST(SuiteSchema, RefusesWhatTheRunnerRefuses) {
  if (!HaveJsonschema()) GTEST_SKIP() << "python3-jsonschema is not installed (ci/setup)";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"unknown-key", "scenarios:\n- name: a\n  expect: {outcome: ok}\n  colour: red\n"},
      {"raw-without-path",
       "scenarios:\n- name: a\n  request: {verb: raw}\n  expect: {outcome: ok}\n"},
      {"bad-outcome", "scenarios:\n- name: a\n  expect: {outcome: fine}\n"},
      {"tls-on-ok", "scenarios:\n- name: a\n  expect: {outcome: ok, tls: expired}\n"},
      {"override-without-why",
       "scenarios:\n- name: a\n  expect: {outcome: ok}\n  clients: {curl: {outcome: tls_error}}\n"},
      {"file-with-both",
       "scenarios:\n- name: a\n  access: {files: [{path: k, content: x, from: ca}]}\n"
       "  expect: {outcome: ok}\n"},
      {"bad-name", "scenarios:\n- name: a b\n  expect: {outcome: ok}\n"},
      {"apply-without-manager",
       "scenarios:\n- name: a\n  request: {verb: patch, resource: configmaps, name: c, "
       "patch_type: apply, body: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}}\n"
       "  expect: {outcome: ok}\n"},
      {"force-on-a-merge-patch",
       "scenarios:\n- name: a\n  request: {verb: patch, name: c, force: true, body: {}}\n"
       "  expect: {outcome: ok}\n"},
  };
  fs::path dir = fs::temp_directory_path() / ("kd-schema-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string files;
  for (const auto& [name, text] : bad) {
    std::ofstream(dir / (name + ".yaml")) << text;
    files += ' ';
    files += (dir / (name + ".yaml")).string();
    ShellResult run =
        Bash(ShellQuote(kBinary) + " run --list " + (dir / (name + ".yaml")).string());
    EXPECT_EQ(run.code, 2) << name << ": the runner accepted it\n" << run.output;
  }
  nlohmann::json result = Facts("schema " + kSchema + files);
  for (const auto& [name, text] : bad)
    EXPECT_FALSE(result[(dir / (name + ".yaml")).string()].empty())
        << name << ": the schema accepted it";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kubedouble::test
