// kubedouble: thin wiring of the libraries; each subcommand lives in its own cli/*.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>

#include "command.h"
#include "kubedouble/fakeserver/version.h"
#include "suggest.h"

namespace kubedouble::cli {
std::vector<Registration>& Registry() {
  static std::vector<Registration> registry;
  return registry;
}

namespace {
int exit_code = 0;
}  // namespace

void OnRun(CLI::App* sub, Body body) {
  sub->callback([body = std::move(body)] { exit_code = body(); });
}

int ExitCode() { return exit_code; }
}  // namespace kubedouble::cli

namespace {

bool IsCommand(CLI::App& app, const std::string& word) {
  for (auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->check_name(word)) return true;
  }
  return false;
}

// `unknown command "serv" — did you mean "serve"?`, exit 2.
int UnknownCommand(CLI::App& app, const std::string& typed) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  auto close = kubedouble::cli::Suggestions(typed, names);
  if (close.empty()) {
    fmt::print(stderr,
               "kubedouble: unknown command \"{}\"; run 'kubedouble --help' for the commands\n",
               typed);
  } else {
    fmt::print(stderr, "kubedouble: unknown command \"{}\" — did you mean \"{}\"?\n", typed,
               fmt::join(close, "\" or \""));
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kubedouble::cli;
  CLI::App app{
      "kubedouble: a test double of the Kubernetes API server and a conformance harness for the "
      "ways programs reach it."};
  app.require_subcommand(1);
  app.set_version_flag("--version", KUBEDOUBLE_VERSION);
  app.add_subcommand("version",
                     "Print the kubedouble version and the Kubernetes version it emulates")
      ->callback([] {
        fmt::print("kubedouble {}\nKubernetes {} (the API version the server emulates)\n",
                   KUBEDOUBLE_VERSION, kubedouble::fake::kKubernetesGitVersion);
      });
  auto& registry = Registry();
  std::sort(registry.begin(), registry.end(),
            [](const Registration& a, const Registration& b) { return a.name < b.name; });
  // A command named exactly gets only its own subcommand set up (CLI11 builds every option of
  // every subcommand: 1.3 M instructions of `kubedouble serve`'s start-up); anything else (help,
  // a flag, a mistyped command, `completion`, which describes them all) gets every one.
  const auto named = std::find_if(registry.begin(), registry.end(), [&](const Registration& r) {
    return argc > 1 && r.name == argv[1] && r.name != "completion";
  });
  if (named != registry.end()) {
    named->setup(app);
  } else {
    for (auto& r : registry) r.setup(app);
  }
  // A mistyped command: CLI11 would only say that the argument was not expected.
  if (argc > 1 && argv[1][0] != '-' && !IsCommand(app, argv[1])) {
    return UnknownCommand(app, argv[1]);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints help on stdout (exit 0) and usage errors on stderr (exit 2 for us).
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
  return ExitCode();
}
