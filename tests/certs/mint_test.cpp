// Minting: what the kit produces and how it verifies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kubedouble/certs/certs.h"

namespace kc = kubedouble::certs;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

TEST(KeyType, ParsesTheDocumentedNames) {
  EXPECT_EQ(kc::ParseKeyType("ecdsa-p256"), kc::KeyType::kEcdsaP256);
  EXPECT_EQ(kc::ParseKeyType("rsa-2048"), kc::KeyType::kRsa2048);
  EXPECT_EQ(kc::ParseKeyType("rsa-4096"), kc::KeyType::kRsa4096);
  EXPECT_EQ(kc::ParseKeyType("dsa"), std::nullopt);
  for (const auto& name : kc::KeyTypeNames()) {
    EXPECT_EQ(kc::KeyTypeName(*kc::ParseKeyType(name)), name);
  }
}

TEST(Key, RoundTripsThroughPem) {
  auto key = kc::Key::Generate();
  auto again = kc::Key::FromPem(key.PrivatePem());
  EXPECT_EQ(again.type(), kc::KeyType::kEcdsaP256);
  EXPECT_EQ(again.PublicPem(), key.PublicPem());
  EXPECT_THAT(key.PrivatePem(), ::testing::StartsWith("-----BEGIN "
                                                      "PRIVATE KEY-----"));
}

// P-256 keys are written through a legacy view of the key (key.cpp): the text must be exactly
// what OpenSSL's general encoders write for the same key, read back by OpenSSL's general decoder.
TEST(Key, WritesTheSamePemAsOpenSslsEncoders) {
  auto key = kc::Key::Generate();
  auto general = [&](bool private_key) {
    // A provider-backed copy of the key, written by the OSSL_ENCODER path.
    std::string pem = key.PrivatePem();
    BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* provided = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
    BIO_free(in);
    BIO* out = BIO_new(BIO_s_mem());
    if (private_key) {
      PEM_write_bio_PrivateKey(out, provided, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
      PEM_write_bio_PUBKEY(out, provided);
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(out, &data);
    std::string text(data, static_cast<size_t>(len));
    BIO_free(out);
    EVP_PKEY_free(provided);
    return text;
  };
  EXPECT_EQ(key.PrivatePem(), general(true));
  EXPECT_EQ(key.PublicPem(), general(false));
  EXPECT_THAT(key.PublicPem(), ::testing::StartsWith("-----BEGIN PUBLIC KEY-----"));
  // And a key read from text writes the same text again.
  EXPECT_EQ(kc::Key::FromPem(key.PrivatePem()).PrivatePem(), key.PrivatePem());
}

TEST(Key, RejectsTextThatIsNotAKey) { EXPECT_THROW(kc::Key::FromPem("hello"), kc::Error); }

TEST(Ca, IsACaWithKeyIdentifiers) {
  auto ca = kc::MakeCa();
  auto info = kc::Inspect(ca.cert);
  EXPECT_TRUE(info.is_ca);
  EXPECT_EQ(info.subject, "CN=kubedouble-ca");
  EXPECT_EQ(info.issuer, "CN=kubedouble-ca");
  EXPECT_EQ(info.key_type, "ecdsa-p256");
  EXPECT_EQ(kc::Verify(ca.cert, {ca.cert}).status, kc::VerifyStatus::kOk);
}

TEST(Server, CarriesDnsAndIpSansAndVerifies) {
  auto ca = kc::MakeCa();
  auto server = kc::IssueServer(ca, {.sans = {"localhost", "127.0.0.1", "[::1]"}});
  auto info = kc::Inspect(server.cert);
  EXPECT_THAT(info.dns_names, ElementsAre("localhost"));
  EXPECT_THAT(info.ip_addresses, ElementsAre("127.0.0.1", "::1"));
  EXPECT_THAT(info.extended_key_usage, ElementsAre("serverAuth"));
  EXPECT_FALSE(info.is_ca);
  for (std::string host : {"localhost", "127.0.0.1", "::1", "[::1]"}) {
    auto v = kc::Verify(server.cert, {ca.cert}, {.host = host, .purpose = "server"});
    EXPECT_TRUE(v.ok()) << host << ": " << v.message;
  }
}

TEST(Client, HasUserAsCnAndOneOPerGroup) {
  auto ca = kc::MakeCa();
  auto client = kc::IssueClient(ca, {.user = "jane", .groups = {"dev", "system:authenticated"}});
  auto info = kc::Inspect(client.cert);
  EXPECT_EQ(info.common_name, "jane");
  EXPECT_THAT(info.organizations, ElementsAre("dev", "system:authenticated"));
  EXPECT_EQ(info.subject, "CN=jane, O=dev, O=system:authenticated");
  EXPECT_THAT(info.extended_key_usage, ElementsAre("clientAuth"));
  EXPECT_TRUE(kc::Verify(client.cert, {ca.cert}, {.purpose = "client"}).ok());
  EXPECT_FALSE(kc::Verify(client.cert, {ca.cert}, {.purpose = "server"}).ok());
}

TEST(Bundle, PitfallsFailWithTheRightReason) {
  auto b = kc::MintBundle();
  std::vector<kc::Certificate> roots{b.ca.cert};
  EXPECT_TRUE(kc::Verify(b.server.cert, roots, {.host = "localhost"}).ok());
  EXPECT_EQ(kc::Verify(b.rogue_server.cert, roots, {.host = "localhost"}).status,
            kc::VerifyStatus::kUnknownAuthority);
  EXPECT_EQ(kc::Verify(b.expired_server.cert, roots, {.host = "localhost"}).status,
            kc::VerifyStatus::kExpired);
  EXPECT_EQ(kc::Verify(b.not_yet_valid_server.cert, roots, {.host = "localhost"}).status,
            kc::VerifyStatus::kNotYetValid);
  EXPECT_EQ(kc::Verify(b.wrong_host_server.cert, roots, {.host = "localhost"}).status,
            kc::VerifyStatus::kHostnameMismatch);
  EXPECT_TRUE(
      kc::Verify(b.wrong_host_server.cert, roots, {.host = std::string(kc::kWrongHostName)}).ok());
}

TEST(San, AcceptsNamesAndAddressesOnly) {
  EXPECT_TRUE(kc::IsValidSan("kubernetes.default.svc"));
  EXPECT_TRUE(kc::IsValidSan("*.example.com"));
  EXPECT_TRUE(kc::IsValidSan("::1"));
  EXPECT_TRUE(kc::IsValidSan("[::1]"));
  EXPECT_FALSE(kc::IsValidSan(""));
  EXPECT_FALSE(kc::IsValidSan("bad name"));
  EXPECT_FALSE(kc::IsValidSan("-x.example"));
  EXPECT_FALSE(kc::IsValidSan("a..b"));
  auto ca = kc::MakeCa();
  try {
    kc::IssueServer(ca, {.sans = {"not valid!"}});
    FAIL() << "expected an error";
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("not valid!"));
  }
}

// The certificate carries exactly the public half of its key, for every key type.
TEST(Certificate, PublicKeyMatchesItsKey) {
  for (auto type : {kc::KeyType::kEcdsaP256, kc::KeyType::kRsa2048}) {
    auto ca = kc::MakeCa({.key_type = type});
    auto server = kc::IssueServer(ca, {.sans = {"localhost"}, .key_type = type});
    for (const kc::KeyPair* pair : {&ca, &server}) {
      // Re-parse the PEM so the key comes from the encoded certificate, not a cache.
      auto parsed = kc::Certificate::FromPem(pair->cert.Pem());
      BIO* bio = BIO_new(BIO_s_mem());
      ASSERT_EQ(PEM_write_bio_PUBKEY(bio, X509_get0_pubkey(parsed.get())), 1);
      char* data = nullptr;
      long len = BIO_get_mem_data(bio, &data);
      std::string pem(data, static_cast<size_t>(len));
      BIO_free(bio);
      EXPECT_EQ(pem, pair->key.PublicPem()) << kc::KeyTypeName(type);
      EXPECT_EQ(X509_check_private_key(parsed.get(), pair->key.get()), 1);
    }
  }
}
