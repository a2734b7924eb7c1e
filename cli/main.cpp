// kubedouble: thin wiring of the libraries; each subcommand lives in its own cli/*.cpp.
#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "command.h"

namespace kubedouble::cli {
std::vector<Registration>& Registry() {
  static std::vector<Registration> registry;
  return registry;
}
}  // namespace kubedouble::cli

int main(int argc, char** argv) {
  using namespace kubedouble::cli;
  CLI::App app{
      "kubedouble: a test double of the Kubernetes API server and a conformance harness for the "
      "ways programs reach it."};
  app.require_subcommand(1);
  app.set_version_flag("--version", KUBEDOUBLE_VERSION);
  app.add_subcommand("version", "Print the kubedouble version")->callback([] {
    fmt::print("kubedouble {}\n", KUBEDOUBLE_VERSION);
  });
  auto& registry = Registry();
  std::sort(registry.begin(), registry.end(),
            [](const Registration& a, const Registration& b) { return a.name < b.name; });
  for (auto& r : registry) r.setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help on stdout (exit 0) and usage errors on stderr (exit 2 for us).
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const Exit& e) {
    return e.code;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return 0;
}
