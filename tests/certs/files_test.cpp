// Files: the bundle on disk, modes, atomic writes, loading back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509.h>

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

// A loaded certificate is decoded and checked against its key when first used.
TEST(Files, MismatchedKeyIsRejectedOnFirstUse) {
  kubedouble::test::TempDir tmp;
  auto ca = kc::MakeCa();
  auto other = kc::MakeCa();
  kc::SavePair({ca.cert, other.key}, tmp.path(), "ca");
  auto pair = kc::LoadPair(tmp.path(), "ca");
  try {
    pair.cert.get();
    FAIL() << "a key that does not match was accepted";
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.key does not match the certificate"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.crt"));
  }
  EXPECT_THROW(pair.cert.get(), kc::Error);  // and on every later use
  EXPECT_THROW(kc::Inspect(pair.cert), kc::Error);
}

TEST(Files, LoadedCertificateDecodesLazilyAndKeepsItsPem) {
  kubedouble::test::TempDir tmp;
  auto ca = kc::MakeCa();
  kc::SavePair(ca, tmp.path(), "ca");
  auto pair = kc::LoadPair(tmp.path(), "ca");
  EXPECT_EQ(pair.cert.Pem(), ca.cert.Pem());  // re-encoded without decoding
  ASSERT_NE(pair.cert.get(), nullptr);
  EXPECT_EQ(X509_cmp(pair.cert.get(), ca.cert.get()), 0);
  EXPECT_EQ(pair.cert.Pem(), ca.cert.Pem());
}

TEST(Files, BrokenCertificateFilesAreErrorsNamingTheFile) {
  kubedouble::test::TempDir tmp;
  auto ca = kc::MakeCa();
  kc::SavePair(ca, tmp.path(), "ca");
  // Not PEM at all: an error when loading.
  kc::WriteFile(tmp.path() / "ca.crt", "garbage\n", k0600);
  try {
    kc::LoadPair(tmp.path(), "ca");
    FAIL();
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.crt"));
  }
  // PEM framing around bytes that are not X.509: an error when first used.
  kc::WriteFile(tmp.path() / "ca.crt",
                "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n",
                k0600);
  auto pair = kc::LoadPair(tmp.path(), "ca");
  try {
    pair.cert.get();
    FAIL();
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.crt: not a valid X.509 certificate"));
  }
}
