// @kubernetes/client-node 1.4 lists pods across namespaces with the token kubeconfig.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run.h"

namespace kubedouble::e2e {
namespace {

TEST(NodeClient, ListsPodsAcrossNamespacesWithTheTokenKubeconfig) {
  fake::TestServer srv;
  auto r = Bash(std::string("node ") + KUBEDOUBLE_E2E_DIR + "/list_pods.mjs " +
                KUBEDOUBLE_CLIENT_NODE_DIR + " " + srv.paths().token_kubeconfig.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("10.244.1.13\tdefault\tredis-0\n"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("\tkube-system\tetcd-kubedouble-control-plane\n"));
  auto seen = srv.journal().Find([](const auto& e) {
    return e.path == "/api/v1/pods" && e.auth_method == "token" && e.status == 200;
  });
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace kubedouble::e2e
