// The file tree of a simulated container: directories and regular files in memory, one tree per
// container of a pod (by the pod's uid), kept across the execs of that pod and gone with it.
//
// A new tree holds what an empty image would: / with bin, dev, etc, home, proc, root, tmp, usr
// and var, /etc/hostname (the pod's name), and the container's workingDir. Paths are Unix paths;
// `.` and `..` are resolved against the caller's working directory. No symbolic links, no owners:
// every file is root's, with a mode (0644 files, 0755 directories unless a tar says otherwise).
// Thread-safe: execs of the same pod may run at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::fake {

class Store;

struct FileNode {
  bool dir = false;
  std::string data;  // a file's content
  uint32_t mode = 0644;
  std::chrono::system_clock::time_point mtime;
};

class FileTree {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // The tree of a new container (see above); `now` stamps the files.
  FileTree(const std::string& hostname, const std::string& working_dir, TimePoint now);

  // `path` made absolute against `cwd` and normalised ("/a/b", "/" for the root).
  static std::string Absolute(const std::string& cwd, const std::string& path);

  // A copy of the node at `path` (absolute), or nullopt.
  std::optional<FileNode> Stat(const std::string& path) const;
  // The names of the entries of directory `path`, sorted; nullopt when it is not a directory.
  std::optional<std::vector<std::string>> List(const std::string& path) const;

  // The errors the calls below return, worded as the C library words errno.
  static constexpr const char* kNoEntry = "No such file or directory";
  static constexpr const char* kNotDir = "Not a directory";
  static constexpr const char* kIsDir = "Is a directory";
  static constexpr const char* kExists = "File exists";
  static constexpr const char* kNotEmpty = "Directory not empty";

  // Writes (or with `append`, appends to) the file at `path`; its directory must exist.
  // "" on success, else the error.
  std::string WriteFile(const std::string& path, const std::string& data, bool append,
                        TimePoint now, std::optional<uint32_t> mode = std::nullopt);
  // Makes directory `path`; with `parents`, the missing ones above it too and no error when it
  // exists.
  std::string MakeDir(const std::string& path, bool parents, TimePoint now,
                      std::optional<uint32_t> mode = std::nullopt);
  // Removes `path`; a directory only with `recursive`.
  std::string Remove(const std::string& path, bool recursive);
  // Sets the modification time of an existing entry; "" or the error.
  std::string Touch(const std::string& path, TimePoint when);
  // Sets the permission bits of an existing entry; "" or the error.
  std::string Chmod(const std::string& path, uint32_t mode);
  // Moves `from` (with everything under it) to `to`, replacing a file there; `to`'s directory
  // must exist. "" or the error ("Invalid argument" for a directory into itself).
  std::string Rename(const std::string& from, const std::string& to);

 private:
  static std::string Parent(const std::string& path);
  std::string CheckParentLocked(const std::string& path) const;

  mutable std::mutex mu_;
  std::map<std::string, FileNode> nodes_;  // by absolute path
};

// Every container's tree, by pod uid and container name.
class FileTrees {
 public:
  // The tree of container `container` of the pod with `pod_uid`, made on first use.
  std::shared_ptr<FileTree> For(const std::string& pod_uid, const std::string& container,
                                const std::string& hostname, const std::string& working_dir,
                                FileTree::TimePoint now);
  // Forgets a pod's trees once the pod is gone from `store` (removed, grace period over; or
  // every pod, on Store::Clear), from now on: a pod deleted and made again under the same name
  // has a new uid and starts afresh, and a deleted pod's files do not stay in memory.
  void Follow(Store& store);

 private:
  void Forget(const std::string& pod_uid);  // every pod's, for ""
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<FileTree>> trees_;
};

}  // namespace kubedouble::fake
