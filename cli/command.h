// How a cli/*.cpp file adds subcommands to `kubedouble` without touching main.cpp:
//
//   static kubedouble::cli::Registrar reg("certs", [](CLI::App& app) { ... return run; });
//
// The setup function adds its subcommand(s) to `app` and gives each its body with OnRun. A body
// returns the process's exit code (0 done, 1 failed, 2 usage or configuration error), having
// printed why on stderr; main returns it. An exception is for the truly unexpected: main prints
// "error: WHAT" and exits 1.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace kubedouble::cli {

// What a subcommand runs once its arguments are parsed; returns the exit code.
using Body = std::function<int()>;

// Makes `body` the callback of `sub`: the code it returns is the one main exits with.
void OnRun(CLI::App* sub, Body body);

// The code the subcommand that ran returned; 0 when none ran or it had no body.
int ExitCode();

using Setup = std::function<void(CLI::App& app)>;

struct Registration {
  std::string name;
  Setup setup;
};

std::vector<Registration>& Registry();

struct Registrar {
  Registrar(std::string name, Setup setup) {
    Registry().push_back({std::move(name), std::move(setup)});
  }
};

}  // namespace kubedouble::cli
