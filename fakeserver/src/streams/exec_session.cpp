#include "exec_session.h"

#include <fmt/format.h>
#include <kubedouble/base/strings.h>
#include <kubedouble/fakeserver/container_log.h>
#include <kubedouble/fakeserver/store.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "../pod_log.h"
#include "container_shell.h"

namespace kubedouble::fake {

namespace {

using TimePoint = std::chrono::system_clock::time_point;

// How often a waiting exec looks at the server's clock (a fake clock moves when told).
constexpr auto kClockPoll = std::chrono::milliseconds(10);
// The most stdin held for a command that has not read it yet.
constexpr size_t kMaxQueuedStdin = 16u << 20;

bool QueryBool(const std::vector<std::string>& values) {
  if (values.empty()) return false;
  const std::string v = base::Lower(values[0]);
  return !(v == "0" || v == "f" || v == "false");
}

// What the client sends, read on a thread of its own: stdin for the command, the close signal,
// resizes (taken and dropped: the simulated terminal has no size), and the end of the connection.
class ClientInput {
 public:
  ClientInput(ChannelTransport& stream, bool want_stdin)
      : stream_(stream), want_stdin_(want_stdin) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~ClientInput() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    reader_.join();
  }

  // The next piece of stdin, nullopt at its end.
  std::optional<std::string> Read() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty() || stdin_closed_; });
    if (queue_.empty()) return std::nullopt;
    std::string out = std::move(queue_.front());
    queue_.pop_front();
    queued_ -= out.size();
    cv_.notify_all();
    return out;
  }

  // Waits `d` on `clock`; false when the client went meanwhile.
  bool Sleep(const ServerClock& clock, std::chrono::nanoseconds d) {
    const TimePoint deadline = clock.Now() + d;
    std::unique_lock lock(mu_);
    while (!gone_) {
      const TimePoint now = clock.Now();
      if (now >= deadline) return true;
      auto wait = kClockPoll;
      if (!clock.fake()) {
        wait =
            std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) +
                               std::chrono::milliseconds(1));
      }
      cv_.wait_for(lock, wait);
    }
    return false;
  }

  bool gone() {
    std::lock_guard lock(mu_);
    return gone_;
  }

 private:
  void ReadLoop() {
    while (std::optional<ChannelMessage> m = stream_.Receive()) {
      std::unique_lock lock(mu_);
      if (m->channel == kStdinChannel && want_stdin_ && !stdin_closed_) {
        // A command that does not read holds the client back rather than the server's memory.
        cv_.wait(lock, [this] { return queued_ < kMaxQueuedStdin || stopping_; });
        queued_ += m->data.size();
        if (!m->data.empty()) queue_.push_back(std::move(m->data));
      } else if (m->channel == kCloseSignalChannel && !m->data.empty() &&
                 static_cast<uint8_t>(m->data[0]) == kStdinChannel) {
        stdin_closed_ = true;
      }
      cv_.notify_all();
    }
    std::lock_guard lock(mu_);
    gone_ = true;
    stdin_closed_ = true;
    cv_.notify_all();
  }

  ChannelTransport& stream_;
  bool want_stdin_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;  // bytes in queue_
  bool stdin_closed_ = false;
  bool stopping_ = false;  // the exec is over: stop holding stdin back
  bool gone_ = false;
  std::thread reader_;
};

// "\n" as a terminal writes it.
std::string TerminalLineEnds(std::string_view data) {
  std::string out;
  out.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) out += '\r';
    out += data[i];
  }
  return out;
}

ShellIO StreamIO(ChannelTransport& stream, const ExecOptions& options, ClientInput& input,
                 const ServerClock& clock) {
  ShellIO io;
  if (options.stdin) {
    io.read = [&input] { return input.Read(); };
  } else {
    io.read = [] { return std::optional<std::string>(); };
  }
  auto send = [&stream, tty = options.tty](uint8_t channel) {
    return [&stream, tty, channel](std::string_view data) {
      if (data.empty()) return;
      stream.Send(channel, tty ? TerminalLineEnds(data) : std::string(data));
    };
  };
  auto drop = [](std::string_view) {};
  io.out = options.stdout ? std::function<void(std::string_view)>(send(kStdoutChannel)) : drop;
  if (options.tty) {
    io.err = io.out;
  } else {
    io.err = options.stderr ? std::function<void(std::string_view)>(send(kStderrChannel)) : drop;
  }
  io.sleep = [&input, &clock](std::chrono::nanoseconds d) { return input.Sleep(clock, d); };
  return io;
}

ContainerProcess ProcessOf(const StreamTarget& target, bool tty) {
  ContainerProcess p;
  p.files = target.files.get();
  const std::string pod_name = target.pod["metadata"].value("name", "");
  p.env = ContainerEnvironment(pod_name, target.container, tty);
  p.cwd = FileTree::Absolute("/", target.container.value("workingDir", "/"));
  p.hostname = pod_name;
  p.tty = tty;
  const ServerClock* clock = target.clock;
  p.now = [clock] { return clock->Now(); };
  return p;
}

void SendExit(ChannelTransport& stream, int code, const std::vector<std::string>& command) {
  const int version = stream.version();
  if (version >= 4) {
    stream.Send(kErrorChannel, ExitStatus(code, command, version).dump());
  } else if (code != 0) {
    stream.Send(kErrorChannel, ExitStatus(code, command, 4)["message"].get<std::string>());
  }
}

}  // namespace

ExecOptions ParseExecOptions(
    const std::string& subresource,
    const std::function<std::vector<std::string>(const char* name)>& get_all) {
  ExecOptions o;
  o.command = get_all("command");
  std::vector<std::string> container = get_all("container");
  if (!container.empty()) o.container = container[0];
  o.stdin = QueryBool(get_all("stdin"));
  o.stdout = QueryBool(get_all("stdout"));
  o.stderr = QueryBool(get_all("stderr"));
  o.tty = QueryBool(get_all("tty"));
  if (o.tty) o.stderr = false;
  if (subresource == "exec" && o.command.empty()) {
    throw StatusError::BadRequest("you must specify at least one command for the container");
  }
  if (!o.stdin && !o.stdout && !o.stderr) {
    throw StatusError::BadRequest("you must specify at least 1 of stdin, stdout, stderr");
  }
  return o;
}

nlohmann::ordered_json ExitStatus(int code, const std::vector<std::string>& command, int version) {
  nlohmann::ordered_json status;
  status["metadata"] = nlohmann::ordered_json::object();
  if (code == 0) {
    status["status"] = "Success";
    return status;
  }
  status["status"] = "Failure";
  std::string cause;
  if (version >= 5) {
    cause = fmt::format("command terminated with exit code {}", code);
  } else {
    std::string argv;
    for (const auto& a : command) argv += (argv.empty() ? "" : " ") + a;
    cause = fmt::format("error executing command [{}], exit code {}", argv, code);
  }
  status["message"] = "command terminated with non-zero exit code: " + cause;
  status["reason"] = "NonZeroExitCode";
  status["details"]["causes"] = nlohmann::ordered_json::array(
      {nlohmann::ordered_json{{"reason", "ExitCode"}, {"message", std::to_string(code)}}});
  return status;
}

int ServeExec(ChannelTransport& stream, const ExecOptions& options, const StreamTarget& target) {
  int code = 0;
  {
    ClientInput input(stream, options.stdin);
    ShellIO io = StreamIO(stream, options, input, *target.clock);
    ContainerProcess process = ProcessOf(target, options.tty);
    code = RunInContainer(options.command, process, io);
    if (!input.gone()) SendExit(stream, code, options.command);
    stream.Close();
  }
  return code;
}

namespace {
// Whether `name` is one of the pod's ephemeral containers (kubectl debug's).
bool IsEphemeral(const json& pod, const std::string& name) {
  const json& list = pod.value("/spec/ephemeralContainers"_json_pointer, json::array());
  return std::any_of(list.begin(), list.end(),
                     [&](const json& c) { return c.is_object() && c.value("name", "") == name; });
}
}  // namespace

void ServeAttach(ChannelTransport& stream, const ExecOptions& options, const StreamTarget& target) {
  ClientInput input(stream, options.stdin);
  ShellIO io = StreamIO(stream, options, input, *target.clock);
  const json& spec = target.container;
  std::vector<std::string> program;
  for (const char* list : {"command", "args"}) {
    if (spec.contains(list) && spec[list].is_array()) {
      for (const auto& w : spec[list]) {
        if (w.is_string()) program.push_back(w.get<std::string>());
      }
    }
  }
  const bool ephemeral = IsEphemeral(target.pod, spec.value("name", ""));
  // kubectl debug's container without a command runs its image's entrypoint: a shell, as
  // busybox's and most debugging images' is.
  if (program.empty() && ephemeral) program = {"sh"};
  const std::string base = program.empty() ? "" : program[0].substr(program[0].rfind('/') + 1);
  const bool takes_stdin = options.stdin && spec.value("stdin", false);
  const bool shell = (base == "sh" || base == "bash" || base == "ash" || base == "dash") &&
                     std::find(program.begin(), program.end(), "-c") == program.end();
  if (takes_stdin && shell) {
    ContainerProcess process = ProcessOf(target, options.tty);
    RunInContainer({program[0]}, process, io);
  } else if (ephemeral && !shell) {
    // kubectl debug's container: its command starts as the client attaches, its output here.
    ContainerProcess process = ProcessOf(target, options.tty);
    RunInContainer(program, process, io);
  } else if (takes_stdin && base == "cat" && program.size() == 1) {
    while (auto chunk = io.read()) io.out(*chunk);
  } else {
    // Follow the log from now on.
    PodLogOptions log_options;
    log_options.container = spec.value("name", "");
    std::optional<ContainerInstance> instance;
    try {
      instance = ResolveLogInstance(target.pod, log_options);
    } catch (const StatusError&) {
    }
    TimePoint seen = target.accepted;
    while (instance && !input.gone()) {
      if (instance->finished && seen >= *instance->finished) break;
      if (!input.Sleep(*target.clock, kClockPoll)) break;
      const TimePoint now = target.clock->Now();
      const TimePoint until = instance->finished ? std::min(now, *instance->finished) : now;
      if (until <= seen) continue;
      io.out(LogText(ContainerLogLines(target.pod, spec, instance->started, until, seen), false));
      seen = until;
    }
  }
  if (!input.gone()) SendExit(stream, 0, {});
  stream.Close();
}

}  // namespace kubedouble::fake
