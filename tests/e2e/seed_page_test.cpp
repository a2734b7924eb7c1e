// The seed page (access-cluster-api), command for command, against a started server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;

TEST(SeedPage, KubectlConfigViewAndTokenFromTheDefaultSecretThenCurl) {
  fake::TestServer srv;
  std::string port = std::to_string(srv.port());
  auto r = Bash(KubectlEnv(srv.paths().kubeconfig) + R"(
set -e
APISERVER=$(kubectl config view | grep server | cut -f 2- -d ":" | tr -d " ")
echo "APISERVER=$APISERVER"
TOKEN=$(kubectl describe secret $(kubectl get secrets | grep default | cut -f1 -d ' ') | grep -E '^token' | cut -f2 -d':' | tr -d '\t')
echo "TOKEN_LENGTH=${#TOKEN}"
curl -sS $APISERVER/api --header "Authorization: Bearer $TOKEN" --insecure
echo
curl -sS $APISERVER/api --header "Authorization: Bearer $TOKEN" --cacert )" +
                srv.paths().ca_crt.string() + "\n");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("APISERVER=https://127.0.0.1:" + port + "\n"));
  EXPECT_THAT(r.output, ::testing::Not(HasSubstr("TOKEN_LENGTH=0\n")));
  // Indented, as kube-apiserver answers curl's user agent (and as the seed page shows it).
  std::string api = "\"serverAddress\": \"127.0.0.1:" + port + "\"";
  size_t first = r.output.find(api);
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_NE(r.output.find(api, first + 1), std::string::npos) << "the --cacert call\n" << r.output;
  EXPECT_THAT(r.output, HasSubstr("{\n  \"kind\": \"APIVersions\",\n"));
  // The token came from the legacy default-token secret and authenticated as the service account.
  auto sa = srv.journal().Find([](const auto& e) {
    return e.path == "/api" && e.user == "system:serviceaccount:default:default";
  });
  EXPECT_EQ(sa.size(), 2u);
}

TEST(SeedPage, KubectlProxyThenCurlApi) {
  fake::TestServer srv;
  auto r = Bash(KubectlEnv(srv.paths().kubeconfig) + R"(
kubectl proxy --port=0 > proxy.out 2>&1 &
PROXY=$!
for i in $(seq 1 100); do grep -q "Starting to serve" proxy.out 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's/.*127.0.0.1:\([0-9]*\).*/\1/p' proxy.out)
curl -sS http://localhost:$PORT/api/
echo
curl -sS http://localhost:$PORT/api/v1/namespaces/default/pods | head -c 40
kill $PROXY
)");
  // kubectl proxy passes curl's user agent on: indented JSON, as from kube-apiserver.
  EXPECT_THAT(r.output, HasSubstr(R"("kind": "APIVersions")")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"serverAddress\": \"127.0.0.1:" + std::to_string(srv.port())));
  EXPECT_THAT(r.output, HasSubstr("{\n  \"apiVersion\": \"v1\",\n  \"items\": [")) << r.output;
}

TEST(SeedPage, PythonLoadKubeConfigListsEveryFixturePod) {
  fake::TestServer srv;
  auto r = Bash("export KUBECONFIG=" + srv.paths().kubeconfig.string() + R"(
/usr/bin/python3 - <<'PY'
from kubernetes import client, config
config.load_kube_config()
v1=client.CoreV1Api()
print("Listing pods with their IPs:")
ret = v1.list_pod_for_all_namespaces(watch=False)
for i in ret.items:
    print("%s\t%s\t%s" % (i.status.pod_ip, i.metadata.namespace, i.metadata.name))
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Listing pods with their IPs:\n"));
  EXPECT_THAT(r.output, HasSubstr("10.244.1.12\tdefault\tnginx-7c5ddbdf54-2xq8k\n"));
  EXPECT_THAT(r.output, HasSubstr("10.244.0.2\tkube-system\tcoredns-668d6bf9bc-k7x2m\n"));
  EXPECT_THAT(r.output, HasSubstr("None\tdefault\tapi-6b9f7c4d8-pq2zr\n"));  // pending: no IP
}

}  // namespace
}  // namespace kubedouble::e2e
