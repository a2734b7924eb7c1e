#include "repo_path.h"

#include <filesystem>

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;

// `path` relative to `base` when it lies under it; "" otherwise.
std::string Under(const fs::path& path, const fs::path& base) {
  fs::path rel = path.lexically_relative(base);
  if (rel.empty() || *rel.begin() == "..") return "";
  return rel.string();
}

}  // namespace

std::string RepoRelativePath(const std::string& file) {
  if (file.empty()) return file;
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(file, ec), ec);
  if (ec) return file;
  for (fs::path dir = abs.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / ".git", ec)) return Under(abs, dir).empty() ? file : Under(abs, dir);
    if (dir == dir.root_path()) break;
  }
  fs::path cwd = fs::current_path(ec);
  if (!ec)
    if (std::string rel = Under(abs, fs::weakly_canonical(cwd, ec)); !rel.empty()) return rel;
  return abs.string();
}

}  // namespace kubedouble::scenarios
