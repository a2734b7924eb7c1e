// A stage: everything one (scenario, client) run needs — the fake server, a MITM, a kubectl
// proxy, the scenario's files — set up in a run folder, and torn down when destroyed.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kubedouble/scenarios/driver.h"
#include "kubedouble/scenarios/model.h"
#include "kubedouble/scenarios/outcome.h"

namespace kubedouble::scenarios {

class Stage {
 public:
  // Why this machine cannot set up `scenario` for `client` (a host name without a private mount
  // namespace, a proxy without kubectl): the run is skipped with that reason; "" when it can.
  static std::string Unavailable(const Scenario& scenario, const std::string& client);

  // Sets up the world of `scenario` for `client` in `work` (created), which Unavailable said this
  // machine can. Throws std::runtime_error naming what could not be set up.
  Stage(const Scenario& scenario, const std::string& client, const std::filesystem::path& work);
  ~Stage();

  const Target& target() const;
  // The scenario as this run sends it: the request body's ${PLACEHOLDERS} (${SA_TOKEN}, ...)
  // substituted. The setup steps have run.
  const Scenario& scenario() const;
  // The client's environment: clean, HOME and KUBECACHEDIR inside the run folder.
  std::map<std::string, std::string> Environment() const;
  // Adds what the server and the MITM saw to the client's outcome: the user the server
  // authenticated for the request, the MITM's captures, the fallbacks used.
  void AddEvidence(const Request& request, Outcome& outcome) const;
  // A bash script that replays the run by hand: `kubedouble serve` as the stage's server (same
  // state folder and port), then the client's recorded command (client.sh); it names what it
  // does not replay (a MITM or kubectl proxy in front, ...). `kubedouble` is the binary to use.
  // Writes the files its configuration flags name (policy, tokens, fixtures, faults) to the
  // run folder.
  std::string ReproScript(const std::string& kubedouble) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubedouble::scenarios
