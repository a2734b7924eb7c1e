// kubedouble run [PATH...]: the scenario suites on every client, a matrix at the end.
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>

#include "command.h"
#include "kubedouble/scenarios/parser.h"
#include "kubedouble/scenarios/report.h"
#include "kubedouble/scenarios/runner.h"

namespace {

namespace fs = std::filesystem;
namespace sc = kubedouble::scenarios;

struct RunFlags {
  std::vector<std::string> paths;
  std::string clients;
  int jobs = 2;
  std::string shard;
  std::string filter;
  bool list = false;
  std::string junit;
  std::string json;
  std::string work;
  bool keep = false;
  bool require_clients = false;
  double timeout = 30;
  bool no_color = false;
};

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Prints "kubedouble run: MESSAGE"; the exit code of a usage error.
int UsageError(const std::string& message) {
  fmt::print(stderr, "kubedouble run: {}\n", message);
  return 2;
}

int RunCommand(const RunFlags& f) {
  sc::RunOptions options;
  options.jobs = f.jobs;
  options.filter = f.filter;
  options.keep_work = f.keep;
  options.work_dir = f.work;
  options.client_timeout = std::chrono::milliseconds(static_cast<long long>(f.timeout * 1000));
  if (f.jobs < 1) return UsageError("--jobs must be at least 1");
  if (!f.clients.empty()) {
    options.clients = SplitComma(f.clients);
    for (const auto& c : options.clients) {
      const auto& known = sc::KnownClients();
      if (std::find(known.begin(), known.end(), c) == known.end())
        return UsageError(
            fmt::format("--clients: unknown client \"{}\" (known: accesslib, curl, "
                        "kubectl, python, node)",
                        c));
    }
  }
  if (!f.shard.empty()) {
    int i = 0, n = 0;
    char extra = 0;
    if (std::sscanf(f.shard.c_str(), "%d/%d%c", &i, &n, &extra) != 2 || n < 1 || i < 1 || i > n)
      return UsageError(
          fmt::format("--shard \"{}\": expected I/N with 1 <= I <= N, e.g. 2/4", f.shard));
    options.shard_index = i;
    options.shard_count = n;
  }

  // A client named in --clients is required; --require-clients requires every selected one.
  if (!f.clients.empty() || f.require_clients)
    options.required_clients = options.clients.empty() ? sc::KnownClients() : options.clients;

  std::vector<fs::path> inputs(f.paths.begin(), f.paths.end());
  if (inputs.empty()) {
    fs::path builtin = sc::BuiltinSuitesDir();
    if (builtin.empty())
      return UsageError(
          "no suite given and the built-in suites were not found (set KUBEDOUBLE_SUITES)");
    inputs.push_back(builtin);
  }
  std::vector<sc::Suite> suites;
  try {
    for (const auto& file : sc::FindSuiteFiles(inputs)) suites.push_back(sc::LoadSuite(file));
  } catch (const sc::ParseError& e) {
    fmt::print(stderr, "{}\n", e.what());
    return 2;
  }
  std::vector<const sc::Scenario*> selected;
  try {
    selected = sc::SelectScenarios(suites, options);
  } catch (const std::exception& e) {
    return UsageError(e.what());
  }
  if (f.list) {
    for (const auto* s : selected) {
      fmt::print("{}  {}\n", s->id(), s->description);
    }
    fmt::print("{} scenarios\n", selected.size());
    return 0;
  }
  if (selected.empty()) return UsageError("no scenario matches");

  bool tty = isatty(STDERR_FILENO);
  options.on_result = [&](size_t done, size_t total, const sc::CaseResult& last) {
    if (!tty) return;
    fmt::print(stderr, "\r\033[K[{}/{}] {}/{} [{}] {}", done, total, last.suite, last.scenario,
               last.client, sc::StatusName(last.status));
    if (done == total) fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
  };
  sc::RunReport report;
  try {
    report = sc::Run(suites, options);
  } catch (const sc::MissingClients& e) {
    fmt::print(stderr, "kubedouble run: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble run: {}\n", e.what());
    return 2;
  }
  fmt::print("{}", sc::FormatMatrix(report, isatty(STDOUT_FILENO) && !f.no_color));
  try {
    if (!f.junit.empty()) sc::WriteReport(f.junit, sc::FormatJunit(report));
    if (!f.json.empty()) sc::WriteReport(f.json, sc::ToJson(report).dump(2) + "\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble run: {}\n", e.what());
    return 2;
  }
  return report.ExitCode();
}

kubedouble::cli::Registrar reg("run", [](CLI::App& app) {
  auto flags = std::make_shared<RunFlags>();
  auto* sub = app.add_subcommand(
      "run",
      "Run scenario suites (the built-in ones when no PATH is given) on every client and print "
      "the scenario x client matrix. Exit 0 when all pass, 1 on a failure, 2 on usage or "
      "scenario errors.");
  sub->add_option("paths", flags->paths, "Suite files or folders of *.yaml");
  sub->add_option("--clients", flags->clients,
                  "Comma-separated clients: accesslib,curl,kubectl,python,node (default: all)");
  sub->add_flag("--require-clients", flags->require_clients,
                "Fail (exit 1) when a selected client is not installed, instead of skipping its "
                "runs; clients named in --clients are always required");
  sub->add_option("--jobs,-j", flags->jobs, "Runs in parallel (default 2)");
  sub->add_option("--shard", flags->shard, "I/N: run only the I-th of N slices of the scenarios");
  sub->add_option("--filter", flags->filter, "RE2 pattern searched in suite/scenario");
  sub->add_flag("--list", flags->list, "List the selected scenarios and exit");
  sub->add_option("--junit", flags->junit, "Write JUnit XML to FILE");
  sub->add_option("--json", flags->json, "Write every outcome and its evidence as JSON to FILE");
  sub->add_option("--work", flags->work, "Folder for the run folders (default: a temporary one)");
  sub->add_flag("--keep", flags->keep,
                "Keep the run folders of failed runs: the client's log (client.log), its command "
                "(client.sh) and repro.sh, which replays the run by hand");
  sub->add_option("--timeout", flags->timeout, "Seconds one client run may take (default 30)");
  sub->add_flag("--no-color", flags->no_color, "No colors in the matrix");
  kubedouble::cli::OnRun(sub, [flags] { return RunCommand(*flags); });
});

}  // namespace
