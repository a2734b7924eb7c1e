// The failure paths, as the real clients report them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;

TEST(Failures, BadTokenIsKubectlsUnauthorized) {
  fake::TestServer srv;
  auto r =
      Bash(KubectlEnv(srv.paths().token_kubeconfig) + "kubectl --token=not-a-real-token get pods");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("error: You must be logged in to the server ("));
  auto curl = Bash("curl -sS --cacert " + srv.paths().ca_crt.string() +
                   " -H 'Authorization: Bearer nope' " + srv.url() + "/api/v1/pods");
  EXPECT_THAT(curl.output, HasSubstr(R"("code":401)"));
}

TEST(Failures, AnonymousKubeconfigIs401UnlessAnonymousIsOn) {
  {
    fake::TestServer srv;
    auto r = Bash(KubectlEnv(srv.paths().anonymous_kubeconfig) + "kubectl get pods");
    EXPECT_NE(r.code, 0);
    // anonymous.yaml names a user without a password (so kubectl does not stop to prompt); a
    // basic-auth answer of 401 reads "the server has asked for the client to provide credentials".
    EXPECT_THAT(r.output, HasSubstr("error: You must be logged in to the server ("));
    EXPECT_THAT(r.output, HasSubstr("provide credentials"));
  }
  {
    fake::TestServer srv({.anonymous = true});
    std::string env = KubectlEnv(srv.paths().anonymous_kubeconfig);
    auto version = Bash(env + "kubectl version");
    EXPECT_EQ(version.code, 0) << version.output;
    auto pods = Bash(env + "kubectl get pods");
    EXPECT_THAT(pods.output,
                HasSubstr("Error from server (Forbidden): pods is forbidden: User "
                          "\"system:anonymous\" cannot list resource \"pods\" in API group \"\" "
                          "in the namespace \"default\""));
  }
}

TEST(Failures, RogueServingCertificateIsUnknownAuthority) {
  fake::TestServer srv({.serve_cert = "rogue"});
  auto r = Bash(KubectlEnv(srv.paths().token_kubeconfig) + "kubectl get pods");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("x509: certificate signed by unknown authority"));
  auto curl = Bash("curl -sS --cacert " + srv.paths().ca_crt.string() + " " + srv.url() + "/api");
  EXPECT_NE(curl.code, 0);
  EXPECT_THAT(curl.output, HasSubstr("SSL certificate problem"));
  // --insecure does not notice: exactly the seed page's warning.
  auto insecure = Bash(KubectlEnv(srv.paths().insecure_kubeconfig) + "kubectl get pods");
  EXPECT_EQ(insecure.code, 0) << insecure.output;
}

TEST(Failures, ExpiredAndWrongHostServingCertificates) {
  {
    fake::TestServer srv({.serve_cert = "expired"});
    auto r = Bash(KubectlEnv(srv.paths().token_kubeconfig) + "kubectl get pods");
    EXPECT_NE(r.code, 0);
    EXPECT_THAT(r.output, HasSubstr("x509: certificate has expired or is not yet valid"));
  }
  {
    fake::TestServer srv({.serve_cert = "wrong-host"});
    auto r = Bash(KubectlEnv(srv.paths().token_kubeconfig) + "kubectl get pods");
    EXPECT_NE(r.code, 0);
    EXPECT_THAT(r.output, HasSubstr("x509: "));
    EXPECT_THAT(r.output, HasSubstr("127.0.0.1"));
  }
}

}  // namespace
}  // namespace kubedouble::e2e
