// Verification reasons, validity windows, SANs and key types.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubedouble/certs/certs.h"

namespace kc = kubedouble::certs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

namespace {

const kc::Bundle& SharedBundle() {
  static const kc::Bundle bundle = kc::MintBundle();
  return bundle;
}

kc::Verification VerifyAgainstCa(const kc::KeyPair& pair, std::optional<std::string> host) {
  return kc::Verify(pair.cert, {SharedBundle().ca.cert}, {.host = std::move(host)});
}

}  // namespace

TEST(Verify, ServerVerifiesForEveryDefaultName) {
  for (const auto& name : kc::DefaultServerSans()) {
    auto v = VerifyAgainstCa(SharedBundle().server, name);
    EXPECT_TRUE(v.ok()) << name << ": " << v.message;
    EXPECT_EQ(v.status, kc::VerifyStatus::kOk);
  }
}

TEST(Verify, ServerFailsForANameItDoesNotCarry) {
  auto v = VerifyAgainstCa(SharedBundle().server, "example.com");
  EXPECT_EQ(v.status, kc::VerifyStatus::kHostnameMismatch);
  EXPECT_THAT(v.message, HasSubstr("mismatch"));
  EXPECT_EQ(VerifyAgainstCa(SharedBundle().server, "10.0.0.1").status,
            kc::VerifyStatus::kHostnameMismatch);
  EXPECT_EQ(VerifyAgainstCa(SharedBundle().server, "::2").status,
            kc::VerifyStatus::kHostnameMismatch);
}

TEST(Verify, RogueServerIsUnknownAuthority) {
  auto v = VerifyAgainstCa(SharedBundle().rogue_server, "localhost");
  EXPECT_EQ(v.status, kc::VerifyStatus::kUnknownAuthority);
  EXPECT_EQ(kc::VerifyStatusName(v.status), "unknown_authority");
  EXPECT_THAT(v.message, HasSubstr("issuer"));
  // The rogue CA looks the same by name, and vouches for its own server.
  EXPECT_EQ(kc::Inspect(SharedBundle().rogue_ca.cert).subject,
            kc::Inspect(SharedBundle().ca.cert).subject);
  EXPECT_TRUE(kc::Verify(SharedBundle().rogue_server.cert, {SharedBundle().rogue_ca.cert},
                         {.host = "localhost"})
                  .ok());
}

TEST(Verify, NoRootsMeansUnknownAuthority) {
  EXPECT_EQ(kc::Verify(SharedBundle().server.cert, {}).status, kc::VerifyStatus::kUnknownAuthority);
}

TEST(Verify, ExpiredAndNotYetValid) {
  auto expired = VerifyAgainstCa(SharedBundle().expired_server, "localhost");
  EXPECT_EQ(expired.status, kc::VerifyStatus::kExpired);
  EXPECT_EQ(expired.message, "certificate has expired");
  auto early = VerifyAgainstCa(SharedBundle().not_yet_valid_server, "localhost");
  EXPECT_EQ(early.status, kc::VerifyStatus::kNotYetValid);
  EXPECT_EQ(early.message, "certificate is not yet valid");
  EXPECT_EQ(VerifyAgainstCa(SharedBundle().expired_admin, std::nullopt).status,
            kc::VerifyStatus::kExpired);
}

TEST(Verify, TheTimeToVerifyAtCanBeChosen) {
  const auto& b = SharedBundle();
  auto three_days_ago = kc::Clock::now() - std::chrono::hours(72);
  auto in_two_days = kc::Clock::now() + std::chrono::hours(48);
  EXPECT_EQ(kc::Verify(b.server.cert, {b.ca.cert}, {.at = in_two_days}).status,
            kc::VerifyStatus::kOk);
  EXPECT_EQ(kc::Verify(b.not_yet_valid_server.cert, {b.ca.cert}, {.at = in_two_days}).status,
            kc::VerifyStatus::kOk);
  EXPECT_EQ(kc::Verify(b.server.cert, {b.ca.cert}, {.at = three_days_ago}).status,
            kc::VerifyStatus::kNotYetValid);
}

TEST(Verify, WrongHostFailsForLocalhostAndPassesForItsOwnName) {
  const auto& wrong = SharedBundle().wrong_host_server;
  EXPECT_EQ(VerifyAgainstCa(wrong, "localhost").status, kc::VerifyStatus::kHostnameMismatch);
  EXPECT_EQ(VerifyAgainstCa(wrong, "127.0.0.1").status, kc::VerifyStatus::kHostnameMismatch);
  EXPECT_TRUE(VerifyAgainstCa(wrong, std::string(kc::kWrongHostName)).ok());
  EXPECT_THAT(kc::Inspect(wrong.cert).dns_names, ElementsAre(std::string(kc::kWrongHostName)));
}

TEST(Verify, IpSansVerifyAsAddresses) {
  const auto& server = SharedBundle().server;
  EXPECT_THAT(kc::Inspect(server.cert).ip_addresses, ElementsAre("127.0.0.1", "::1"));
  EXPECT_TRUE(VerifyAgainstCa(server, "127.0.0.1").ok());
  EXPECT_TRUE(VerifyAgainstCa(server, "::1").ok());
  EXPECT_TRUE(VerifyAgainstCa(server, "[::1]").ok());
  EXPECT_TRUE(VerifyAgainstCa(server, "0:0:0:0:0:0:0:1").ok());
}

TEST(Verify, PurposeIsChecked) {
  const auto& b = SharedBundle();
  EXPECT_TRUE(kc::Verify(b.server.cert, {b.ca.cert}, {.purpose = "server"}).ok());
  EXPECT_FALSE(kc::Verify(b.server.cert, {b.ca.cert}, {.purpose = "client"}).ok());
  EXPECT_TRUE(kc::Verify(b.admin.cert, {b.ca.cert}, {.purpose = "client"}).ok());
  EXPECT_THROW(kc::Verify(b.admin.cert, {b.ca.cert}, {.purpose = "bogus"}), kc::Error);
}

TEST(Bundle, AdminIsKubedoubleAdminInSystemMasters) {
  auto info = kc::Inspect(SharedBundle().admin.cert);
  EXPECT_EQ(info.common_name, "kubedouble-admin");
  EXPECT_THAT(info.organizations, ElementsAre("system:masters"));
  EXPECT_THAT(info.extended_key_usage, ElementsAre("clientAuth"));
}

TEST(Bundle, ExtraSansAreAddedAndBadOnesRejected) {
  auto b = kc::MintBundle({.extra_sans = {"api.test", "192.0.2.7"}});
  auto info = kc::Inspect(b.server.cert);
  EXPECT_THAT(info.dns_names, ::testing::Contains("api.test"));
  EXPECT_THAT(info.ip_addresses, ElementsAre("127.0.0.1", "::1", "192.0.2.7"));
  EXPECT_TRUE(kc::Verify(b.server.cert, {b.ca.cert}, {.host = "192.0.2.7"}).ok());
  try {
    kc::MintBundle({.extra_sans = {"under_score"}});
    FAIL();
  } catch (const kc::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("under_score"));
  }
}

TEST(Bundle, SerialsAreRandomAndDistinct) {
  auto a = kc::Inspect(kc::MakeCa().cert).serial_hex;
  auto b = kc::Inspect(kc::MakeCa().cert).serial_hex;
  EXPECT_NE(a, b);
  EXPECT_GE(a.size(), 30u);  // about 128 bits
}

TEST(Inspect, FingerprintMatchesOpenSslFormat) {
  auto info = kc::Inspect(SharedBundle().server.cert);
  EXPECT_EQ(info.sha256_fingerprint.size(), 32u * 3 - 1);
  EXPECT_THAT(info.sha256_fingerprint, ::testing::MatchesRegex("([0-9A-F]{2}:){31}[0-9A-F]{2}"));
  auto window = info.not_after - info.not_before;
  EXPECT_GE(window, std::chrono::hours(24 * 365));
  EXPECT_LE(info.not_before, kc::Clock::now());
}

class RsaKeys : public ::testing::TestWithParam<kc::KeyType> {};

TEST_P(RsaKeys, WorkForCaServerAndClient) {
  kc::KeyType type = GetParam();
  auto ca = kc::MakeCa({.key_type = type});
  auto server = kc::IssueServer(ca, {.sans = {"localhost"}, .key_type = type});
  auto client = kc::IssueClient(ca, {.user = "u", .groups = {"g"}, .key_type = type});
  EXPECT_EQ(kc::Inspect(ca.cert).key_type, kc::KeyTypeName(type));
  EXPECT_EQ(server.key.type(), type);
  EXPECT_EQ(kc::Key::FromPem(client.key.PrivatePem()).type(), type);
  EXPECT_TRUE(kc::Verify(server.cert, {ca.cert}, {.host = "localhost"}).ok());
  EXPECT_TRUE(kc::Verify(client.cert, {ca.cert}, {.purpose = "client"}).ok());
}

INSTANTIATE_TEST_SUITE_P(Certs, RsaKeys,
                         ::testing::Values(kc::KeyType::kRsa2048, kc::KeyType::kRsa3072,
                                           kc::KeyType::kRsa4096),
                         [](const auto& info) {
                           std::string name = kc::KeyTypeName(info.param);
                           name.erase(name.find('-'), 1);
                           return name;
                         });

TEST(Bundle, Rsa2048BundleVerifies) {
  auto b = kc::MintBundle({.key_type = kc::KeyType::kRsa2048});
  EXPECT_EQ(kc::Inspect(b.server.cert).key_type, "rsa-2048");
  EXPECT_EQ(b.service_account.type(), kc::KeyType::kRsa2048);
  EXPECT_TRUE(kc::Verify(b.server.cert, {b.ca.cert}, {.host = "localhost"}).ok());
  EXPECT_EQ(kc::Verify(b.rogue_server.cert, {b.ca.cert}).status,
            kc::VerifyStatus::kUnknownAuthority);
}
