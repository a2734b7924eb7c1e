// Runs real client commands through bash for the e2e tests.
#pragma once

#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/shell.h"

namespace kubedouble::e2e {

using Result = test::ShellResult;
using test::Bash;

// Environment for kubectl: the kubeconfig, and a fresh discovery cache (never the user's).
inline std::string KubectlEnv(const std::filesystem::path& kubeconfig) {
  std::string cache =
      (kubeconfig.parent_path() / ("kubecache-" + std::to_string(std::rand()))).string();
  return "export KUBECONFIG=" + kubeconfig.string() + " KUBECACHEDIR=" + cache +
         " HOME=" + kubeconfig.parent_path().string() + "; ";
}

// KubectlEnv for a test server's admin kubeconfig, in the server's folder (where relative
// manifest paths of a test land).
inline std::string KubectlEnv(const fake::TestServer& srv) {
  return KubectlEnv(srv.paths().kubeconfig) + "cd " + srv.paths().dir.string() + "; ";
}

// kubectl with a test server's kubeconfig and a discovery cache in its folder, as a command
// prefix usable after `timeout` (no environment to export).
inline std::string Kubectl(const fake::TestServer& srv) {
  return "kubectl --kubeconfig=" + srv.paths().kubeconfig.string() +
         " --cache-dir=" + (srv.paths().dir / "kubecache").string() + " ";
}

// Writes `text` to dir/name and returns its path.
inline std::string Write(const std::filesystem::path& dir, const std::string& name,
                         const std::string& text) {
  auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace kubedouble::e2e
