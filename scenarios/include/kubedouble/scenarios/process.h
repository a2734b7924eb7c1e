// kubedouble::scenarios — running client programs and helper servers as child processes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::scenarios {

struct ProcessOptions {
  std::vector<std::string> argv;             // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;    // the whole environment of the child
  std::string input;                         // written to stdin, then stdin is closed
  std::filesystem::path cwd;                 // empty: inherit
  std::chrono::milliseconds timeout{60000};  // then SIGKILL
};

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or never started
  bool timed_out = false;
  bool started = false;
  std::string out;
  std::string err;
};

// `s` quoted for a POSIX shell: '...', a quote inside written as '\''.
std::string ShellQuote(const std::string& s);
// A bash script that runs `options` again by hand: in its folder, with its whole environment
// (env -i) and argv, its stdin given as a here-document.
std::string ShellScript(const ProcessOptions& options);

// Runs to completion (or the timeout) and captures stdout and stderr.
ProcessResult RunProcess(const ProcessOptions& options);

// The current environment without what would change a client's behaviour behind the scenario's
// back (KUBECONFIG, KUBERNETES_SERVICE_*, proxies, HOME).
std::map<std::string, std::string> CleanEnvironment();

// The full path of `program` on PATH; nullopt when it is not there.
std::optional<std::string> FindProgram(const std::string& program);

// A long-running child (a server, a proxy) with stdout and stderr going to files in `log_dir`.
// Destroying it sends SIGTERM, then SIGKILL after a second.
class BackgroundProcess {
 public:
  // Starts the process and waits until a line of its stdout satisfies `ready` (which may keep
  // what it parsed), or it exits, or `timeout` passes — then throws std::runtime_error with the
  // process's stderr.
  static std::unique_ptr<BackgroundProcess> Start(
      const ProcessOptions& options, const std::filesystem::path& log_dir, const std::string& name,
      const std::function<bool(const std::string& line)>& ready,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }  // -1 once it has exited and been waited for
  std::string Stdout() const;         // what it wrote so far
  std::string Stderr() const;
  // Waits up to `timeout` for it to exit by itself (after a signal sent to pid(), say) and returns
  // its exit status — 128 + the signal's number when a signal ended it — or nullopt while it runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  // Ends it: SIGTERM to its process group, SIGKILL when it has not exited within `grace`.
  // Returns its exit status, as Wait() does (also when it had exited before).
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(1));

 private:
  BackgroundProcess() = default;
  pid_t pid_ = -1;
  int status_ = -1;  // the exit status once it has been waited for
  std::filesystem::path out_, err_;
};

// A long-lived child that answers one line of stdin with one line of stdout (a client driver
// in --worker mode). Not thread-safe: one caller at a time.
class LineWorker {
 public:
  // Starts the process (stderr is kept, the last few KiB, for error messages). Throws
  // std::runtime_error when it cannot be started.
  static std::unique_ptr<LineWorker> Start(const ProcessOptions& options);
  // Closes its stdin, gives it a moment to exit, then kills its process group.
  ~LineWorker();
  LineWorker(const LineWorker&) = delete;
  LineWorker& operator=(const LineWorker&) = delete;

  // Writes `line` (a newline is added) and returns the next line of its stdout. On no answer
  // within `timeout`, or when the process exits first, kills it and returns nullopt with the
  // reason in `*why` ("no answer within 30 s", "exited with status 1: <stderr>"); the worker is
  // then dead (alive() false) and must be replaced.
  std::optional<std::string> Ask(const std::string& line, std::chrono::milliseconds timeout,
                                 std::string* why);
  bool alive() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  LineWorker() = default;
  void Kill();
  std::string StderrTail() const;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_buf_, err_buf_;
};

}  // namespace kubedouble::scenarios
