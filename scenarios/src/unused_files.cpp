#include "unused_files.h"

#include <algorithm>
#include <filesystem>

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;

// True when `reader`'s content names `file`.
bool Names(const FileSpec& reader, const FileSpec& file) {
  if (&reader == &file || !reader.content) return false;
  const std::string& text = *reader.content;
  if (text.find("${WORK}/files/" + file.path) != std::string::npos) return true;
  std::string relative =
      fs::path(file.path).lexically_relative(fs::path(reader.path).parent_path()).string();
  return !relative.empty() && text.find(relative) != std::string::npos;
}

}  // namespace

std::vector<const FileSpec*> UnusedFiles(const Access& access) {
  std::vector<const FileSpec*> unused;
  for (const auto& file : access.files) {
    bool listed = std::find(access.kubeconfigs.begin(), access.kubeconfigs.end(), file.path) !=
                  access.kubeconfigs.end();
    bool named = std::any_of(access.files.begin(), access.files.end(),
                             [&](const FileSpec& reader) { return Names(reader, file); });
    if (!listed && !named) unused.push_back(&file);
  }
  return unused;
}

}  // namespace kubedouble::scenarios
