// Files: atomic writes with a given mode, reads, and certificate + key pairs on disk.
// Atomic means a reader sees the old file or the whole new one (temp file + rename). There is no
// fsync: the material is minted per run, so durability across a power cut buys nothing, and
// twenty fsyncs would dominate the time to write a bundle.
// Replacing an existing file swaps it with the temp file (renameat2 RENAME_EXCHANGE, as atomic as
// rename) and then removes the old one: ext4 flushes a file renamed over another one at once
// (auto_da_alloc), 0.3 to 1 ms per file here, the largest part of a server restart's writes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "kubedouble/certs/certs.h"
#include "ossl.h"

namespace kubedouble::certs {
namespace {

namespace fs = std::filesystem;

std::string SysError(const std::string& what, const fs::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// Moves `tmp` to `path` atomically.
bool Replace(const fs::path& tmp, const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
    ::unlink(tmp.c_str());  // now the old content
    return true;
  }
  return ::rename(tmp.c_str(), path.c_str()) == 0;
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng());
}

}  // namespace

void WriteFile(const fs::path& path, std::string_view content, fs::perms mode) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  fs::path tmp = dir / ("." + path.filename().string() + ".tmp" + RandomSuffix());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  static_cast<mode_t>(mode) & 0777);
  if (fd < 0) throw Error(SysError("cannot write", path));
  // The umask may have taken bits away; set the mode exactly before any byte is written.
  bool ok = ::fchmod(fd, static_cast<mode_t>(mode) & 0777) == 0;
  size_t done = 0;
  while (ok && done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  std::string error = ok ? "" : SysError("cannot write", path);
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = SysError("cannot write", path);
  }
  if (ok && !Replace(tmp, path)) {
    ok = false;
    error = SysError("cannot write", path);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    throw Error(error);
  }
}

bool FileHolds(const fs::path& path, std::string_view content, fs::perms mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      (st.st_mode & 07777) != (static_cast<mode_t>(mode) & 07777) ||
      static_cast<size_t>(st.st_size) != content.size()) {
    return false;
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  std::string current(content.size(), '\0');
  size_t done = 0;
  while (done < current.size()) {
    ssize_t n = ::read(fd, current.data() + done, current.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return done == content.size() && current == content;
}

bool WriteFileIfChanged(const fs::path& path, std::string_view content, fs::perms mode) {
  if (FileHolds(path, content, mode)) return false;
  WriteFile(path, content, mode);
  return true;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(SysError("cannot read", path));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) throw Error(SysError("cannot read", path));
  return out.str();
}

void SavePair(const KeyPair& pair, const fs::path& dir, std::string_view name) {
  const std::string base(name);
  // The key first: a certificate never sits on disk without its key.
  WriteFile(dir / (base + ".key"), pair.key.PrivatePem(),
            fs::perms::owner_read | fs::perms::owner_write);
  WriteFile(dir / (base + ".crt"), pair.cert.Pem(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

KeyPair LoadPair(const fs::path& dir, std::string_view name) {
  const std::string base(name);
  KeyPair pair;
  fs::path crt = dir / (base + ".crt");
  fs::path key = dir / (base + ".key");
  std::string crt_text;
  try {
    crt_text = ReadFile(crt);
  } catch (const Error& e) {
    throw Error(crt.string() + ": " + e.what());
  }
  try {
    pair.key = Key::FromPemDeferred(ReadFile(key), key.string());
  } catch (const Error& e) {
    throw Error(key.string() + ": " + e.what());
  }
  // Decoded, and checked against its key, when first used (a start uses two of the nine); the key
  // too is decoded when first used.
  Certificate::Check matches = [k = pair.key, crt, key](X509* cert) {
    if (cert == nullptr) throw Error(crt.string() + ": not a valid X.509 certificate");
    if (X509_check_private_key(cert, k.get()) != 1) {
      internal::DrainErrors();
      throw Error(key.string() + " does not match the certificate " + crt.string());
    }
  };
  try {
    pair.cert = Certificate::FromPemDeferred(crt_text, std::move(matches));
  } catch (const Error& e) {
    throw Error(crt.string() + ": " + e.what());
  }
  return pair;
}

}  // namespace kubedouble::certs
