#include "state_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace kubedouble::fake {

StateLock::StateLock(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "serve.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw std::runtime_error(
        fmt::format("cannot open the lock file {}: {}", file.string(), std::strerror(errno)));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) {
      throw std::runtime_error(
          fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
    }
    throw std::runtime_error(fmt::format(
        "the state folder {} is in use by another kubedouble serve ({}): stop it first, or give "
        "another --dir",
        dir.string(), pid.empty() ? "pid unknown" : "pid " + pid));
  }
  // Written over the last server's pid, then cut to its length: truncating to 0 first frees the
  // file's block, which can wait for the file system's journal (0.2 to 4 ms on a busy ext4).
  std::string mine = std::to_string(::getpid()) + "\n";
  if (::pwrite(fd_, mine.data(), mine.size(), 0) != static_cast<ssize_t>(mine.size()) ||
      ::ftruncate(fd_, static_cast<off_t>(mine.size())) != 0) {
    // The lock is held all the same; only the pid another server would print is missing.
  }
}

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace kubedouble::fake
