#include "kubedouble/scenarios/runner.h"

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <re2/re2.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "kubedouble/scenarios/driver.h"
#include "repo_path.h"
#include "stage.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct PlannedRun {
  const Scenario* scenario;
  std::string client;
};

// Where run folders go by default: $TMPDIR when set; else /dev/shm when it is a writable tmpfs
// with room (each run writes a state folder of some 40 files and removes it again — on a disk
// file system, creating inodes among so many recently deleted ones costs more than the run's
// own work); else the temporary folder.
fs::path DefaultWorkParent() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir && *tmpdir) return fs::temp_directory_path();
  struct statvfs st {};
  if (statvfs("/dev/shm", &st) == 0 && access("/dev/shm", W_OK) == 0 &&
      static_cast<unsigned long long>(st.f_bavail) * st.f_frsize >= (256ull << 20))
    return "/dev/shm";
  return fs::temp_directory_path();
}

// This kubedouble's path, for the repro scripts ("kubedouble" when this is another program,
// a test).
std::string SelfBinary() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return !ec && self.filename() == "kubedouble" ? self.string() : "kubedouble";
}

fs::path MakeTempDir() {
  std::string tmpl = (DefaultWorkParent() / "kubedouble-run-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary folder");
  return tmpl;
}

// Tears stages down and removes run folders off the runs' path: a stage's teardown (a server
// whose handler still sleeps out an injected delay, a kubectl proxy given a second to exit) is
// not part of the run it served. Run() waits for all of it before it returns.
class Reaper {
 public:
  explicit Reaper(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~Reaper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void Add(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return done_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool done_ = false;
  std::vector<std::thread> threads_;
};

// `stage` receives the run's stage (to be torn down by the caller) when one was set up.
CaseResult RunOne(const PlannedRun& job, Driver& driver, const fs::path& work,
                  std::chrono::milliseconds timeout, std::unique_ptr<Stage>& stage) {
  const Scenario& s = *job.scenario;
  CaseResult r;
  r.suite = s.suite;
  r.scenario = s.name;
  r.file = RepoRelativePath(s.where.file);
  r.line = s.where.line;
  r.column = s.where.column;
  r.client = job.client;
  r.expected = s.ExpectationFor(job.client);
  r.why = r.expected.why;
  if (!s.only.empty() && std::find(s.only.begin(), s.only.end(), job.client) == s.only.end()) {
    r.reason = "the scenario is only for " + fmt::format("{}", fmt::join(s.only, ", "));
    return r;
  }
  if (const ClientExpectation* o = s.Override(job.client); o && o->skip) {
    r.reason = *o->skip;
    return r;
  }
  if (std::string why = driver.Unavailable(); !why.empty()) {
    r.reason = why;
    return r;
  }
  if (std::string why = driver.Unsupported(s); !why.empty()) {
    r.reason = why;
    return r;
  }
  if (std::string why = Stage::Unavailable(s, job.client); !why.empty()) {
    r.reason = why;
    return r;
  }
  auto start = Clock::now();
  try {
    stage = std::make_unique<Stage>(s, job.client, work);
    scenarios::Job dj;
    dj.scenario = &stage->scenario();
    dj.target = stage->target();
    dj.env = stage->Environment();
    dj.timeout = timeout;
    r.outcome = driver.Run(dj);
    if (r.outcome.skipped) {
      r.status = CaseResult::Status::kSkip;
      r.reason = *r.outcome.skipped;
      r.outcome = Outcome();
    } else {
      stage->AddEvidence(s.request, r.outcome);
      r.has_outcome = true;
      auto diffs = Compare(r.expected, r.outcome);
      if (diffs.empty()) {
        r.status = CaseResult::Status::kPass;
      } else {
        r.status = CaseResult::Status::kFail;
        std::string all;
        for (const auto& d : diffs) all += (all.empty() ? "" : "; ") + d;
        r.reason = all;
      }
    }
  } catch (const std::exception& e) {
    r.status = CaseResult::Status::kError;
    r.reason = e.what();
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

// A rough guess of a run's seconds, to start the slow runs first (so that the last runs of a
// parallel run are short ones and no thread idles while another finishes a slow one). Only the
// order of the runs depends on it; the report keeps scenario order.
double EstimatedSeconds(const Scenario& s, const std::string& client) {
  double t = client == "kubectl" ? 0.4 : client == "accesslib" ? 0.05 : 0.15;
  const AccessPath path = s.access.path;
  if (path == AccessPath::kProxy || path == AccessPath::kSidecar) t += 0.4;  // kubectl proxy
  if (path == AccessPath::kSeed) t += 0.6;                                   // kubectl, then curl
  if ((client == "python" || client == "node") &&
      (path == AccessPath::kInCluster || (client == "python" && path == AccessPath::kKubeconfig)))
    t += client == "node" ? 1.5 : 1.0;  // a process of its own: interpreter and import
  if (s.request.verb == Verb::kWatch) t += 0.5;
  if (s.request.timeout_seconds > 0) t += s.request.timeout_seconds;
  if (s.server.faults) t += 0.5;
  return t;
}

}  // namespace

std::string StatusName(CaseResult::Status status) {
  switch (status) {
    case CaseResult::Status::kPass:
      return "pass";
    case CaseResult::Status::kFail:
      return "fail";
    case CaseResult::Status::kSkip:
      return "skip";
    case CaseResult::Status::kError:
      return "error";
  }
  return "?";
}

size_t RunReport::Count(CaseResult::Status status) const {
  return static_cast<size_t>(std::count_if(
      results.begin(), results.end(), [&](const CaseResult& r) { return r.status == status; }));
}

int RunReport::ExitCode() const {
  return Count(CaseResult::Status::kFail) + Count(CaseResult::Status::kError) > 0 ? 1 : 0;
}

std::vector<const Scenario*> SelectScenarios(const std::vector<Suite>& suites,
                                             const RunOptions& options) {
  if (options.shard_count < 1 || options.shard_index < 1 ||
      options.shard_index > options.shard_count)
    throw std::runtime_error(fmt::format("--shard {}/{}: I must be between 1 and N",
                                         options.shard_index, options.shard_count));
  std::unique_ptr<RE2> filter;
  if (!options.filter.empty()) {
    filter = std::make_unique<RE2>(options.filter, RE2::Quiet);
    if (!filter->ok())
      throw std::runtime_error(fmt::format("--filter \"{}\": {}", options.filter, filter->error()));
  }
  std::vector<const Scenario*> all;
  for (const auto& suite : suites)
    for (const auto& s : suite.scenarios)
      if (!filter || RE2::PartialMatch(s.id(), *filter)) all.push_back(&s);
  std::vector<const Scenario*> out;
  for (size_t i = 0; i < all.size(); ++i)
    if (static_cast<int>(i % static_cast<size_t>(options.shard_count)) == options.shard_index - 1)
      out.push_back(all[i]);
  return out;
}

RunReport Run(const std::vector<Suite>& suites, const RunOptions& options) {
  RunReport report;
  report.clients = options.clients.empty() ? KnownClients() : options.clients;
  std::map<std::string, std::unique_ptr<Driver>> drivers;
  for (const auto& c : report.clients) {
    auto d = MakeDriver(c, options.clients_dir);
    if (!d)
      throw std::runtime_error(
          fmt::format("unknown client \"{}\" (known: {})", c, fmt::join(KnownClients(), ", ")));
    drivers[c] = std::move(d);
  }
  std::vector<std::string> missing;
  for (const auto& c : options.required_clients) {
    auto it = drivers.find(c);
    if (it == drivers.end()) continue;
    if (std::string why = it->second->Unavailable(); !why.empty())
      missing.push_back(fmt::format("{} ({})", c, why));
  }
  if (!missing.empty())
    throw MissingClients(fmt::format(
        "required client{} not available: {} — a client named in --clients (or any with "
        "--require-clients) must be installed",
        missing.size() == 1 ? " is" : "s are", fmt::join(missing, "; ")));
  report.kubedouble_version = KUBEDOUBLE_VERSION;
  report.started = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::time(nullptr)));
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) report.host = host;
  for (const auto& [name, driver] : drivers)
    if (driver->Unavailable().empty()) report.client_versions[name] = driver->Version();
  std::vector<PlannedRun> jobs;
  for (const Scenario* s : SelectScenarios(suites, options))
    for (const auto& c : report.clients) jobs.push_back({s, c});

  fs::path base = options.work_dir.empty() ? MakeTempDir() : options.work_dir;
  fs::create_directories(base);
  report.results.resize(jobs.size());
  // The order the runs start in: the slow ones first (ties in scenario order).
  std::vector<size_t> order(jobs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<double> cost(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i)
    cost[i] = EstimatedSeconds(*jobs[i].scenario, jobs[i].client);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return cost[a] > cost[b]; });
  std::atomic<size_t> next{0};
  size_t done = 0;
  std::mutex mu;
  auto start = Clock::now();
  std::optional<Reaper> reaper(std::in_place, 2);
  auto worker = [&] {
    while (true) {
      size_t pos = next.fetch_add(1);
      if (pos >= jobs.size()) return;
      size_t i = order[pos];
      const PlannedRun& job = jobs[i];
      fs::path work = base / job.scenario->suite / job.scenario->name / job.client;
      std::unique_ptr<Stage> stage;
      CaseResult r = RunOne(job, *drivers[job.client], work, options.client_timeout, stage);
      bool keep = options.keep_work &&
                  (r.status == CaseResult::Status::kFail || r.status == CaseResult::Status::kError);
      if (keep && stage) {  // with the client's log (client.log): a script to replay the run
        std::ofstream(work / "repro.sh") << stage->ReproScript(SelfBinary());
        fs::permissions(work / "repro.sh", fs::perms::owner_exec, fs::perm_options::add);
      }
      reaper->Add([stage = std::shared_ptr<Stage>(std::move(stage)), work, keep]() mutable {
        stage.reset();
        std::error_code ec;
        if (!keep) fs::remove_all(work, ec);
      });
      std::lock_guard<std::mutex> lock(mu);
      report.results[i] = std::move(r);
      ++done;
      if (options.on_result) options.on_result(done, jobs.size(), report.results[i]);
    }
  };
  int n = std::max(1, std::min<int>(options.jobs, static_cast<int>(jobs.size())));
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  reaper.reset();  // every stage torn down, every run folder removed
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::error_code ec;
  if (options.work_dir.empty() && !options.keep_work) fs::remove_all(base, ec);
  return report;
}

}  // namespace kubedouble::scenarios
