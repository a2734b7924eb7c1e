// The real `openssl verify` command agrees with the kit's own verification.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubedouble/certs/certs.h"
#include "minted_bundle.h"
#include "run.h"

namespace kc = kubedouble::certs;
using kubedouble::test::Quote;
using kubedouble::test::RunCommand;
using ::testing::HasSubstr;

namespace {

class OpensslVerify : public kubedouble::test::MintedBundleTest {
 protected:
  // `openssl verify` of <name>.crt against ca.crt, with extra flags.
  static kubedouble::test::RunResult Verify(const std::string& name, const std::string& flags = "",
                                            const std::string& ca = "ca") {
    auto path = [](const std::string& n) { return Quote((Dir() / (n + ".crt")).string()); };
    return RunCommand("openssl verify -CAfile " + path(ca) + " " + flags + " " + path(name));
  }
};

}  // namespace

TEST_F(OpensslVerify, AcceptsTheServerAndAdminCertificates) {
  auto r = Verify("server", "-purpose sslserver -verify_hostname kubernetes.default.svc");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(": OK"));
  r = Verify("server", "-verify_ip ::1");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = Verify("admin", "-purpose sslclient");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(OpensslVerify, RejectsTheRogueServer) {
  auto r = Verify("rogue-server");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("unable to get local issuer certificate"));
  // ...which the rogue CA itself vouches for.
  r = Verify("rogue-server", "", "rogue-ca");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(OpensslVerify, RejectsTheExpiredAndNotYetValidServers) {
  auto r = Verify("expired-server");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("certificate has expired"));
  r = Verify("not-yet-valid-server");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("certificate is not yet valid"));
  r = Verify("expired-admin");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("certificate has expired"));
}

TEST_F(OpensslVerify, RejectsTheWrongHostForLocalhostOnly) {
  auto r = Verify("wrong-host-server", "-verify_hostname localhost");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("hostname mismatch"));
  r = Verify("wrong-host-server", "-verify_hostname " + std::string(kc::kWrongHostName));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(OpensslVerify, AgreesWithTheKitOnEveryBundleCertificate) {
  auto bundle = kc::LoadBundle(Dir());
  struct Case {
    std::string name;
    const kc::KeyPair& pair;
  };
  for (const Case& c :
       {Case{"server", bundle.server}, Case{"admin", bundle.admin},
        Case{"rogue-server", bundle.rogue_server}, Case{"expired-server", bundle.expired_server},
        Case{"not-yet-valid-server", bundle.not_yet_valid_server},
        Case{"wrong-host-server", bundle.wrong_host_server},
        Case{"expired-admin", bundle.expired_admin}}) {
    bool kit = kc::Verify(c.pair.cert, {bundle.ca.cert}).ok();
    bool openssl = Verify(c.name).exit_code == 0;
    EXPECT_EQ(kit, openssl) << c.name;
  }
}
