// Files: the bundle on disk, modes, atomic writes, loading back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "kubedouble/certs/certs.h"
#include "temp_dir.h"

namespace fs = std::filesystem;
namespace kc = kubedouble::certs;

namespace {

fs::perms Mode(const fs::path& p) { return fs::status(p).permissions() & fs::perms::mask; }

constexpr auto k0600 = fs::perms::owner_read | fs::perms::owner_write;

}  // namespace

TEST(Files, BundleKeysAre0600AndFolderIs0700) {
  kubedouble::test::TempDir tmp;
  fs::path dir = tmp.path() / "pki";
  kc::SaveBundle(kc::MintBundle(), dir);
  EXPECT_EQ(Mode(dir), fs::perms::owner_all);
  EXPECT_TRUE(kc::BundleExists(dir));
  int keys = 0;
  for (const auto& name : kc::BundleFileNames()) {
    fs::path p = dir / name;
    ASSERT_TRUE(fs::is_regular_file(p)) << p;
    if (p.extension() == ".key") {
      ++keys;
      EXPECT_EQ(Mode(p), k0600) << p;
    } else {
      EXPECT_EQ(Mode(p) & (fs::perms::group_write | fs::perms::others_write), fs::perms::none) << p;
    }
  }
  EXPECT_EQ(keys, 10);  // nine pairs and the service-account key
  // No temporary files are left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()),
            static_cast<long>(kc::BundleFileNames().size()));
}

TEST(Files, BundleLoadsBackAndStillVerifies) {
  kubedouble::test::TempDir tmp;
  auto minted = kc::MintBundle({.extra_sans = {"api.example.test"}});
  kc::SaveBundle(minted, tmp.path());
  auto loaded = kc::LoadBundle(tmp.path());
  EXPECT_EQ(loaded.server.cert.Pem(), minted.server.cert.Pem());
  EXPECT_EQ(loaded.service_account.PublicPem(), minted.service_account.PublicPem());
  EXPECT_TRUE(kc::Verify(loaded.server.cert, {loaded.ca.cert}, {.host = "api.example.test"}).ok());
}

TEST(Files, KeyFileIs0600EvenWithAPermissiveUmask) {
  kubedouble::test::TempDir tmp;
  mode_t old = ::umask(0);
  kc::WriteFile(tmp.path() / "x.key", "secret", k0600);
  ::umask(old);
  EXPECT_EQ(Mode(tmp.path() / "x.key"), k0600);
  EXPECT_EQ(kc::ReadFile(tmp.path() / "x.key"), "secret");
}

TEST(Files, ErrorsNameThePath) {
  try {
    kc::WriteFile("/nonexistent-folder/x.key", "x", k0600);
    FAIL();
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/nonexistent-folder/x.key"));
  }
  try {
    kc::LoadPair("/nonexistent-folder", "ca");
    FAIL();
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/nonexistent-folder/ca.crt"));
  }
}

TEST(Files, MismatchedKeyIsRejected) {
  kubedouble::test::TempDir tmp;
  auto ca = kc::MakeCa();
  auto other = kc::MakeCa();
  kc::SavePair({ca.cert, other.key}, tmp.path(), "ca");
  EXPECT_THROW(kc::LoadPair(tmp.path(), "ca"), kc::Error);
}
