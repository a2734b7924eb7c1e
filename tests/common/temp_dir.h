// A temporary folder for one test: made fresh (mode 0700) under the system's temp folder and
// removed with everything in it when the TempDir goes out of scope. The one temp dir of the
// tests (tests/common is the test toolkit).
//
//   kubedouble::test::TempDir tmp;
//   auto kubeconfig = tmp.Write("kube/config", "apiVersion: v1\n...");   // folders made
//   fake::TestServer srv({.policy = fake::LoadPolicyObjects(tmp / "policy.yaml")});
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace kubedouble::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kubedouble-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot make a temporary folder from " + pattern);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

  // Writes `content` to <dir>/<rel> (replacing it; parent folders made) and returns its path.
  std::filesystem::path Write(const std::string& rel, const std::string& content) const {
    auto p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kubedouble::test
