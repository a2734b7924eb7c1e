// `kubedouble certs ...` run as a user would: the built binary as a subprocess.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/temp_dir.h"
#include "kubedouble/certs/certs.h"
#include "run.h"

namespace fs = std::filesystem;
namespace kc = kubedouble::certs;
using kubedouble::test::Quote;
using kubedouble::test::RunCommand;
using kubedouble::test::RunResult;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

RunResult Kubedouble(const std::string& args) {
  return RunCommand(Quote(KUBEDOUBLE_BINARY) + " " + args);
}

class CertsCli : public ::testing::Test {
 protected:
  kubedouble::test::TempDir tmp_;
  std::string Dir(const std::string& name = "pki") { return (tmp_.path() / name).string(); }
  std::string Path(const std::string& name) { return Quote(Dir(name)); }
  void Init() {
    auto r = Kubedouble("certs init " + Path("pki"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
};

fs::perms Mode(const fs::path& p) { return fs::status(p).permissions() & fs::perms::mask; }

}  // namespace

TEST_F(CertsCli, InitWritesTheDocumentedFilesWithPrivateKeys0600) {
  auto r = Kubedouble("certs init " + Path("pki"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(kc::BundleExists(Dir()));
  for (const auto& name : kc::BundleFileNames()) {
    fs::path p = fs::path(Dir()) / name;
    if (p.extension() == ".key") {
      EXPECT_EQ(Mode(p), fs::perms::owner_read | fs::perms::owner_write) << p;
    }
  }
  EXPECT_EQ(Mode(Dir()), fs::perms::owner_all);
  auto bundle = kc::LoadBundle(Dir());
  EXPECT_TRUE(kc::Verify(bundle.server.cert, {bundle.ca.cert}, {.host = "kubernetes"}).ok());
}

TEST_F(CertsCli, InitWithKeyTypeAndExtraSans) {
  auto r = Kubedouble("certs init " + Path("pki") +
                      " --key-type rsa-2048 --san api.example.test --san 192.0.2.10");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto info = kc::Inspect(kc::LoadPair(Dir(), "server").cert);
  EXPECT_EQ(info.key_type, "rsa-2048");
  EXPECT_THAT(info.dns_names, ::testing::Contains("api.example.test"));
  EXPECT_THAT(info.ip_addresses, ::testing::Contains("192.0.2.10"));
}

TEST_F(CertsCli, InitRefusesAnExistingBundleWithoutForce) {
  Init();
  std::string before = kc::ReadFile(fs::path(Dir()) / "ca.crt");
  auto r = Kubedouble("certs init " + Path("pki"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr(Dir()));
  EXPECT_THAT(r.output, HasSubstr("--force"));
  EXPECT_EQ(kc::ReadFile(fs::path(Dir()) / "ca.crt"), before);
  r = Kubedouble("certs init --force " + Path("pki"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(kc::ReadFile(fs::path(Dir()) / "ca.crt"), before);
}

TEST_F(CertsCli, InitRejectsAnUnknownKeyType) {
  auto r = Kubedouble("certs init " + Path("pki") + " --key-type dsa-1024");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("dsa-1024"));
  EXPECT_THAT(r.output, HasSubstr("ecdsa-p256"));
  EXPECT_FALSE(fs::exists(Dir()));
}

TEST_F(CertsCli, InitRejectsAMalformedSan) {
  auto r = Kubedouble("certs init " + Path("pki") + " --san 'bad name!'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("bad name!"));
  EXPECT_FALSE(fs::exists(Dir()));
}

TEST_F(CertsCli, InitReportsAnUnwritableFolder) {
  // A regular file where a folder should be: no one, not even root, can create a folder in it.
  std::ofstream(Dir("blocker")) << "x";
  std::string target = Dir("blocker") + "/pki";
  auto r = Kubedouble("certs init " + Quote(target));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr(target));
  EXPECT_THAT(r.output, Not(HasSubstr("terminate")));
}

TEST_F(CertsCli, IssueServerAndClient) {
  Init();
  auto r = Kubedouble("certs issue server --ca-dir " + Path("pki") +
                      " --name web --san web.test --san 10.1.2.3 --out " + Path("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto ca = kc::LoadPair(Dir(), "ca");
  auto web = kc::LoadPair(Dir("out"), "web");
  EXPECT_TRUE(kc::Verify(web.cert, {ca.cert}, {.host = "10.1.2.3", .purpose = "server"}).ok());
  EXPECT_EQ(Mode(fs::path(Dir("out")) / "web.key"), fs::perms::owner_read | fs::perms::owner_write);

  r = Kubedouble("certs issue client --ca-dir " + Path("pki") +
                 " --name jane --user jane --group dev --group system:authenticated");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto info = kc::Inspect(kc::LoadPair(Dir(), "jane").cert);
  EXPECT_EQ(info.common_name, "jane");
  EXPECT_THAT(info.organizations, ::testing::ElementsAre("dev", "system:authenticated"));
}

TEST_F(CertsCli, IssueValidityChoices) {
  Init();
  std::string ca = " --ca-dir " + Path("pki");
  ASSERT_EQ(Kubedouble("certs issue client" + ca + " --name old --expired").exit_code, 0);
  ASSERT_EQ(Kubedouble("certs issue client" + ca + " --name early --not-yet-valid").exit_code, 0);
  ASSERT_EQ(Kubedouble("certs issue client" + ca + " --name short --days 2").exit_code, 0);
  auto roots = std::vector<kc::Certificate>{kc::LoadPair(Dir(), "ca").cert};
  EXPECT_EQ(kc::Verify(kc::LoadPair(Dir(), "old").cert, roots).status, kc::VerifyStatus::kExpired);
  EXPECT_EQ(kc::Verify(kc::LoadPair(Dir(), "early").cert, roots).status,
            kc::VerifyStatus::kNotYetValid);
  auto info = kc::Inspect(kc::LoadPair(Dir(), "short").cert);
  EXPECT_EQ(info.not_after - info.not_before, std::chrono::hours(49));

  auto r = Kubedouble("certs issue client" + ca + " --name both --days 3 --expired");
  EXPECT_EQ(r.exit_code, 2);
  r = Kubedouble("certs issue client" + ca + " --name old --expired");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("old.crt"));
}

TEST_F(CertsCli, IssueBadInput) {
  Init();
  std::string ca = " --ca-dir " + Path("pki");
  auto r = Kubedouble("certs issue server" + ca + " --name web");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("--san"));
  r = Kubedouble("certs issue server" + ca + " --name web --san under_score");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("under_score"));
  r = Kubedouble("certs issue robot" + ca + " --name web");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("robot"));
  r = Kubedouble("certs issue client --ca-dir " + Path("missing") + " --name x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(Dir("missing")));
  r = Kubedouble("certs issue client" + ca + " --name x --key-type rsa-1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("rsa-1"));
  // A folder without a CA in it.
  fs::create_directories(Dir("empty"));
  r = Kubedouble("certs issue client --ca-dir " + Path("empty") + " --name x");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("ca.crt"));
}

TEST_F(CertsCli, InspectShowsTheFieldsAndVerifies) {
  Init();
  auto r = Kubedouble("certs inspect " + Path("pki/server.crt") + " --ca " + Path("pki/ca.crt") +
                      " --host kubernetes.default.svc");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto info = kc::Inspect(kc::LoadPair(Dir(), "server").cert);
  EXPECT_THAT(r.output, HasSubstr("CN=kube-apiserver"));
  EXPECT_THAT(r.output, HasSubstr("CN=kubedouble-ca"));
  EXPECT_THAT(r.output, HasSubstr("kubernetes.default.svc.cluster.local"));
  EXPECT_THAT(r.output, HasSubstr("127.0.0.1, ::1"));
  EXPECT_THAT(r.output, HasSubstr("ecdsa-p256"));
  EXPECT_THAT(r.output, HasSubstr(info.sha256_fingerprint));
  EXPECT_THAT(r.output, HasSubstr("verify:       ok"));
}

TEST_F(CertsCli, InspectFingerprintMatchesOpenssl) {
  Init();
  auto ours = Kubedouble("certs inspect " + Path("pki/admin.crt"));
  auto theirs = RunCommand("openssl x509 -noout -fingerprint -sha256 -in " + Path("pki/admin.crt"));
  ASSERT_EQ(theirs.exit_code, 0);
  auto eq = theirs.output.find('=');
  ASSERT_NE(eq, std::string::npos);
  std::string fingerprint = theirs.output.substr(eq + 1, 95);
  EXPECT_THAT(ours.output, HasSubstr(fingerprint));
  EXPECT_THAT(ours.output, HasSubstr("CN=kubedouble-admin, O=system:masters"));
}

TEST_F(CertsCli, InspectSaysWhyAPitfallDoesNotVerify) {
  Init();
  struct Case {
    std::string file;
    std::string host;
    std::string reason;
  };
  for (const Case& c : {Case{"rogue-server", "localhost", "unknown_authority"},
                        Case{"expired-server", "localhost", "expired"},
                        Case{"not-yet-valid-server", "localhost", "not_yet_valid"},
                        Case{"wrong-host-server", "localhost", "hostname_mismatch"}}) {
    auto r = Kubedouble("certs inspect " + Path("pki/" + c.file + ".crt") + " --ca " +
                        Path("pki/ca.crt") + " --host " + c.host);
    EXPECT_EQ(r.exit_code, 1) << c.file;
    EXPECT_THAT(r.output, HasSubstr("FAILED")) << c.file;
    EXPECT_THAT(r.output, HasSubstr(c.reason)) << c.file;
  }
  auto r = Kubedouble("certs inspect " + Path("pki/wrong-host-server.crt") + " --ca " +
                      Path("pki/ca.crt") + " --host " + std::string(kc::kWrongHostName));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Kubedouble("certs inspect " + Path("pki/wrong-host-server.crt") + " --host localhost");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("hostname_mismatch"));
}

TEST_F(CertsCli, InspectBadInput) {
  Init();
  auto r = Kubedouble("certs inspect " + Path("pki/nothing.crt"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr(Dir("pki/nothing.crt")));
  r = Kubedouble("certs inspect " + Path("pki/sa.pub"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("sa.pub"));
  EXPECT_THAT(r.output, HasSubstr("not a PEM certificate"));
  r = Kubedouble("certs inspect " + Path("pki/server.crt") + " --ca " + Path("pki/ca.key"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("ca.key"));
}

TEST_F(CertsCli, HelpIsAvailableEverywhere) {
  for (std::string sub : {"certs", "certs init", "certs issue", "certs inspect"}) {
    auto r = Kubedouble(sub + " --help");
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_THAT(r.output, HasSubstr("Usage")) << sub;
  }
}
