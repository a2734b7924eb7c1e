// The fixture of the control plane's kubectl tests: `kubedouble serve` (real clock) in a fresh
// folder per test, and real kubectl against it with a fresh discovery cache.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/shell.h"
#include "common/temp_dir.h"
#include "e2e/run.h"
#include "reliability/serve_process.h"

namespace kubedouble {

namespace fs = std::filesystem;

class KubectlCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::Bash("command -v kubectl").code != 0) GTEST_SKIP() << "kubectl is not installed";
    tmp_ = std::make_unique<test::TempDir>();
    dir_ = tmp_->path();
  }
  void TearDown() override {
    server_.reset();
    tmp_.reset();
  }
  void Serve(std::vector<std::string> args = {}) {
    server_ = std::make_unique<testing::ServeProcess>(dir_ / "state", std::move(args));
    ASSERT_TRUE(server_->ok()) << server_->log();
  }
  // Writes `text` to `name` in the test's folder and returns its path.
  fs::path Write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  test::ShellResult Kubectl(const std::string& script) {
    return test::Bash(e2e::KubectlEnv(dir_ / "state" / "kubeconfig") + "cd " + dir_.string() +
                      "; " + script);
  }

  std::unique_ptr<test::TempDir> tmp_;
  fs::path dir_;  // tmp_'s path
  std::unique_ptr<testing::ServeProcess> server_;
};

}  // namespace kubedouble
