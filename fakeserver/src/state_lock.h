// One server per state folder: `DIR/serve.lock`, held (flock) while a server runs on DIR, holds
// its process id. A second server on the same folder — in this process or another — refuses to
// start and names the first one's pid, instead of both rewriting the kubeconfigs and tokens.
// The lock goes with the process (a kill -9 releases it); the file stays.
#pragma once

#include <filesystem>

namespace kubedouble::fake {

class StateLock {
 public:
  // Takes the lock on `dir` or throws std::runtime_error ("the state folder DIR is in use by
  // another kubedouble serve (pid N): stop it first, or give another --dir").
  explicit StateLock(const std::filesystem::path& dir);
  ~StateLock();  // releases it
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace kubedouble::fake
