// What the distribution files (Dockerfile, recipes, suite schema) say, read by facts.py, and
// what the built kubedouble accepts, for the distribution tests.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/shell.h"

namespace kubedouble::test {

inline const std::string kSource = KUBEDOUBLE_SOURCE_DIR;
inline const std::string kBinary = KUBEDOUBLE_BINARY;

// facts.py's answer for `args` (see tests/distribution/facts.py).
inline nlohmann::json Facts(const std::string& args) {
  ShellResult r = Bash("python3 " + kSource + "/tests/distribution/facts.py " + args + " 2>&1");
  EXPECT_EQ(r.code, 0) << r.output;
  try {
    return nlohmann::json::parse(r.output);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "facts.py " << args << ": " << e.what() << "\n" << r.output;
    return nlohmann::json::object();
  }
}

// The words of a command's output, one per line or space.
inline std::set<std::string> Words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

// The flags `kubedouble SUBCOMMAND --help` lists ("--dir", "-n", ...), empty when the
// subcommand does not exist.
inline std::set<std::string> FlagsOf(const std::string& subcommand) {
  ShellResult r = Bash(ShellQuote(kBinary) + " " + subcommand + " --help");
  std::set<std::string> flags;
  if (r.code != 0) return flags;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line[start] != '-') continue;
    std::string names = line.substr(start, line.find(' ', start) - start);
    std::istringstream parts(names);
    for (std::string name; std::getline(parts, name, ',');) flags.insert(name);
  }
  return flags;
}

// The subcommands `kubedouble --help` lists.
inline std::vector<std::string> TopLevelSubcommands() {
  ShellResult help = Bash(ShellQuote(kBinary) + " --help");
  std::vector<std::string> names;
  size_t at = help.output.find("Subcommands:");
  if (at == std::string::npos) return names;
  std::istringstream in(help.output.substr(at));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) names.push_back(name);
  }
  return names;
}

}  // namespace kubedouble::test
