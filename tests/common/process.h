// A program the test starts in the background (kubectl proxy, `kubedouble proxy`, `kubedouble
// serve`) and waits for until it prints its first line — through the project's public
// scenarios::BackgroundProcess, so the tests start children exactly as the scenario runner
// does (posix_spawn-safe: nothing runs between fork and exec). The child gets the test's
// environment without what would steer a client behind the test's back (KUBECONFIG, HOME,
// proxies: scenarios::CleanEnvironment), plus `env`; its output goes to files in a temp dir.
// Destroying it ends the child (SIGTERM, then SIGKILL). tests/common is the test toolkit.
//
//   test::Process proxy({KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig", kc});
//   ASSERT_THAT(proxy.FirstLine(), StartsWith("Starting to serve on 127.0.0.1:")) << proxy.Error();
#pragma once

#include <gtest/gtest.h>
#include <kubedouble/scenarios/process.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/temp_dir.h"

namespace kubedouble::test {

class Process {
 public:
  // Starts argv (argv[0] looked up on PATH) and waits up to `timeout` for its first stdout line.
  explicit Process(std::vector<std::string> argv,
                   const std::map<std::string, std::string>& env = {},
                   std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    scenarios::ProcessOptions options;
    options.argv = std::move(argv);
    options.env = scenarios::CleanEnvironment();
    for (const auto& [k, v] : env) options.env[k] = v;
    try {
      process_ = scenarios::BackgroundProcess::Start(
          options, logs_.path(), "process",
          [&](const std::string& line) {
            first_line_ = line;
            return true;
          },
          timeout);
    } catch (const std::runtime_error& e) {
      error_ = e.what();
    }
  }

  // The first line the program wrote on stdout; "" when it exited or timed out first (Error()).
  const std::string& FirstLine() const { return first_line_; }
  // Why it never printed a line (its stderr), or "".
  const std::string& Error() const { return error_; }
  // Its pid while it runs (to send it a signal, read /proc); -1 when it never started or ended.
  pid_t pid() const { return process_ ? process_->pid() : -1; }
  // What it wrote so far.
  std::string Stdout() const { return process_ ? process_->Stdout() : ""; }
  std::string Stderr() const { return process_ ? process_->Stderr() : error_; }
  // Waits up to `timeout` for it to exit (after a signal, say): its exit status (128 + signal
  // when one ended it), or nullopt while it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    return process_ ? process_->Wait(timeout) : std::nullopt;
  }
  // Ends it now (SIGTERM, then SIGKILL when it has not exited within ten seconds) and returns its
  // exit status; -1 when it never started. The grace is long because a sanitized build on a
  // loaded machine can take more than a second to exit cleanly (the leak check runs at exit),
  // and a test that asserts a clean exit must not see SIGKILL's 137 instead.
  int Stop() { return process_ ? process_->Stop(std::chrono::seconds(10)) : -1; }

 private:
  TempDir logs_;  // declared first: removed after the process has ended
  std::unique_ptr<scenarios::BackgroundProcess> process_;
  std::string first_line_;
  std::string error_;
};

// Runs argv to its end (at most `timeout`) with the same environment as Process: for a program
// that is expected to fail before it is ready (exit code, stdout and stderr apart).
inline scenarios::ProcessResult RunToEnd(
    std::vector<std::string> argv, std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  scenarios::ProcessOptions options;
  options.argv = std::move(argv);
  options.env = scenarios::CleanEnvironment();
  options.timeout = timeout;
  return scenarios::RunProcess(options);
}

// The port in the ready line of `kubedouble serve` ("kubedouble: serving on https://HOST:PORT
// (kubeconfig: ...)"); 0, with a test failure naming what came instead, when there is none.
inline int ServePort(const Process& p) {
  const std::string& line = p.FirstLine();
  auto at = line.find("serving on https://");
  auto space = line.find(' ', at == std::string::npos ? 0 : at + 11);
  auto colon = line.rfind(':', space);
  if (at == std::string::npos || space == std::string::npos || colon == std::string::npos) {
    ADD_FAILURE() << "no ready line from kubedouble serve, got: \"" << line << "\" " << p.Error();
    return 0;
  }
  return std::atoi(line.c_str() + colon + 1);
}

// The port in the ready line of kubectl proxy and `kubedouble proxy` ("Starting to serve on
// 127.0.0.1:PORT"); 0, with a test failure naming what came instead, when there is none.
inline int ProxyPort(const Process& p) {
  const std::string prefix = "Starting to serve on 127.0.0.1:";
  if (p.FirstLine().rfind(prefix, 0) != 0) {
    ADD_FAILURE() << "no ready line from the proxy, got: \"" << p.FirstLine() << "\" " << p.Error();
    return 0;
  }
  return std::stoi(p.FirstLine().substr(prefix.size()));
}

}  // namespace kubedouble::test
