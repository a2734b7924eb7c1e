// Runs a shell command and returns its exit code and combined output (for the `openssl` and
// `kubedouble` command-line checks).
#pragma once

#include <string>

#include "common/shell.h"

namespace kubedouble::test {

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline RunResult RunCommand(const std::string& command) {
  ShellResult r = Bash(command);
  return {r.code, std::move(r.output)};
}

inline std::string Quote(const std::string& s) { return ShellQuote(s); }

}  // namespace kubedouble::test
