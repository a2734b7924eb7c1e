// A file's whole text for a test or benchmark that only looks: "" when the file is not there or
// cannot be read (a log not yet written, /proc of a process that has ended), never a throw.
//
//   std::string err = kubedouble::test::ReadFile(dir / "nginx.err");
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kubedouble::test {

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace kubedouble::test
