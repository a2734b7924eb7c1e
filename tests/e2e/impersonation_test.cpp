// Impersonation with the real clients: kubectl --as/--as-group/--as-uid (auth whoami, auth
// can-i, get), the Python client's default headers and client-node's kubeconfig `as`. The
// impersonated identity is what the server authorizes and journals, the caller beside it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;

TEST(KubectlImpersonation, AsAsGroupAndAsUid) {
  fake::TestServer srv;
  std::string env = KubectlEnv(srv);
  auto r = Bash(env + "kubectl auth whoami --as=jane --as-group=devs --as-uid=u-1 -o json");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr(R"("username": "jane")"));
  EXPECT_THAT(r.output, HasSubstr(R"("uid": "u-1")"));
  EXPECT_THAT(r.output, HasSubstr("\"devs\""));

  // The issue's example: can-i as an unprivileged user answers no, and the request is refused.
  r = Bash(env + "kubectl auth can-i list pods --as=jane");
  EXPECT_EQ(r.output, "no\n");
  r = Bash(env + "kubectl get pods --as=jane");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("Error from server (Forbidden): pods is forbidden: User \"jane\" "
                                  "cannot list resource \"pods\" in API group \"\" in the "
                                  "namespace \"default\""));
  auto seen = srv.journal().Find([](const fake::JournalEntry& e) {
    return e.path == "/api/v1/namespaces/default/pods" && e.status == 403;
  });
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().user, "jane");
  EXPECT_EQ(seen.back().impersonator, "kubedouble-admin");

  // A group that holds the right makes the same user able to.
  r = Bash(env + "kubectl get pods --as=jane --as-group=system:masters -o name");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pod/"));
}

TEST(KubectlImpersonation, APlainUserIsRefused) {
  fake::TestServer srv;
  auto r = Bash(KubectlEnv(srv) + "kubectl --kubeconfig " + srv.paths().token_kubeconfig.string() +
                " --token " + srv.paths().user_token + " get pods --as=kubedouble-admin");
  EXPECT_NE(r.code, 0);
  // kubectl's discovery is refused first (impersonation is checked on every request), and its
  // discovery client shows the Status as "unknown", as it does against kube-apiserver.
  EXPECT_THAT(r.output, HasSubstr("Error from server (Forbidden)"));
  auto last = srv.journal().Entries().back();
  EXPECT_EQ(last.status, 403);
  EXPECT_EQ(last.user, "kubedouble-user");
  EXPECT_EQ(last.impersonator, "");
}

TEST(PythonImpersonation, DefaultHeaderOnTheApiClient) {
  fake::TestServer srv;
  auto r = Bash("export KUBECONFIG=" + srv.paths().token_kubeconfig.string() + R"(
/usr/bin/python3 - <<'PY'
from kubernetes import client, config
config.load_kube_config()
api = client.ApiClient()
api.set_default_header("Impersonate-User", "jane")
try:
    client.CoreV1Api(api).list_namespaced_pod("default")
except client.exceptions.ApiException as e:
    print("pods:", e.status, e.reason)
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pods: 403 Forbidden"));
  auto last = srv.journal().Entries().back();
  EXPECT_EQ(last.user, "jane");
  EXPECT_EQ(last.impersonator, "kubedouble-admin");
}

TEST(NodeImpersonation, TheKubeconfigUsersAs) {
  fake::TestServer srv;
  // The token kubeconfig with `as: jane` in its user, as client-node reads it.
  std::ifstream in(srv.paths().token_kubeconfig);
  std::stringstream text;
  text << in.rdbuf();
  std::string config = text.str();
  auto at = config.find("token: ");
  ASSERT_NE(at, std::string::npos);
  auto line = config.rfind('\n', at) + 1;
  config.insert(line, config.substr(line, at - line) + "as: jane\n");
  auto file = srv.paths().dir / "as-jane.yaml";
  std::ofstream(file) << config;
  auto r = Bash(std::string("node ") + KUBEDOUBLE_E2E_DIR + "/list_pods.mjs " +
                KUBEDOUBLE_CLIENT_NODE_DIR + " " + file.string());
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("403"));
  auto last = srv.journal().Entries().back();
  EXPECT_EQ(last.path, "/api/v1/pods");
  EXPECT_EQ(last.user, "jane");
  EXPECT_EQ(last.impersonator, "kubedouble-admin");
}

}  // namespace
}  // namespace kubedouble::e2e
