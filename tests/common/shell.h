// Runs shell commands for the tests that drive real programs (openssl, kubectl, curl, python,
// node, kubedouble itself): one helper for every test folder.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace kubedouble::test {

struct ShellResult {
  int code = -1;       // exit code; 128 + signal when killed by one
  std::string output;  // stdout and stderr together
};

// Single-quotes `s` for the shell.
inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `script` with bash -c, stdin from /dev/null, and returns its exit code and output.
inline ShellResult Bash(const std::string& script) {
  ShellResult r;
  FILE* p = ::popen(("bash -c " + ShellQuote(script) + " </dev/null 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace kubedouble::test
