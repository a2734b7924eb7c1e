// Static files for `kubectl proxy --www` (see static_files.h).
#include "static_files.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace kubedouble::access::detail {

namespace {

namespace fs = std::filesystem;

// Go's built-in table (mime.TypeByExtension) for what a page folder usually holds.
const char* TypeByExtension(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  struct Entry {
    const char* ext;
    const char* type;
  };
  static constexpr Entry kTypes[] = {
      {".css", "text/css; charset=utf-8"},
      {".gif", "image/gif"},
      {".htm", "text/html; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
      {".jpeg", "image/jpeg"},
      {".jpg", "image/jpeg"},
      {".js", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".pdf", "application/pdf"},
      {".png", "image/png"},
      {".svg", "image/svg+xml"},
      {".wasm", "application/wasm"},
      {".webp", "image/webp"},
      {".xml", "text/xml; charset=utf-8"},
  };
  for (const auto& e : kTypes)
    if (ext == e.ext) return e.type;
  return nullptr;
}

// Go sniffs what the extension does not say; text or not is what matters here.
const char* Sniff(const std::string& bytes) {
  const size_t n = std::min<size_t>(bytes.size(), 512);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)
      return "application/octet-stream";
  }
  return "text/plain; charset=utf-8";
}

}  // namespace

bool AnswerStaticFile(const std::string& root, const std::string& sub_path,
                      httplib::Response& res) {
  fs::path rel = fs::path(sub_path).relative_path();
  for (const auto& part : rel)
    if (part == "..") return false;
  fs::path file = fs::path(root) / rel;
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";
  if (!fs::is_regular_file(file, ec)) return false;
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const char* type = TypeByExtension(file.extension().string());
  if (type == nullptr) type = Sniff(bytes);
  res.status = 200;
  res.set_content(std::move(bytes), type);
  return true;
}

}  // namespace kubedouble::access::detail
