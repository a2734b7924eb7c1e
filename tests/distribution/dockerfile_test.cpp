// The Dockerfile, checked without a container daemon: its package lists against ci/setup and
// the binary's shared libraries, its build against ci/package and the install rules, and its
// HEALTHCHECK command against a running server.
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/server.h>
#include <re2/re2.h>

#include <filesystem>

#include "common/free_port.h"
#include "distribution/facts.h"

namespace kubedouble::test {
namespace {
namespace fs = std::filesystem;

nlohmann::json Dockerfile() { return Facts("dockerfile " + kSource + "/Dockerfile"); }

std::set<std::string> Packages(const nlohmann::json& stage) {
  return stage["packages"].get<std::set<std::string>>();
}

std::set<std::string> SetupList(const std::string& group) {
  ShellResult r = Bash(kSource + "/ci/setup --list " + group);
  EXPECT_EQ(r.code, 0) << r.output;
  return Words(r.output);
}

TEST(Dockerfile, BuildStageInstallsTheBuildPackagesOfCiSetup) {
  EXPECT_EQ(Packages(Dockerfile()["stages"]["build"]), SetupList("build"));
}

TEST(Dockerfile, ClientsStageInstallsTheClientPackagesOfCiSetup) {
  std::set<std::string> clients = Packages(Dockerfile()["stages"]["clients"]);
  for (const auto& p : SetupList("clients")) EXPECT_TRUE(clients.count(p)) << p;
}

// The Debian package of every shared library `ldd kubedouble` names: the server stage installs
// exactly these (libc6 is in the base image; a sanitized build's runtimes are not shipped).
TEST(Dockerfile, ServerStageInstallsExactlyTheBinarysLibrariesAndRuntimeData) {
  ShellResult r =
      Bash("set -o pipefail; ldd " + ShellQuote(kBinary) +
           " | awk '$3 ~ /^\\// {print $3}' | while read -r lib; do"
           "  dpkg -S \"$lib\" 2>/dev/null || dpkg -S \"$(readlink -f \"$lib\")\" 2>/dev/null ||"
           "  dpkg -S \"${lib#/usr}\" 2>/dev/null || echo \"unowned: $lib\"; done"
           " | cut -d: -f1");
  ASSERT_EQ(r.code, 0) << r.output;
  std::set<std::string> needed = Words(r.output);
  ASSERT_FALSE(needed.count("unowned")) << r.output;
  ASSERT_TRUE(needed.count("libssl3")) << r.output;
  for (const char* skip : {"libc6", "libasan8", "libubsan1"}) needed.erase(skip);
  needed.merge(SetupList("runtime"));  // data read at run time (the time zones)
  EXPECT_EQ(Packages(Dockerfile()["stages"]["server"]), needed);
}

TEST(Dockerfile, BuildsWithCiPackageAndCopiesWhatTheInstallRulesInstall) {
  nlohmann::json build = Dockerfile()["stages"]["build"];
  ASSERT_EQ(build["runs"].size(), 2u);
  EXPECT_EQ(build["runs"][1], "ci/package --no-cpack --prefix /stage/usr/local");
  // The same install rules, applied to this build tree.
  fs::path prefix = fs::temp_directory_path() / ("kd-install-" + std::to_string(::getpid()));
  ShellResult r = Bash("cmake --install " + std::string(KUBEDOUBLE_BINARY_DIR) + " --prefix " +
                       prefix.string());
  ASSERT_EQ(r.code, 0) << r.output;
  int copies = 0;
  nlohmann::json d = Dockerfile();
  for (const auto& copy : d["stages"]["server"]["copies"]) {
    std::string text = copy.get<std::string>(), installed;
    ASSERT_TRUE(RE2::FullMatch(text, R"(--from=build /stage/usr/local/(\S+) \S+)", &installed))
        << text;
    EXPECT_TRUE(fs::exists(prefix / installed)) << installed << " is not installed";
    copies++;
  }
  EXPECT_EQ(copies, 3);
  EXPECT_TRUE(fs::exists(prefix / "share/kubedouble/suites/tls.yaml"));
  EXPECT_TRUE(fs::exists(prefix / "share/man/man1/kubedouble.1"));
  fs::remove_all(prefix);
}

TEST(Dockerfile, ServerRunsAsNonRootWithTheStateFolderAsAVolume) {
  nlohmann::json d = Dockerfile();
  nlohmann::json server = d["stages"]["server"];
  EXPECT_EQ(server["from"], "debian:12-slim");
  EXPECT_EQ(d["stages"]["build"]["from"], "debian:12");
  EXPECT_EQ(server["user"], "kubedouble");
  EXPECT_EQ(server["volume"], nlohmann::json::array({"/var/lib/kubedouble"}));
  EXPECT_EQ(server["entrypoint"], nlohmann::json::array({"kubedouble"}));
  auto cmd = server["cmd"].get<std::vector<std::string>>();
  ASSERT_FALSE(cmd.empty());
  EXPECT_EQ(cmd[0], "serve");
  auto dir = std::find(cmd.begin(), cmd.end(), "--dir");
  ASSERT_NE(dir, cmd.end());
  EXPECT_EQ(*(dir + 1), "/var/lib/kubedouble");
  std::set<std::string> flags = FlagsOf("serve");
  for (const auto& arg : cmd) {
    if (arg.rfind("-", 0) == 0) {
      EXPECT_TRUE(flags.count(arg)) << arg;
    }
  }
  auto clients_cmd = d["stages"]["clients"]["cmd"].get<std::vector<std::string>>();
  EXPECT_TRUE(d["stages"]["clients"]["healthcheck"].is_null()) << "a one-shot run has no health";
  std::set<std::string> run_flags = FlagsOf("run");
  for (const auto& arg : clients_cmd) {
    if (arg.rfind("-", 0) == 0) {
      EXPECT_TRUE(run_flags.count(arg)) << arg;
    }
  }
}

// The HEALTHCHECK command, with the image's state folder and port replaced by a test server's.
std::string Healthcheck(const fs::path& dir, int port) {
  std::string cmd;
  nlohmann::json d = Dockerfile();
  for (const auto& word : d["stages"]["server"]["healthcheck"]) {
    std::string w = word.get<std::string>();
    if (w == "kubedouble") w = kBinary;
    RE2::GlobalReplace(&w, "/var/lib/kubedouble", dir.string());
    RE2::Replace(&w, ":6443$", fmt::format(":{}", port));
    cmd += ShellQuote(w) + " ";
  }
  return cmd;
}

TEST(Dockerfile, HealthcheckPassesOnAServingServerAndFailsOtherwise) {
  fake::TestServer srv;
  ShellResult ok = Bash(Healthcheck(srv.paths().dir, srv.port()));
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_EQ(ok.output, "ok\n");
  ShellResult down = Bash(Healthcheck(srv.paths().dir, FreePort()));
  EXPECT_NE(down.code, 0) << down.output;
}

}  // namespace
}  // namespace kubedouble::test
