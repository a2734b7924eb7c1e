// The python and node drivers: a script per client (scenarios/clients/<client>/) reads the job
// as JSON on stdin, runs the official client library, and prints the outcome as one JSON line.
#include <fmt/core.h>

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
         {"all_namespaces", r.all_namespaces},
         {"name", r.name},
         {"path", RequestPath(r)},
         {"method", RequestMethod(r)},
         {"patch_type", r.patch_type},
         {"content_type", PatchContentType(r.patch_type)},
         {"events", r.events},
         // An integral timeout as an integer: python3-kubernetes ignores a float _request_timeout.
         {"timeout", r.timeout_seconds == static_cast<long long>(r.timeout_seconds)
                         ? json(static_cast<long long>(r.timeout_seconds))
                         : json(r.timeout_seconds)},
         {"headers", r.headers}};
  if (r.body) j["body"] = *r.body;
  return j;
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
               std::vector<std::string> probe, std::string probe_hint)
      : name_(std::move(name)),
        interpreter_(std::move(interpreter)),
        script_(std::move(script)),
        probe_(std::move(probe)),
        probe_hint_(std::move(probe_hint)) {}

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
      ProcessOptions o;
      o.argv = probe_;
      o.env = CleanEnvironment();
      o.cwd = script_.parent_path();
      o.timeout = std::chrono::milliseconds(20000);
      ProcessResult r = RunProcess(o);
      if (r.exit_code != 0)
        unavailable_ =
            fmt::format("{} ({})", probe_hint_, FirstLine(r.err.empty() ? r.out : r.err));
    });
    return unavailable_;
  }

  std::string Unsupported(const Scenario& s) const override {
    if (s.access.path == AccessPath::kSeed) return "the seed path is curl's (with kubectl)";
    if (name_ == "node" && s.request.headers.count("Host"))
      return "node's fetch does not let a program set the Host header";
    return "";
  }

  Outcome Run(const Job& job) override {
    const Target& t = job.target;
    ProcessOptions po;
    po.env = job.env;
    if (t.path == AccessPath::kInCluster)
      for (const auto& [k, v] : t.incluster_env) po.env[k] = v;
    if (t.path == AccessPath::kKubeconfig && t.kubeconfig_env) {
      std::string joined;
      for (const auto& k : t.kubeconfigs) joined += (joined.empty() ? "" : ":") + k;
      po.env["KUBECONFIG"] = joined;
    }
    po.argv = interpreter_;
    po.argv.push_back(script_.string());
    po.cwd = t.work;
    po.timeout = job.timeout;
    json input{{"target", t.ToJson()}, {"request", RequestJson(job.scenario->request)}};
    po.input = input.dump();
    bool in_cluster = t.path == AccessPath::kInCluster;
    if (t.private_mounts && (in_cluster || !t.hosts_file.empty()))
      po.argv = InPrivateMounts(po.argv, in_cluster ? t.sa_dir : "", t.hosts_file);
    ProcessResult pr = RunProcess(po);
    Outcome o;
    if (pr.timed_out) {
      o.kind = OutcomeKind::kTimeout;
      o.message = "no answer within the run's time limit";
      return o;
    }
    // The outcome is the last line of stdout that parses as JSON.
    std::stringstream lines(pr.out);
    std::string line, last;
    while (std::getline(lines, line))
      if (!line.empty() && line.front() == '{') last = line;
    json j = json::parse(last, nullptr, false);
    if (last.empty() || j.is_discarded())
      throw std::runtime_error(fmt::format("the {} driver printed no outcome (exit {}): {}", name_,
                                           pr.exit_code, LastLine(pr.err)));
    if (j.contains("skip")) throw SkipRun{j["skip"].get<std::string>()};
    o = Outcome::FromJson(j);
    if (!in_cluster || t.private_mounts) return o;
    o.evidence["fallback"] =
        "no private mount namespace: the client was given the service-account folder's path";
    return o;
  }

 private:
  std::string name_;
  std::vector<std::string> interpreter_;
  fs::path script_;
  std::vector<std::string> probe_;
  std::string probe_hint_;
  mutable std::once_flag probed_;
  mutable std::string unavailable_;
};

}  // namespace

std::unique_ptr<Driver> MakePythonDriver(const fs::path& clients_dir) {
  fs::path script = clients_dir / "python" / "driver.py";
  return std::make_unique<ScriptDriver>(
      "python", std::vector<std::string>{"/usr/bin/python3"}, script,
      std::vector<std::string>{"/usr/bin/python3", "-c", "import kubernetes"},
      "the official Python client is not installed (Debian: python3-kubernetes)");
}

std::unique_ptr<Driver> MakeNodeDriver(const fs::path& clients_dir) {
  fs::path script = clients_dir / "node" / "driver.mjs";
  return std::make_unique<ScriptDriver>(
      "node", std::vector<std::string>{"node"}, script,
      std::vector<std::string>{"node", "-e", "import('@kubernetes/client-node')"},
      "@kubernetes/client-node is not installed (run `npm ci` in scenarios/clients/node)");
}

}  // namespace kubedouble::scenarios
