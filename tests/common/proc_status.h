// One number of a process's /proc/PID/status, for the tests and benchmarks that watch a server's
// resources: "VmRSS:" (resident memory, kB), "Threads:", "VmHWM:" ...
//
//   long rss_kb = kubedouble::test::ProcStatus(server.pid(), "VmRSS:");
#pragma once

#include <sys/types.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace kubedouble::test {

// The number after `field` (its name with the colon) on its line; -1 when the process or the
// field is not there.
inline long ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + field.size());
  }
  return -1;
}

}  // namespace kubedouble::test
