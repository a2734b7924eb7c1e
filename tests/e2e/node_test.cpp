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

TEST(NodeClient, ReadsAPodLog) {
  fake::TestServer srv;
  auto r = Bash(std::string("node ") + KUBEDOUBLE_E2E_DIR + "/pod_log.mjs " +
                KUBEDOUBLE_CLIENT_NODE_DIR + " " + srv.paths().token_kubeconfig.string() +
                " default nginx-7c5ddbdf54-2xq8k");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("log: Started nginx (image nginx:1.27)\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex(
                            "tail: 20[0-9-]+T[0-9:]+\\.000000000Z Started nginx \\(image "));
  EXPECT_THAT(r.output, ::testing::HasSubstr("previous: 400 previous terminated container "
                                             "\"nginx\" in pod \"nginx-7c5ddbdf54-2xq8k\" "
                                             "not found"));
}

}  // namespace
}  // namespace kubedouble::e2e
