// Test helper: `kubedouble serve` as a child process on an ephemeral loopback port, for the
// load, signal and restart tests (what a user runs, not the in-process TestServer).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
      : dir_(dir) {
    int out[2];
    if (::pipe(out) != 0) return;
    log_path_ = dir.string() + ".serve.log";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a test that crashes leaves no server behind
      ::dup2(out[1], 1);
      int err = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err >= 0) ::dup2(err, 2);
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      ::close(out[0]);
      std::vector<std::string> argv_s = {KUBEDOUBLE_BINARY,    "serve", "--port",
                                         std::to_string(port), "--dir", dir.string()};
      argv_s.insert(argv_s.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = ::fdopen(out[0], "r");
    char line[1024];
    // "kubedouble: serving on https://127.0.0.1:PORT (kubeconfig: ...)"
    if (out_ && std::fgets(line, sizeof line, out_)) {
      std::string s(line);
      auto at = s.find("https://");
      if (at != std::string::npos) {
        url_ = s.substr(at, s.find(' ', at) - at);
        port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
      }
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_) std::fclose(out_);
    std::error_code ec;
    std::filesystem::remove(log_path_, ec);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }

  // Threads the server process runs now (/proc/PID/task).
  int Threads() const {
    int n = 0;
    for ([[maybe_unused]] auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/task")) {
      ++n;
    }
    return n;
  }
  // Open file descriptors of the server process (sockets included).
  int OpenFiles() const {
    int n = 0;
    for ([[maybe_unused]] auto& e :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/fd")) {
      ++n;
    }
    return n;
  }

  // Sends `sig` and waits up to `timeout` for the exit. Returns the exit code (128 + signal when
  // killed by one), or -1 when the process is still running after `timeout`.
  int Signal(int sig, std::chrono::milliseconds timeout) {
    ::kill(pid_, sig);
    return Wait(timeout);
  }
  int Wait(std::chrono::milliseconds timeout) {
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() >= until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool reaped_ = false;
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
