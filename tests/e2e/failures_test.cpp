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
  EXPECT_THAT(curl.output, HasSubstr(R"("code": 401)"));
}

TEST(Failures, AnonymousKubeconfigIs401UnlessAnonymousIsOn) {
  {
    fake::TestServer srv;
    auto r = Bash(KubectlEnv(srv.paths().anonymous_kubeconfig) + "kubectl get pods");
    EXPECT_NE(r.code, 0);
    EXPECT_THAT(r.output, HasSubstr("error: You must be logged in to the server ("));
    EXPECT_THAT(r.output, ::testing::Not(HasSubstr("Please enter Username")));
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

// anonymous.yaml carries no credentials, yet kubectl neither stops to ask for a user name (its
// stdin holds an answer it would read) nor refuses a --token given on top of it.
TEST(Failures, AnonymousKubeconfigNeitherPromptsNorConflictsWithToken) {
  fake::TestServer srv({.anonymous = true});
  std::string env = KubectlEnv(srv.paths().anonymous_kubeconfig);
  auto alone = Bash(env + "echo someone | kubectl get pods");
  EXPECT_THAT(alone.output, ::testing::Not(HasSubstr("Please enter Username")));
  EXPECT_THAT(alone.output, HasSubstr("User \"system:anonymous\" cannot list resource \"pods\""));
  auto token = Bash(env + "kubectl --token " + srv.paths().admin_token + " auth whoami");
  EXPECT_EQ(token.code, 0) << token.output;
  EXPECT_THAT(token.output, ::testing::Not(HasSubstr("more than one authentication method")));
  EXPECT_THAT(token.output, HasSubstr("kubedouble-admin"));
}

TEST(Failures, RogueServingCertificateIsUnknownAuthority) {
  fake::TestServer srv({.serve_cert = fake::ServeCert::kRogue});
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
    fake::TestServer srv({.serve_cert = fake::ServeCert::kExpired});
    auto r = Bash(KubectlEnv(srv.paths().token_kubeconfig) + "kubectl get pods");
    EXPECT_NE(r.code, 0);
    EXPECT_THAT(r.output, HasSubstr("x509: certificate has expired or is not yet valid"));
  }
  {
    fake::TestServer srv({.serve_cert = fake::ServeCert::kWrongHost});
    auto r = Bash(KubectlEnv(srv.paths().token_kubeconfig) + "kubectl get pods");
    EXPECT_NE(r.code, 0);
    EXPECT_THAT(r.output, HasSubstr("x509: "));
    EXPECT_THAT(r.output, HasSubstr("127.0.0.1"));
  }
}

// A field of the wrong type: kubectl turns `k: 1` of a YAML manifest into a JSON number and sends
// it (with --validate=false; its own validation needs the OpenAPI document kubedouble does not
// serve), and prints the server's 400 as it would a real cluster's. A patch that makes the same
// mistake is 422 ("The request is invalid"), and curl sees the same Status.
TEST(Failures, WrongFieldTypeIsRefusedAsKubeApiserverRefusesIt) {
  fake::TestServer srv;
  std::string env = KubectlEnv(srv.paths().token_kubeconfig);
  std::string dir = srv.paths().dir.string();
  auto create =
      Bash(env + "cd " + dir +
           " && printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: num\\n"
           "data:\\n  k: 1\\n' > num.yaml && kubectl create --validate=false -f num.yaml");
  EXPECT_NE(create.code, 0);
  EXPECT_THAT(create.output,
              HasSubstr("Error from server (BadRequest): error when creating \"num.yaml\": "
                        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: "
                        "cannot unmarshal number into Go struct field ConfigMap.data of type "
                        "string"));
  auto get = Bash(env + "kubectl get configmap num");
  EXPECT_THAT(get.output, HasSubstr("configmaps \"num\" not found"));

  auto curl =
      Bash("curl -sS --cacert " + srv.paths().ca_crt.string() + " -H 'Authorization: Bearer " +
           srv.paths().admin_token + "' -H 'Content-Type: application/json' -d " +
           "'{\"metadata\":{\"name\":\"num\"},\"data\":{\"k\":1}}' " + srv.url() +
           "/api/v1/namespaces/default/configmaps");
  EXPECT_THAT(curl.output, HasSubstr(R"("reason": "BadRequest")"));
  EXPECT_THAT(curl.output, HasSubstr(R"("code": 400)"));

  auto good =
      Bash(env + "cd " + dir +
           " && printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: str\\n"
           "data:\\n  k: \"1\"\\n' > str.yaml && kubectl create --validate=false -f str.yaml");
  ASSERT_EQ(good.code, 0) << good.output;
  auto patch = Bash(env + "kubectl patch configmap str -p '{\"data\":{\"k\":1}}'");
  EXPECT_NE(patch.code, 0);
  EXPECT_THAT(patch.output, HasSubstr("The request is invalid: patch: Invalid value: "
                                      "\"map[data:map[k:1]]\": cannot convert int64 to string"));
  auto still = Bash(env + "kubectl get configmap str -o jsonpath='{.data.k}'");
  EXPECT_EQ(still.output, "1");
}

}  // namespace
}  // namespace kubedouble::e2e
