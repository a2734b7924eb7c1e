// Files: the bundle on disk, modes, atomic writes, loading back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sys/stat.h>

#include <filesystem>

#include "common/temp_dir.h"
#include "kubedouble/certs/certs.h"

namespace fs = std::filesystem;
namespace kc = kubedouble::certs;

namespace {

fs::perms Mode(const fs::path& p) { return fs::status(p).permissions() & fs::perms::mask; }

constexpr auto k0600 = fs::perms::owner_read | fs::perms::owner_write;

// `bytes` as a PEM block named `name`, made here: no key material sits in the source.
std::string PemOf(const char* name, std::string_view bytes) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio(bio.get(), name, "", reinterpret_cast<const unsigned char*>(bytes.data()),
                static_cast<long>(bytes.size()));
  char* text = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &text);
  return std::string(text, static_cast<size_t>(n));
}

// Ten bytes that are neither a certificate nor a key.
const std::string kNotDer("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 10);

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
  kc::WriteFile(tmp.path() / "ca.crt", PemOf(PEM_STRING_X509, kNotDer), k0600);
  auto pair = kc::LoadPair(tmp.path(), "ca");
  try {
    pair.cert.get();
    FAIL();
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.crt: not a valid X.509 certificate"));
  }
}

TEST(Files, LoadedKeyDecodesLazilyAndKeepsItsPem) {
  kubedouble::test::TempDir tmp;
  auto ca = kc::MakeCa();
  kc::SavePair(ca, tmp.path(), "ca");
  auto pair = kc::LoadPair(tmp.path(), "ca");
  EXPECT_EQ(pair.key.PrivatePem(), ca.key.PrivatePem());  // written back without decoding
  kc::Key copy = pair.key;                                // copies share the decoded key
  ASSERT_NE(pair.key.get(), nullptr);
  EXPECT_EQ(copy.get(), pair.key.get());
  EXPECT_EQ(EVP_PKEY_eq(pair.key.get(), ca.key.get()), 1);
  EXPECT_EQ(pair.key.type(), kc::KeyType::kEcdsaP256);
  EXPECT_EQ(pair.key.PublicPem(), ca.key.PublicPem());
  EXPECT_EQ(pair.key.PrivatePem(), ca.key.PrivatePem());
  // The pair works: the certificate is checked against the key, and verifies.
  EXPECT_TRUE(kc::Verify(kc::IssueServer(pair, {.sans = {"localhost"}}).cert, {pair.cert},
                         {.host = "localhost"})
                  .ok());
}

TEST(Files, DeferredKeysOfEveryFormAndType) {
  for (auto type : {kc::KeyType::kEcdsaP256, kc::KeyType::kRsa2048}) {
    auto key = kc::Key::Generate(type);
    auto deferred = kc::Key::FromPemDeferred(key.PrivatePem(), "k.key");
    EXPECT_EQ(deferred.type(), type);
    EXPECT_EQ(EVP_PKEY_eq(deferred.get(), key.get()), 1);
  }
  // Traditional EC form (SEC 1, minted here), after a certificate in the same file.
  auto ec = kc::Key::Generate();
  unsigned char* der = nullptr;
  int len = i2d_PrivateKey(ec.get(), &der);
  ASSERT_GT(len, 0);
  const std::string sec1 =
      PemOf(PEM_STRING_ECPRIVATEKEY, std::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  auto ca = kc::MakeCa();
  auto deferred = kc::Key::FromPemDeferred(ca.cert.Pem() + sec1, "both.pem");
  EXPECT_EQ(deferred.get(), deferred.get());
  ASSERT_NE(deferred.get(), nullptr);
  EXPECT_EQ(EVP_PKEY_eq(deferred.get(), ec.get()), 1);
  EXPECT_THAT(deferred.PrivatePem(),
              ::testing::HasSubstr(std::string("-----BEGIN ") + PEM_STRING_PKCS8INF + "-----"));
}

TEST(Files, BrokenKeyFilesAreErrorsNamingTheFile) {
  kubedouble::test::TempDir tmp;
  auto ca = kc::MakeCa();
  kc::SavePair(ca, tmp.path(), "ca");
  auto load_error = [&](const std::string& text) -> std::string {
    kc::WriteFile(tmp.path() / "ca.key", text, k0600);
    try {
      kc::LoadPair(tmp.path(), "ca");
    } catch (const kc::Error& e) {
      return e.what();
    }
    return "";
  };
  // Not PEM, a certificate only, a PKCS#8 block that is not PKCS#8: errors when loading.
  EXPECT_THAT(load_error("garbage\n"), ::testing::HasSubstr("ca.key"));
  EXPECT_THAT(load_error(ca.cert.Pem()), ::testing::HasSubstr("ca.key"));
  EXPECT_THAT(load_error(PemOf(PEM_STRING_PKCS8INF, kNotDer)), ::testing::HasSubstr("ca.key"));
  // A traditional block around bytes that are not a key: an error when first used, naming the
  // file, also through the certificate that is checked against it.
  EXPECT_EQ(load_error(PemOf(PEM_STRING_ECPRIVATEKEY, kNotDer)), "");
  auto pair = kc::LoadPair(tmp.path(), "ca");
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      pair.key.get();
      FAIL() << "a broken key was decoded";
    } catch (const kc::Error& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.key: not a valid private key"));
    }
  }
  try {
    pair.cert.get();
    FAIL() << "a certificate was accepted with a broken key";
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("ca.key"));
  }
}

TEST(Files, WriteFileIfChangedLeavesTheSameBytesAlone) {
  kubedouble::test::TempDir tmp;
  fs::path f = tmp.path() / "kubeconfig";
  auto inode = [&] {
    struct stat st {};
    EXPECT_EQ(::stat(f.c_str(), &st), 0);
    return st.st_ino;
  };
  EXPECT_FALSE(kc::FileHolds(f, "a", k0600));          // missing
  EXPECT_TRUE(kc::WriteFileIfChanged(f, "a", k0600));  // created
  EXPECT_TRUE(kc::FileHolds(f, "a", k0600));
  auto first = inode();
  EXPECT_FALSE(kc::WriteFileIfChanged(f, "a", k0600));  // the same: untouched
  EXPECT_EQ(inode(), first);
  EXPECT_TRUE(kc::WriteFileIfChanged(f, "b", k0600));  // other bytes: replaced
  EXPECT_EQ(kc::ReadFile(f), "b");
  fs::permissions(f, fs::perms::owner_all);
  EXPECT_FALSE(kc::FileHolds(f, "b", k0600));          // another mode
  EXPECT_TRUE(kc::WriteFileIfChanged(f, "b", k0600));  // ... is set right
  EXPECT_EQ(Mode(f), k0600);
  fs::path link = tmp.path() / "link";
  fs::create_symlink(f, link);
  EXPECT_FALSE(kc::FileHolds(link, "b", k0600));  // a symlink is replaced, not followed
  EXPECT_TRUE(kc::WriteFileIfChanged(link, "b", k0600));
  EXPECT_FALSE(fs::is_symlink(fs::symlink_status(link)));
  EXPECT_EQ(kc::ReadFile(f), "b");
}

// An encrypted key is refused with a message saying so, never a pass-phrase prompt.
TEST(Files, EncryptedKeyIsAClearErrorWithoutAPrompt) {
  auto key = kc::Key::Generate();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  char pass[] = "pass phrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_128_cbc(), pass,
                                          sizeof pass - 1, nullptr, nullptr),
            1);
  char* text = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &text);
  const std::string pem(text, static_cast<size_t>(n));
  try {
    kc::Key::FromPem(pem);
    FAIL() << "an encrypted key was read";
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("encrypted private key"));
  }
  auto deferred = kc::Key::FromPemDeferred(pem, "secret.key");
  try {
    deferred.get();
    FAIL() << "an encrypted key was decoded";
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("secret.key: an encrypted private key"));
  }
}
