#include "kubedouble/scenarios/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::vector<std::string> EnvStrings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// fork + exec with the given fds for stdin/stdout/stderr. Returns the pid or -1.
pid_t Spawn(const ProcessOptions& o, int in_fd, int out_fd, int err_fd, std::string* error) {
  std::string program = o.argv.empty() ? "" : o.argv[0];
  if (program.find('/') == std::string::npos) {
    auto found = FindProgram(program);
    if (!found) {
      *error = program + ": not found on PATH";
      return -1;
    }
    program = *found;
  }
  std::vector<std::string> args = o.argv;
  std::vector<std::string> envs = EnvStrings(o.env);
  auto argv = CStrings(args);
  auto envp = CStrings(envs);
  std::string cwd = o.cwd.string();
  pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    return -1;
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    execve(program.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

void KillGroup(pid_t pid, int sig) {
  if (pid > 0) {
    kill(-pid, sig);
    kill(pid, sig);
  }
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::optional<std::string> FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) == 0) return program;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::map<std::string, std::string> CleanEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string key = kv.substr(0, eq);
    if (key == "KUBECONFIG" || key == "HOME" || key.rfind("KUBERNETES_", 0) == 0 ||
        key == "HTTPS_PROXY" || key == "https_proxy" || key == "HTTP_PROXY" ||
        key == "http_proxy" || key == "ALL_PROXY" || key == "all_proxy" || key == "NO_PROXY" ||
        key == "no_proxy" || key == "KUBECACHEDIR" || key == "POD_NAMESPACE" ||
        key == "NODE_OPTIONS" || key == "NODE_EXTRA_CA_CERTS" || key == "SSL_CERT_FILE" ||
        key == "SSL_CERT_DIR" || key == "CURL_CA_BUNDLE" || key == "REQUESTS_CA_BUNDLE")
      continue;
    env[key] = kv.substr(eq + 1);
  }
  return env;
}

// A child started with pipes for its stdin, stdout and stderr (our ends); pid < 0 and *error set
// when it could not be started.
struct PipedChild {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;
};

PipedChild SpawnPiped(const ProcessOptions& o, std::string* error) {
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    *error = std::string("pipe: ") + std::strerror(errno);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
    return {};
  }
  PipedChild c;
  c.pid = Spawn(o, in_pipe[0], out_pipe[1], err_pipe[1], error);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (c.pid < 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return c;
  }
  c.in = in_pipe[1];
  c.out = out_pipe[0];
  c.err = err_pipe[0];
  return c;
}

ProcessResult RunProcess(const ProcessOptions& o) {
  ProcessResult r;
  PipedChild child = SpawnPiped(o, &r.err);
  if (child.pid < 0) return r;
  r.started = true;
  // Feed stdin from a thread so a large input cannot deadlock against a full stdout pipe.
  std::thread writer([fd = child.in, input = o.input] {
    signal(SIGPIPE, SIG_IGN);
    size_t off = 0;
    while (off < input.size()) {
      ssize_t n = write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
  });
  auto deadline = Clock::now() + o.timeout;
  struct pollfd fds[2] = {{child.out, POLLIN, 0}, {child.err, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      KillGroup(child.pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(got));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int status = 0;
  if (!r.timed_out) {
    // Output closed: the process is exiting; wait for it, but not forever.
    while (true) {
      pid_t w = waitpid(child.pid, &status, WNOHANG);
      if (w == child.pid) break;
      if (Clock::now() > deadline) {
        r.timed_out = true;
        KillGroup(child.pid, SIGKILL);
        waitpid(child.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  } else {
    waitpid(child.pid, &status, 0);
  }
  writer.join();
  if (!r.timed_out && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

std::unique_ptr<BackgroundProcess> BackgroundProcess::Start(
    const ProcessOptions& o, const fs::path& log_dir, const std::string& name,
    const std::function<bool(const std::string&)>& ready, std::chrono::milliseconds timeout) {
  std::unique_ptr<BackgroundProcess> p(new BackgroundProcess());
  p->out_ = log_dir / (name + ".out");
  p->err_ = log_dir / (name + ".err");
  int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = open(p->out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err_fd = open(p->err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::string error;
  if (in_fd < 0 || out_fd < 0 || err_fd < 0)
    error = "cannot create log files in " + log_dir.string();
  pid_t pid = error.empty() ? Spawn(o, in_fd, out_fd, err_fd, &error) : -1;
  if (in_fd >= 0) close(in_fd);
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  if (pid < 0) throw std::runtime_error(name + ": " + error);
  p->pid_ = pid;
  auto deadline = Clock::now() + timeout;
  size_t scanned = 0;
  while (true) {
    std::string out = ReadAll(p->out_);
    size_t nl;
    while ((nl = out.find('\n', scanned)) != std::string::npos) {
      std::string line = out.substr(scanned, nl - scanned);
      scanned = nl + 1;
      if (ready(line)) return p;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      std::string err = ReadAll(p->err_);
      throw std::runtime_error(name + " exited before it was ready: " + (err.empty() ? out : err));
    }
    if (Clock::now() > deadline) {
      std::string err = ReadAll(p->err_);
      throw std::runtime_error(name + " was not ready in time: " + err);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
  }
}

std::string BackgroundProcess::Stdout() const { return ReadAll(out_); }
std::string BackgroundProcess::Stderr() const { return ReadAll(err_); }

std::optional<int> BackgroundProcess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

int BackgroundProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_;
  KillGroup(pid_, SIGTERM);
  if (auto status = Wait(grace)) return *status;
  KillGroup(pid_, SIGKILL);
  return Wait(std::chrono::hours(1)).value_or(-1);
}

BackgroundProcess::~BackgroundProcess() { Stop(); }

std::unique_ptr<LineWorker> LineWorker::Start(const ProcessOptions& o) {
  // A worker that dies between two jobs must not take this process with it on the next write.
  signal(SIGPIPE, SIG_IGN);
  std::string error;
  PipedChild child = SpawnPiped(o, &error);
  if (child.pid < 0) throw std::runtime_error(error);
  std::unique_ptr<LineWorker> w(new LineWorker());
  w->pid_ = child.pid;
  w->in_ = child.in;
  w->out_ = child.out;
  w->err_ = child.err;
  return w;
}

// The last line of stderr that names an error (a Python traceback ends with it; node prints its
// version after it), else the last line.
std::string LineWorker::StderrTail() const {
  std::stringstream lines(err_buf_);
  std::string line, last, last_error;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    last = line;
    if (line.find("Error") != std::string::npos) last_error = line;
  }
  std::string tail = last_error.empty() ? last : last_error;
  return tail.size() > 300 ? tail.substr(0, 300) + "..." : tail;
}

void LineWorker::Kill() {
  if (pid_ > 0) {
    KillGroup(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  for (int* fd : {&in_, &out_, &err_})
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
}

std::optional<std::string> LineWorker::Ask(const std::string& line,
                                           std::chrono::milliseconds timeout, std::string* why) {
  if (pid_ <= 0) {
    *why = "the worker is not running";
    return std::nullopt;
  }
  std::string pending = line + "\n";
  size_t written = 0;
  auto deadline = Clock::now() + timeout;
  char buf[65536];
  while (true) {
    if (size_t nl = out_buf_.find('\n'); nl != std::string::npos) {
      std::string answer = out_buf_.substr(0, nl);
      out_buf_.erase(0, nl + 1);
      return answer;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      *why = fmt::format("no answer within {} s", timeout.count() / 1000.0);
      Kill();
      return std::nullopt;
    }
    struct pollfd fds[3] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}, {-1, POLLOUT, 0}};
    if (written < pending.size()) fds[2].fd = in_;
    int n = poll(fds, 3, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) {
      *why = std::string("poll: ") + std::strerror(errno);
      Kill();
      return std::nullopt;
    }
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t put = write(in_, pending.data() + written, pending.size() - written);
      if (put > 0) {
        written += static_cast<size_t>(put);
      } else if (put < 0 && errno != EINTR && errno != EAGAIN) {
        // EPIPE: it no longer reads (it exited: its stdout says why, read below); stop writing.
        written = pending.size();
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(err_, buf, sizeof buf);
      if (got > 0) {
        err_buf_.append(buf, static_cast<size_t>(got));
        if (err_buf_.size() > 8192) err_buf_.erase(0, err_buf_.size() - 8192);
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(out_, buf, sizeof buf);
      if (got > 0) {
        out_buf_.append(buf, static_cast<size_t>(got));
        continue;
      }
      // Its stdout closed: it is exiting. Collect the rest of stderr and the exit status.
      while (true) {
        ssize_t more = read(err_, buf, sizeof buf);
        if (more <= 0) break;
        err_buf_.append(buf, static_cast<size_t>(more));
      }
      int status = 0;
      std::string how = "exited";
      for (int i = 0; i < 200; ++i) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          how = WIFEXITED(status)     ? fmt::format("exited with status {}", WEXITSTATUS(status))
                : WIFSIGNALED(status) ? fmt::format("was killed by signal {}", WTERMSIG(status))
                                      : "exited";
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::string tail = StderrTail();
      *why = tail.empty() ? how : how + ": " + tail;
      Kill();
      return std::nullopt;
    }
  }
}

LineWorker::~LineWorker() {
  if (in_ >= 0) {
    close(in_);  // end of jobs: the worker returns from its loop
    in_ = -1;
  }
  for (int i = 0; i < 100 && pid_ > 0; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_)
      pid_ = -1;
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Kill();
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ShellScript(const ProcessOptions& options) {
  std::string script = "#!/usr/bin/env bash\n";
  if (!options.cwd.empty()) script += "cd " + ShellQuote(options.cwd.string()) + " || exit\n";
  script += "env -i";
  for (const auto& [k, v] : options.env) script += " \\\n  " + ShellQuote(k + "=" + v);
  for (const auto& a : options.argv) script += " \\\n  " + ShellQuote(a);
  if (!options.input.empty()) {
    std::string end = "KUBEDOUBLE_INPUT";
    while (options.input.find(end) != std::string::npos) end += "_";
    script += " <<'" + end + "'\n" + options.input;
    if (options.input.back() != '\n') script += "\n";
    script += end;
  }
  return script + "\n";
}

}  // namespace kubedouble::scenarios
