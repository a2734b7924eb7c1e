// The python and node drivers: a script per client (scenarios/clients/<client>/) reads the job
// as JSON on stdin, runs the official client library, and prints the outcome as one JSON line.
//
// The scripts run as long-lived workers (`--worker`, one per runner thread): each takes one run
// after another as JSON lines, with that run's environment and working folder, and builds its
// client configuration afresh — so the interpreter start and the import of the client library
// are paid once per worker, not once per run. A run that needs a process of its own (a private
// mount namespace; python's KUBECONFIG, which kubernetes.config reads when it is imported) still
// starts the script for itself, and its evidence says why. A worker that dies or does not answer
// in time is replaced, and its run is reported as an error with the reason.
#include <fmt/core.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>

#include "drivers/drivers.h"
#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;

json RequestJson(const Request& r) {
  json j{{"verb", VerbName(r.verb)},
         {"resource", r.resource},
         {"namespace", r.ns},
         {"inferred_namespace", r.inferred_namespace},
         {"all_namespaces", r.all_namespaces},
         {"name", r.name},
         {"path", RequestPath(r)},
         {"method", RequestMethod(r)},
         {"patch_type", r.patch_type},
         {"content_type", PatchContentType(r.patch_type)},
         {"field_manager", r.field_manager},
         {"force", r.force},
         {"events", r.events},
         {"command", r.command},
         {"port", r.port},
         {"send", kPortForwardLine},
         // An integral timeout as an integer: python3-kubernetes ignores a float _request_timeout.
         {"timeout", r.timeout_seconds == static_cast<long long>(r.timeout_seconds)
                         ? json(static_cast<long long>(r.timeout_seconds))
                         : json(r.timeout_seconds)},
         {"headers", r.headers}};
  if (!r.impersonate.empty()) {
    j["impersonate"] = {
        {"user", r.impersonate.user}, {"groups", r.impersonate.groups}, {"uid", r.impersonate.uid}};
  }
  if (r.body) j["body"] = *r.body;
  return j;
}

// Whether a client reaching `host` asks name resolution (so needs the scenario's hosts file).
// The sidecar and proxy paths reach 127.0.0.1: only the kubectl proxy in the "pod" resolves.
bool ResolvesAName(const std::string& host) {
  if (host.empty() || host == "localhost" || host.find(':') != std::string::npos) return false;
  return host.find_first_not_of("0123456789.") != std::string::npos;
}

// The last non-empty line (a Python traceback ends with the exception).
std::string LastLine(const std::string& text) {
  std::stringstream lines(text);
  std::string line, last;
  while (std::getline(lines, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return FirstLine(last);
}

class ScriptDriver : public Driver {
 public:
  ScriptDriver(std::string name, std::vector<std::string> interpreter, fs::path script,
               std::string probe_hint, std::function<std::string()> version)
      : name_(std::move(name)),
        interpreter_(std::move(interpreter)),
        script_(std::move(script)),
        probe_hint_(std::move(probe_hint)),
        version_(std::move(version)) {}

  std::string Version() const override { return version_(); }

  std::string name() const override { return name_; }

  std::string Unavailable() const override {
    std::call_once(probed_, [this] {
      if (!FindProgram(interpreter_[0])) {
        unavailable_ = interpreter_[0] + ": not found";
        return;
      }
      std::error_code ec;
      if (!fs::exists(script_, ec)) {
        unavailable_ = "the driver script " + script_.string() + " is missing";
        return;
      }
      // The probe is the first worker: it imports the client library, says whether it could,
      // and then waits for the first run.
      std::unique_ptr<LineWorker> worker;
      std::string why;
      try {
        worker = StartWorker();
      } catch (const std::exception& e) {
        unavailable_ = fmt::format("{} ({})", probe_hint_, e.what());
        return;
      }
      json probe{{"id", ++next_id_}, {"probe", true}};
      std::optional<std::string> answer =
          worker->Ask(probe.dump(), std::chrono::milliseconds(60000), &why);
      json j = answer ? json::parse(*answer, nullptr, false) : json();
      if (!answer) {
        unavailable_ = fmt::format("{} (the driver {})", probe_hint_, why);
      } else if (!j.is_object() || !j.value("ready", false)) {
        unavailable_ = fmt::format("{} ({})", probe_hint_,
                                   j.is_object() && j.contains("unavailable")
                                       ? j["unavailable"].get<std::string>()
                                       : FirstLine(*answer));
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        idle_.push_back(std::move(worker));
      }
    });
    return unavailable_;
  }

  std::unique_ptr<LineWorker> StartWorker() const {
    ProcessOptions po;
    po.argv = interpreter_;
    po.argv.push_back(script_.string());
    po.argv.push_back("--worker");
    po.env = CleanEnvironment();
    po.cwd = script_.parent_path();
    return LineWorker::Start(po);
  }

  std::string Unsupported(const Scenario& s) const override {
    if (s.access.path == AccessPath::kSeed) return "the seed path is curl's (with kubectl)";
    if (name_ == "node" && s.request.headers.count("Host"))
      return "node's fetch does not let a program set the Host header";
    const Impersonation& as = s.request.impersonate;
    if (name_ == "node" && (!as.groups.empty() || !as.uid.empty()))
      return "client-node impersonates a user only (the kubeconfig user's `as`), not groups or "
             "a uid";
    if (name_ == "python" && as.groups.size() > 1)
      return "python3-kubernetes has no impersonation setting: its default headers (one value "
             "per name) carry one Impersonate-Group";
    return "";
  }

  // Why `t` needs a process of its own; "" when a worker can take it.
  std::string OwnProcessReason(const Target& t) const {
    if (t.private_mounts && t.path == AccessPath::kInCluster)
      return "in-cluster: the service-account folder is mounted in a private mount namespace";
    if (t.private_mounts && !t.hosts_file.empty() && ResolvesAName(t.host))
      return "a hosts file for " + t.host + " is mounted in a private mount namespace";
    if (name_ == "python" && t.path == AccessPath::kKubeconfig && t.kubeconfig_env)
      return "python: kubernetes.config reads KUBECONFIG when it is imported";
    return "";
  }

  Outcome Run(const Job& job) override {
    const Target& t = job.target;
    std::map<std::string, std::string> env = job.env;
    if (t.path == AccessPath::kInCluster)
      for (const auto& [k, v] : t.incluster_env) env[k] = v;
    if (t.path == AccessPath::kKubeconfig && t.kubeconfig_env) {
      std::string joined;
      for (const auto& k : t.kubeconfigs) joined += (joined.empty() ? "" : ":") + k;
      env["KUBECONFIG"] = joined;
    }
    json input{{"target", t.ToJson()}, {"request", RequestJson(job.scenario->request)}};
    bool in_cluster = t.path == AccessPath::kInCluster;
    std::string own = OwnProcessReason(t);
    json j = own.empty() ? AskWorker(job, env, input) : RunOwnProcess(job, env, input);
    if (j.contains("skip")) return Outcome::Skipped(j["skip"].get<std::string>());
    if (j.contains("error"))
      throw std::runtime_error(
          fmt::format("the {} driver failed: {}", name_, j["error"].get<std::string>()));
    Outcome o;
    if (j.contains("outcome") && j["outcome"] == "run_timeout") {
      o.kind = OutcomeKind::kTimeout;
      o.message = "no answer within the run's time limit";
    } else {
      o = Outcome::FromJson(j);
    }
    if (!own.empty()) o.evidence["own_process"] = own;
    if (!in_cluster || t.private_mounts) return o;
    o.evidence["fallback"] =
        "no private mount namespace: the client was given the service-account folder's path";
    return o;
  }

  // The run in a process of its own: the script reads the job on stdin.
  json RunOwnProcess(const Job& job, const std::map<std::string, std::string>& env,
                     const json& input) {
    const Target& t = job.target;
    ProcessOptions po;
    po.env = env;
    po.argv = interpreter_;
    po.argv.push_back(script_.string());
    po.cwd = t.work;
    po.timeout = job.timeout;
    po.input = input.dump();
    bool in_cluster = t.path == AccessPath::kInCluster;
    if (t.private_mounts && (in_cluster || !t.hosts_file.empty()))
      po.argv = InPrivateMounts(po.argv, in_cluster ? t.sa_dir : "",
                                in_cluster || ResolvesAName(t.host) ? t.hosts_file : "");
    ProcessResult pr = RunProcess(po);
    RecordClientRun(po, pr.out, pr.err);
    if (pr.timed_out) return json{{"outcome", "run_timeout"}};
    // The outcome is the last line of stdout that parses as JSON.
    std::stringstream lines(pr.out);
    std::string line, last;
    while (std::getline(lines, line))
      if (!line.empty() && line.front() == '{') last = line;
    json j = json::parse(last, nullptr, false);
    if (last.empty() || j.is_discarded())
      throw std::runtime_error(fmt::format("the {} driver printed no outcome (exit {}): {}", name_,
                                           pr.exit_code, LastLine(pr.err)));
    return j;
  }

  // The run on an idle worker (started when none is idle; one per runner thread at most).
  json AskWorker(const Job& job, const std::map<std::string, std::string>& env, const json& input) {
    std::unique_ptr<LineWorker> worker;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        worker = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!worker) {
      try {
        worker = StartWorker();
      } catch (const std::exception& e) {
        throw std::runtime_error(
            fmt::format("the {} driver worker could not be started: {}", name_, e.what()));
      }
    }
    json line = input;
    line["id"] = ++next_id_;
    line["env"] = env;
    line["cwd"] = job.target.work.string();
    std::string why;
    // The first job of a new worker also waits for the import of the client library.
    std::optional<std::string> answer = worker->Ask(line.dump(), job.timeout, &why);
    // By hand, the run is the script's one-shot form: the same job on stdin.
    ProcessOptions by_hand;
    by_hand.env = env;
    by_hand.argv = interpreter_;
    by_hand.argv.push_back(script_.string());
    by_hand.cwd = job.target.work;
    by_hand.input = input.dump();
    RecordClientRun(by_hand, answer.value_or(""), answer ? "" : why);
    if (!answer)
      throw std::runtime_error(
          fmt::format("the {} driver worker (pid {}) failed this run and was replaced: {}", name_,
                      worker->pid() > 0 ? worker->pid() : 0, why));
    json j = json::parse(*answer, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("id", -1LL) != line["id"].get<long long>())
      throw std::runtime_error(
          fmt::format("the {} driver worker answered out of turn: {}", name_, FirstLine(*answer)));
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(worker));
    }
    return j;
  }

 private:
  std::string name_;
  std::vector<std::string> interpreter_;
  fs::path script_;
  std::string probe_hint_;
  std::function<std::string()> version_;
  mutable std::once_flag probed_;
  mutable std::string unavailable_;
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<LineWorker>> idle_;  // workers waiting for a run
  mutable std::atomic<long long> next_id_{0};
};

}  // namespace

std::unique_ptr<Driver> MakePythonDriver(const fs::path& clients_dir) {
  fs::path script = clients_dir / "python" / "driver.py";
  // The package's metadata, without the second it takes to import the client.
  auto version = [] {
    return FirstLine(ProgramOutput(
        {"/usr/bin/python3", "-c",
         "import importlib.metadata as m, platform; print('kubernetes', m.version('kubernetes'), "
         "'(Python ' + platform.python_version() + ')')"}));
  };
  return std::make_unique<ScriptDriver>(
      "python", std::vector<std::string>{"/usr/bin/python3"}, script,
      "the official Python client is not installed (Debian: python3-kubernetes)", version);
}

std::unique_ptr<Driver> MakeNodeDriver(const fs::path& clients_dir) {
  fs::path script = clients_dir / "node" / "driver.mjs";
  auto version = [clients_dir] {
    std::ifstream in(clients_dir / "node/node_modules/@kubernetes/client-node/package.json");
    json package = json::parse(in, nullptr, false);
    std::string client = package.is_object() ? package.value("version", "") : "";
    std::string node = FirstLine(ProgramOutput({"node", "--version"}));
    return client.empty() ? "" : fmt::format("@kubernetes/client-node {} (node {})", client, node);
  };
  return std::make_unique<ScriptDriver>(
      "node", std::vector<std::string>{"node"}, script,
      "@kubernetes/client-node is not installed (run `npm ci` in scenarios/clients/node)", version);
}

}  // namespace kubedouble::scenarios
