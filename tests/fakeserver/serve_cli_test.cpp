// `kubedouble serve` as a user runs it.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "client.h"

namespace kubedouble::testing {
namespace {

struct Process {
  pid_t pid = -1;
  int out = -1;
  int err = -1;

  explicit Process(std::vector<std::string> args) {
    int o[2], e[2];
    if (pipe(o) != 0 || pipe(e) != 0) return;
    pid = fork();
    if (pid == 0) {
      dup2(o[1], 1);
      dup2(e[1], 2);
      close(o[0]);
      close(e[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(o[1]);
    close(e[1]);
    out = o[0];
    err = e[0];
  }
  ~Process() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
    if (err >= 0) close(err);
  }
  // One line from fd, waiting up to `seconds`.
  static std::string ReadLine(int fd, int seconds) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(fd, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return line;
  }
  static std::string ReadAll(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, n);
    return s;
  }
  int Wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

TEST(ServeCli, ReadyLineThenGracefulStopOnSigterm) {
  TempDir tmp;
  Process p({KUBEDOUBLE_BINARY, "serve", "--dir", tmp.path.string(), "--port", "0"});
  std::string ready = Process::ReadLine(p.out, 20);
  EXPECT_THAT(
      ready,
      ::testing::MatchesRegex(
          "kubedouble: serving on https://127\\.0\\.0\\.1:[0-9]+ \\(kubeconfig: .*/kubeconfig\\)"));
  auto port = std::stoi(ready.substr(ready.rfind(':', ready.find(" (")) + 1));
  httplib::SSLClient c("127.0.0.1", port);
  c.set_ca_cert_path((tmp.path / "pki" / "ca.crt").c_str());
  c.enable_server_certificate_verification(true);
  auto r = c.Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);  // no credentials, no --anonymous
  kill(p.pid, SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
}

TEST(ServeCli, OldPolicyFormatStillServesWithADeprecationWarning) {
  TempDir tmp;
  auto policy = tmp.path / "policy.yaml";
  std::ofstream(policy) << "rules:\n  - users: [alice]\n    verbs: [get]\n    resources: [pods]\n";
  Process p({KUBEDOUBLE_BINARY, "serve", "--dir", (tmp.path / "state").string(), "--port", "0",
             "--policy", policy.string(), "--authorization", "AlwaysDeny"});
  EXPECT_THAT(Process::ReadLine(p.out, 20), ::testing::StartsWith("kubedouble: serving on"));
  kill(p.pid, SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
  EXPECT_THAT(Process::ReadAll(p.err),
              ::testing::HasSubstr("warning: " + policy.string() +
                                   ": the \"rules:\" policy format is deprecated"));
}

TEST(ServeCli, PortInUseIsAClearErrorAndNonZeroExit) {
  fake::TestServer srv;
  TempDir tmp;
  Process p({KUBEDOUBLE_BINARY, "serve", "--dir", tmp.path.string(), "--port",
             std::to_string(srv.port())});
  EXPECT_NE(p.Wait(), 0);
  EXPECT_THAT(Process::ReadAll(p.err),
              ::testing::HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(srv.port()) +
                                   ": Address already in use"));
}

TEST(ServeCli, UnwritableFolderAndBadFlags) {
  {
    Process p({KUBEDOUBLE_BINARY, "serve", "--dir", "/proc/kubedouble-nope", "--port", "0"});
    EXPECT_NE(p.Wait(), 0);
    EXPECT_THAT(Process::ReadAll(p.err), ::testing::HasSubstr("/proc/kubedouble-nope"));
  }
  {
    Process p({KUBEDOUBLE_BINARY, "serve", "--serve-cert", "shiny"});
    EXPECT_NE(p.Wait(), 0);
    EXPECT_THAT(Process::ReadAll(p.err), ::testing::HasSubstr("shiny"));
  }
  {
    Process p({KUBEDOUBLE_BINARY, "serve", "--port", "70000"});
    EXPECT_NE(p.Wait(), 0);
  }
  {
    Process p({KUBEDOUBLE_BINARY, "serve", "--no-such-flag"});
    EXPECT_NE(p.Wait(), 0);
    EXPECT_THAT(Process::ReadAll(p.err), ::testing::HasSubstr("--no-such-flag"));
  }
}

}  // namespace
}  // namespace kubedouble::testing
