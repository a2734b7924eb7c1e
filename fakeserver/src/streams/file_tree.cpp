#include "file_tree.h"

#include <kubedouble/base/strings.h>
#include <kubedouble/fakeserver/store.h>

#include <algorithm>

namespace kubedouble::fake {

FileTree::FileTree(const std::string& hostname, const std::string& working_dir, TimePoint now) {
  FileNode dir{true, "", 0755, now};
  nodes_["/"] = dir;
  for (const char* d :
       {"/bin", "/dev", "/etc", "/home", "/proc", "/root", "/tmp", "/usr", "/var"}) {
    nodes_[d] = dir;
  }
  nodes_["/tmp"].mode = 01777;
  nodes_["/etc/hostname"] = FileNode{false, hostname + "\n", 0644, now};
  if (!working_dir.empty()) MakeDir(Absolute("/", working_dir), true, now);
}

std::string FileTree::Absolute(const std::string& cwd, const std::string& path) {
  return base::CleanRootedPath(!path.empty() && path[0] == '/' ? path : cwd + "/" + path);
}

std::string FileTree::Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::optional<FileNode> FileTree::Stat(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::vector<std::string>> FileTree::List(const std::string& path) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end() || !it->second.dir) return std::nullopt;
  const std::string prefix = path == "/" ? "/" : path + "/";
  std::vector<std::string> names;
  for (auto c = nodes_.lower_bound(prefix); c != nodes_.end(); ++c) {
    if (c->first.compare(0, prefix.size(), prefix) != 0) break;
    std::string rest = c->first.substr(prefix.size());
    if (!rest.empty() && rest.find('/') == std::string::npos) names.push_back(rest);
  }
  return names;
}

std::string FileTree::CheckParentLocked(const std::string& path) const {
  auto parent = nodes_.find(Parent(path));
  if (parent == nodes_.end()) return kNoEntry;
  if (!parent->second.dir) return kNotDir;
  return "";
}

std::string FileTree::WriteFile(const std::string& path, const std::string& data, bool append,
                                TimePoint now, std::optional<uint32_t> mode) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(path);
  if (it != nodes_.end()) {
    if (it->second.dir) return kIsDir;
    if (append) {
      it->second.data += data;
    } else {
      it->second.data = data;
    }
    it->second.mtime = now;
    if (mode) it->second.mode = *mode;
    return "";
  }
  if (std::string err = CheckParentLocked(path); !err.empty()) return err;
  nodes_[path] = FileNode{false, data, mode.value_or(0644), now};
  return "";
}

std::string FileTree::MakeDir(const std::string& path, bool parents, TimePoint now,
                              std::optional<uint32_t> mode) {
  std::unique_lock lock(mu_);
  auto it = nodes_.find(path);
  if (it != nodes_.end()) {
    if (parents && it->second.dir) {
      if (mode) it->second.mode = *mode;
      return "";
    }
    return kExists;
  }
  std::string err = CheckParentLocked(path);
  if (err == kNoEntry && parents) {
    lock.unlock();
    err = MakeDir(Parent(path), true, now);
    lock.lock();
  }
  if (!err.empty()) return err;
  nodes_[path] = FileNode{true, "", mode.value_or(0755), now};
  return "";
}

std::string FileTree::Remove(const std::string& path, bool recursive) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return kNoEntry;
  if (path == "/") return "Device or resource busy";
  if (it->second.dir) {
    const std::string prefix = path + "/";
    if (!recursive) return kIsDir;
    auto child = nodes_.lower_bound(prefix);
    while (child != nodes_.end() && child->first.compare(0, prefix.size(), prefix) == 0) {
      child = nodes_.erase(child);
    }
  }
  nodes_.erase(path);
  return "";
}

std::string FileTree::Touch(const std::string& path, TimePoint when) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return kNoEntry;
  it->second.mtime = when;
  return "";
}

std::string FileTree::Chmod(const std::string& path, uint32_t mode) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(path);
  if (it == nodes_.end()) return kNoEntry;
  it->second.mode = mode & 07777;
  return "";
}

std::string FileTree::Rename(const std::string& from, const std::string& to) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(from);
  if (it == nodes_.end()) return kNoEntry;
  if (from == to) return "";
  if (from == "/" || to.compare(0, from.size() + 1, from + "/") == 0) return "Invalid argument";
  if (std::string err = CheckParentLocked(to); !err.empty()) return err;
  if (auto there = nodes_.find(to); there != nodes_.end()) {
    if (there->second.dir) return there->second.dir && !it->second.dir ? kIsDir : kExists;
    if (it->second.dir) return kNotDir;
  }
  std::vector<std::pair<std::string, FileNode>> moved;
  const std::string prefix = from + "/";
  for (auto c = nodes_.lower_bound(prefix);
       c != nodes_.end() && c->first.compare(0, prefix.size(), prefix) == 0;) {
    moved.emplace_back(to + c->first.substr(from.size()), std::move(c->second));
    c = nodes_.erase(c);
  }
  moved.emplace_back(to, std::move(it->second));
  nodes_.erase(from);
  for (auto& [path, node] : moved) nodes_[path] = std::move(node);
  return "";
}

std::shared_ptr<FileTree> FileTrees::For(const std::string& pod_uid, const std::string& container,
                                         const std::string& hostname,
                                         const std::string& working_dir, FileTree::TimePoint now) {
  std::lock_guard lock(mu_);
  auto& tree = trees_[{pod_uid, container}];
  if (!tree) tree = std::make_shared<FileTree>(hostname, working_dir, now);
  return tree;
}

namespace {
std::string UidOf(const json& pod) {
  return pod.value("/metadata/uid"_json_pointer, std::string());
}
}  // namespace

void FileTrees::Follow(Store& store) {
  auto pods = store.registry()->Find("", "v1", "pods");
  if (!pods) return;
  store.Observe(*pods, [this](const json* before, const json* after) {
    if (!before && !after) return Forget("");  // Store::Clear
    std::string gone = before ? UidOf(*before) : "";
    if (!gone.empty() && (!after || UidOf(*after) != gone)) Forget(gone);
  });
}

void FileTrees::Forget(const std::string& pod_uid) {
  std::lock_guard lock(mu_);
  if (pod_uid.empty()) return trees_.clear();
  trees_.erase(trees_.lower_bound({pod_uid, ""}), trees_.lower_bound({pod_uid + '\0', ""}));
}

}  // namespace kubedouble::fake
