// The kubedouble client commands as a user runs them: output, kubectl's messages, exit codes
// (0, 1 for API or connection errors, 2 for usage or configuration errors).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "kubedouble/fakeserver/server.h"
#include "process.h"
#include "temp_dir.h"

namespace kubedouble::access {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Outcome Kubedouble(const std::string& args, const std::string& env = "") {
  std::string cmd = env + " " + KUBEDOUBLE_BINARY + " " + args + " 2>&1";
  Outcome r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new fake::TestServer(fake::ServerOptions{}); }
  static void TearDownTestSuite() { delete server_; }
  static std::string Kc(const std::filesystem::path& p) { return " --kubeconfig " + p.string(); }
  static fake::TestServer* server_;
};
fake::TestServer* Cli::server_ = nullptr;

TEST_F(Cli, GetRaw) {
  Outcome r = Kubedouble("get --raw /api" + Kc(server_->paths().kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"kind\":\"APIVersions\""));
}

TEST_F(Cli, GetPodsAllNamespacesAndFormats) {
  Outcome r = Kubedouble("get pods -A" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::StartsWith("NAMESPACE"));
  EXPECT_THAT(r.out, HasSubstr("READY"));
  Outcome j = Kubedouble("get namespaces -o json" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(j.code, 0);
  EXPECT_THAT(j.out, HasSubstr("\"kind\": \"NamespaceList\""));
  Outcome y =
      Kubedouble("get serviceaccounts -n default -o yaml" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(y.code, 0);
  EXPECT_THAT(y.out, HasSubstr("kind: ServiceAccountList"));
  Outcome w = Kubedouble("get pods -o wide" + Kc(server_->paths().token_kubeconfig));
  EXPECT_THAT(w.out, HasSubstr("NOMINATED NODE"));
}

TEST_F(Cli, WhoamiAndCreateToken) {
  Outcome r = Kubedouble("whoami" + Kc(server_->paths().mtls_kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("kubedouble-admin"));
  Outcome t = Kubedouble("create-token default -n default" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_THAT(t.out, ::testing::StartsWith("eyJ"));
}

TEST_F(Cli, ExplicitFlagsAndInCluster) {
  Outcome r = Kubedouble("get --raw /version --server " + server_->url() + " --token " +
                         server_->paths().admin_token + " --certificate-authority " +
                         server_->paths().ca_crt.string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::string env =
      "$(cat " + server_->paths().incluster_env.string() + " | sed 's/^export //' | tr '\\n' ' ')";
  Outcome ic = Kubedouble(
      "whoami --in-cluster --serviceaccount-dir " + server_->paths().serviceaccount_dir.string(),
      "env " + env);
  EXPECT_EQ(ic.code, 0) << ic.out;
  EXPECT_THAT(ic.out, HasSubstr("system:serviceaccount:default:default"));
}

TEST_F(Cli, ErrorsAndExitCodes) {
  Outcome nf = Kubedouble("get pods no-such-pod" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(nf.code, 1);
  EXPECT_THAT(nf.out, HasSubstr("Error from server (NotFound): pods \"no-such-pod\" not found"));
  Outcome unauth =
      Kubedouble("get --raw /api --server " + server_->url() +
                 " --token bad --certificate-authority " + server_->paths().ca_crt.string());
  EXPECT_EQ(unauth.code, 1);
  EXPECT_THAT(unauth.out, HasSubstr("error: You must be logged in to the server (Unauthorized)"));
  Outcome untrusted = Kubedouble("get --raw /api --server " + server_->url() + " --token x");
  EXPECT_EQ(untrusted.code, 1);
  EXPECT_THAT(untrusted.out,
              HasSubstr("Unable to connect to the server: tls: failed to verify certificate: x509: "
                        "certificate signed by unknown authority"));
  Outcome missing = Kubedouble("get pods --kubeconfig /nonexistent/kubeconfig");
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.out,
              HasSubstr("error: stat /nonexistent/kubeconfig: no such file or directory"));
  Outcome insecure_ca = Kubedouble("get --raw /api --server " + server_->url() +
                                   " --insecure-skip-tls-verify --certificate-authority " +
                                   server_->paths().ca_crt.string());
  EXPECT_EQ(insecure_ca.code, 2);
  EXPECT_THAT(
      insecure_ca.out,
      HasSubstr("specifying a root certificates file with the insecure flag is not allowed"));
  Outcome usage = Kubedouble("get" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(usage.code, 2);
  Outcome unknown = Kubedouble("get deployments" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(unknown.code, 2);
  Outcome refused = Kubedouble("get --raw /api --server http://127.0.0.1:1");
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.out, HasSubstr("The connection to the server 127.0.0.1:1 was refused - did "
                                     "you specify the right host or port?"));
}

TEST_F(Cli, ProxyReadyLineAndSeedPageCurl) {
  testing::Process proxy({KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig",
                          server_->paths().token_kubeconfig.string()});
  std::string line = proxy.ReadLine();
  ASSERT_THAT(line, ::testing::StartsWith("Starting to serve on 127.0.0.1:"));
  std::string port = line.substr(line.rfind(':') + 1);
  // The seed page: curl http://localhost:8080/api/ through the proxy, and kubedouble itself.
  Outcome r = Kubedouble("get --raw /api --server http://127.0.0.1:" + port);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("APIVersions"));
  Outcome curl{};
  FILE* p = popen(("curl -s http://localhost:" + port + "/api/").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) curl.out.append(buf, n);
  pclose(p);
  EXPECT_THAT(curl.out, HasSubstr("APIVersions"));
}

TEST_F(Cli, ProxyDisableFilterWarns) {
  Outcome r = Kubedouble("proxy --port=0 --disable-filter --kubeconfig /nonexistent");
  EXPECT_EQ(r.code, 2);  // the configuration error comes first
  Outcome usage = Kubedouble("proxy --unix-socket /tmp/x --kubeconfig " +
                             server_->paths().token_kubeconfig.string());
  EXPECT_EQ(usage.code, 2);
}

}  // namespace
}  // namespace kubedouble::access
