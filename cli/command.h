// How a cli/*.cpp file adds subcommands to `kubedouble` without touching main.cpp:
//
//   static kubedouble::cli::Registrar reg("certs", [](CLI::App& app) { ... return run; });
//
// The setup function adds its subcommand(s) to `app`. Subcommand callbacks signal their exit
// code by throwing kubedouble::cli::Exit{code}; a plain return means 0.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace kubedouble::cli {

struct Exit {
  int code = 0;
};

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
