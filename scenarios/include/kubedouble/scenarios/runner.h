// kubedouble::scenarios — the runner: every scenario on every client that can express it.
//
// Each (scenario, client) run gets its own fake API server on an ephemeral port, with its own
// state folder, so runs are independent and go in parallel (`jobs`). The runner sets up what the
// scenario names (MITM, kubectl proxy, files, in-cluster namespace), runs the client's driver,
// adds what the server and the MITM saw (the user, the captured token), and compares.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "kubedouble/scenarios/model.h"
#include "kubedouble/scenarios/outcome.h"

namespace kubedouble::scenarios {

struct RunOptions {
  std::vector<std::string> clients;  // empty: KnownClients()
  // Clients that must be installed: Run throws MissingClients naming each one that is not,
  // before anything runs (the others are skipped with the reason when missing).
  std::vector<std::string> required_clients;
  int jobs = 1;
  int shard_index = 1;  // --shard I/N: run the scenarios whose position p has p % N == I - 1
  int shard_count = 1;
  std::string filter;              // RE2 pattern searched in "suite/name"; empty: all
  std::filesystem::path work_dir;  // run folders go here (a new temporary folder when empty)
  bool keep_work = false;          // keep the run folders (always kept for failures when set)
  std::chrono::milliseconds client_timeout{30000};
  std::filesystem::path clients_dir;  // the driver scripts; ClientsDir() when empty
  // Called after each run (from worker threads, serialized).
  std::function<void(size_t done, size_t total, const struct CaseResult& last)> on_result;
};

struct CaseResult {
  enum class Status { kPass, kFail, kSkip, kError };
  std::string suite;
  std::string scenario;
  std::string file;  // the suite file, repository-relative (RepoRelativePath)
  int line = 0;      // where the scenario starts in it (1-based)
  int column = 0;
  std::string client;
  Status status = Status::kSkip;
  std::string reason;  // why it failed / was skipped / errored
  bool has_outcome = false;
  Outcome outcome;
  Expectation expected;
  std::string why;  // the expectation's why (client differs)
  double seconds = 0;
};
std::string StatusName(CaseResult::Status status);  // pass | fail | skip | error

struct RunReport {
  std::vector<std::string> clients;  // the columns, in order
  // What ran where: for the reports (JUnit <properties>, JSON), so a result can be told apart
  // from another machine's or another day's.
  std::string kubedouble_version;
  std::map<std::string, std::string> client_versions;  // the available clients' Version()
  std::string started;                                 // RFC 3339, UTC
  std::string host;                                    // the machine's host name
  std::vector<CaseResult> results;                     // scenario order, then client order
  double seconds = 0;
  size_t Count(CaseResult::Status status) const;
  // 0 when nothing failed or errored, 1 otherwise.
  int ExitCode() const;
};

// Thrown by Run when a required client is not installed; what() names each one and why.
struct MissingClients : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The scenarios selected by filter and shard, in suite order. Throws std::runtime_error for an
// invalid filter pattern or shard.
std::vector<const Scenario*> SelectScenarios(const std::vector<Suite>& suites,
                                             const RunOptions& options);

RunReport Run(const std::vector<Suite>& suites, const RunOptions& options);

}  // namespace kubedouble::scenarios
