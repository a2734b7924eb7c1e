// Runs real client commands through bash for the e2e tests.
#pragma once

#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace kubedouble::e2e {

struct Result {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `script` with bash -c (stdin from /dev/null) and returns its exit code and output.
inline Result Bash(const std::string& script) {
  std::string cmd = "bash -c '";
  for (char c : script) {
    if (c == '\'') {
      cmd += "'\\''";
    } else {
      cmd += c;
    }
  }
  cmd += "' </dev/null 2>&1";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Environment for kubectl: the kubeconfig, and a fresh discovery cache (never the user's).
inline std::string KubectlEnv(const std::filesystem::path& kubeconfig) {
  std::string cache =
      (kubeconfig.parent_path() / ("kubecache-" + std::to_string(std::rand()))).string();
  return "export KUBECONFIG=" + kubeconfig.string() + " KUBECACHEDIR=" + cache +
         " HOME=" + kubeconfig.parent_path().string() + "; ";
}

}  // namespace kubedouble::e2e
