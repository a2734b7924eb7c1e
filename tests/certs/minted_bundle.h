// A test fixture whose suite shares one minted PKI bundle (certs::MintBundle: the CA, server,
// client, expired, wrong-name and rogue pairs), saved once per suite in a temporary folder:
// minting takes longer than most of the tests that read it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/temp_dir.h"
#include "kubedouble/certs/certs.h"

namespace kubedouble::test {

class MintedBundleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    certs::SaveBundle(certs::MintBundle(), dir_->path());
  }
  static void TearDownTestSuite() { dir_.reset(); }
  // The bundle's folder, and a file in it ("ca.crt", "server.key", ...).
  static const std::filesystem::path& Dir() { return dir_->path(); }
  static std::filesystem::path File(const std::string& name) { return dir_->path() / name; }

 private:
  static inline std::unique_ptr<TempDir> dir_;
};

}  // namespace kubedouble::test
