// Test helper: `kubedouble serve` as a child process on an ephemeral loopback port, for the
// load, signal and restart tests (what a user runs, not the in-process TestServer). The child
// is the toolkit's test::Process (tests/common/process.h); this adds what these tests read of
// it: the ready line's URL and port, its threads and open files, and signals with a timeout.
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/process.h"

namespace kubedouble::testing {

// A client writing to a connection the server closed gets EPIPE, not a fatal SIGPIPE (as
// client-go, curl and Python clients do).
inline const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

class ServeProcess {
 public:
  // Starts `kubedouble serve --port PORT --dir DIR ARGS...` and waits for its ready line. ok()
  // tells whether it came; log() holds what the server wrote on stderr.
  explicit ServeProcess(const std::filesystem::path& dir, std::vector<std::string> args = {},
                        int port = 0)
      : process_(Argv(dir, std::move(args), port)), pid_(process_.pid()) {
    // "kubedouble: serving on https://127.0.0.1:PORT (kubeconfig: ...)"
    const std::string& line = process_.FirstLine();
    auto at = line.find("https://");
    if (at != std::string::npos) {
      url_ = line.substr(at, line.find(' ', at) - at);
      port_ = test::ServePort(process_);
    }
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }

  // Threads the server process runs now (/proc/PID/task).
  int Threads() const { return Entries("task"); }
  // Open file descriptors of the server process (sockets included).
  int OpenFiles() const { return Entries("fd"); }

  // Sends `sig` and waits up to `timeout` for the exit. Returns the exit code (128 + signal when
  // killed by one), or -1 when the process is still running after `timeout`.
  int Signal(int sig, std::chrono::milliseconds timeout) {
    if (process_.pid() > 0) ::kill(process_.pid(), sig);
    return Wait(timeout);
  }
  int Wait(std::chrono::milliseconds timeout) { return process_.Wait(timeout).value_or(-1); }

  std::string log() const { return process_.Stderr(); }

 private:
  static std::vector<std::string> Argv(const std::filesystem::path& dir,
                                       std::vector<std::string> args, int port) {
    std::vector<std::string> argv = {KUBEDOUBLE_BINARY,    "serve", "--port",
                                     std::to_string(port), "--dir", dir.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  int Entries(const char* folder) const {
    int n = 0;
    for ([[maybe_unused]] auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/" + folder)) {
      ++n;
    }
    return n;
  }

  test::Process process_;
  pid_t pid_;
  std::string url_;
  int port_ = 0;
};

// The first token in DIR/tokens.csv (the admin's).
inline std::string AdminToken(const std::filesystem::path& dir) {
  std::ifstream in(dir / "tokens.csv");
  std::string line;
  std::getline(in, line);
  return line.substr(0, line.find(','));
}

}  // namespace kubedouble::testing
