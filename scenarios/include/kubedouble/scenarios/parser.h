// kubedouble::scenarios — loading suite files.
//
// A suite file is YAML (schema in scenarios/README.md). Everything is checked while loading:
// an unknown key, a value of the wrong type, an unknown access path, verb or outcome, a client
// override without its `why` — each is a ParseError whose message starts with
// `file:line:column: ` and says what is wrong. Nothing is silently ignored.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "kubedouble/scenarios/model.h"

namespace kubedouble::scenarios {

class ParseError : public std::runtime_error {
 public:
  ParseError(SourceLocation where, const std::string& what);
  const SourceLocation& where() const { return where_; }

 private:
  SourceLocation where_;
};

// Parses suite text; `file` is used in messages and as the default suite name (its stem).
Suite ParseSuite(const std::string& text, const std::string& file);
Suite LoadSuite(const std::filesystem::path& file);

// The suite files under `paths` (files as given, folders searched for *.yaml / *.yml, sorted).
// Throws ParseError for a path that does not exist.
std::vector<std::filesystem::path> FindSuiteFiles(const std::vector<std::filesystem::path>& paths);

// The folder of the built-in suites: $KUBEDOUBLE_SUITES, else <exe>/../share/kubedouble/suites,
// else the source tree's scenarios/suites. Empty when none exists.
std::filesystem::path BuiltinSuitesDir();

}  // namespace kubedouble::scenarios
