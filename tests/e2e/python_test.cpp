// The Python client's in-cluster loader, reading the state folder's serviceaccount/ files and
// incluster.env exactly as it reads /var/run/secrets/kubernetes.io/serviceaccount in a pod.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

TEST(Python, InClusterLoaderFromServiceAccountFolderAndEnv) {
  auto policy = std::filesystem::temp_directory_path() /
                ("kd-e2e-policy-" + std::to_string(getpid()) + ".yaml");
  std::ofstream(policy) << "rules:\n  - serviceAccounts: [default/default]\n    verbs: [list]\n"
                           "    resources: [pods]\n";
  fake::TestServer srv({.policy = fake::LoadPolicyObjects(policy)});
  std::filesystem::remove(policy);
  auto sa = srv.paths().serviceaccount_dir;
  auto r =
      Bash("source " + srv.paths().incluster_env.string() + "\n" + "export SA=" + sa.string() + R"(
/usr/bin/python3 - <<'PY'
import os
from kubernetes import client, config
from kubernetes.config.incluster_config import InClusterConfigLoader
InClusterConfigLoader(token_filename=os.environ["SA"] + "/token",
                      cert_filename=os.environ["SA"] + "/ca.crt").load_and_set()
print("namespace:", open(os.environ["SA"] + "/namespace").read())
v1 = client.CoreV1Api()
for p in v1.list_pod_for_all_namespaces().items:
    print("%s\t%s\t%s" % (p.status.pod_ip, p.metadata.namespace, p.metadata.name))
try:
    v1.list_namespaced_secret("default")
except client.exceptions.ApiException as e:
    print("secrets:", e.status, e.reason)
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("namespace: default"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("10.244.2.7\tdefault\tnginx-7c5ddbdf54-v9wtl\n"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("secrets: 403 Forbidden"));
  auto seen = srv.journal().Find([](const auto& e) {
    return e.path == "/api/v1/pods" && e.user == "system:serviceaccount:default:default";
  });
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Python, ReadNamespacedPodLog) {
  fake::TestServer srv;
  auto r = Bash("export KUBECONFIG=" + srv.paths().kubeconfig.string() + R"(
/usr/bin/python3 - <<'PY'
from kubernetes import client, config
config.load_kube_config()
v1 = client.CoreV1Api()
print("log:", v1.read_namespaced_pod_log("nginx-7c5ddbdf54-2xq8k", "default"), end="")
print("tail:", v1.read_namespaced_pod_log("redis-0", "default", tail_lines=1, timestamps=True,
                                          limit_bytes=36), end="|\n")
try:
    v1.read_namespaced_pod_log("api-6b9f7c4d8-pq2zr", "default", since_seconds=0)
except client.exceptions.ApiException as e:
    print("invalid:", e.status, e.reason)
print("pending:", repr(v1.read_namespaced_pod_log("api-6b9f7c4d8-pq2zr", "default")))
# Watch.stream follows a log (follow=true); limitBytes ends the stream after the first line.
from kubernetes import watch
for line in watch.Watch().stream(v1.read_namespaced_pod_log, name="nginx-7c5ddbdf54-2xq8k",
                                 namespace="default", limit_bytes=33):
    print("followed:", line)
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, ::testing::HasSubstr("log: Started nginx (image nginx:1.27)\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("tail: 20[0-9-]+T[0-9:]+\\.000000000Z Start\\|"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("invalid: 422 Unprocessable Entity"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("pending: ''"));
  EXPECT_THAT(r.output, ::testing::HasSubstr("followed: Started nginx (image nginx:1.27)\n"));
}

}  // namespace
}  // namespace kubedouble::e2e
