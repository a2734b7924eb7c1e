// Issue 4 with real clients: kubectl writes, pagination, selectors and watch; the Python
// client's watch.Watch().stream; a @kubernetes/client-node informer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using fake::TestServer;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(KubectlLive, WritesFromCreateToNamespaceDeletion) {
  TestServer srv;
  std::string env, k = Kubectl(srv);
  auto dir = srv.paths().dir;
  auto ns = Write(dir, "ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n");
  std::string cm_text =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n"
      "data:\n  colour: blue\n";
  auto cm = Write(dir, "cm.yaml", cm_text);
  auto pod = Write(dir, "pod.yaml",
                   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n"
                   "  labels: {app: web}\nspec:\n  containers:\n  - name: web\n    image: nginx\n");
  auto r = Bash(env + k + "create --validate=false -f " + ns + " && " + k +
                "create --validate=false -f " + pod);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pod/web created"));
  r = Bash(env + k + "apply --validate=false -f " + cm);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("configmap/settings created"));
  Write(dir, "cm.yaml", cm_text + "  size: large\n");
  r = Bash(env + k + "apply --validate=false -f " + cm);  // the second apply is a patch
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("configmap/settings configured"));
  r = Bash(env + k + "-n shop get configmap settings -o jsonpath={.data.size}");
  EXPECT_EQ(r.output, "large");

  r = Bash(env + k + "-n shop label pod web tier=front && " + k +
           "-n shop annotate pod web note=hi");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Bash(k +
           "-n shop patch pod web --type=strategic -p "
           "'{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:2\"}]}}' && " +
           k +
           "-n shop patch pod web --type=merge -p '{\"metadata\":{\"labels\":{\"m\":\"1\"}}}' && " +
           k +
           "-n shop patch pod web --type=json -p "
           "'[{\"op\":\"add\",\"path\":\"/metadata/labels/j\",\"value\":\"2\"}]'");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Bash(k +
           "-n shop get pod web -o jsonpath='{.metadata.labels.tier} "
           "{.metadata.annotations.note} {.spec.containers[0].image} {.metadata.labels.m} "
           "{.metadata.labels.j} {.spec.containers[0].name}'");
  EXPECT_EQ(r.output, "front hi nginx:2 1 2 web");

  r = Bash(env + k + "-n shop delete configmap settings");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("configmap \"settings\" deleted"));
  r = Bash(env + "timeout 60 " + k + "delete namespace shop");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("namespace \"shop\" deleted"));
  r = Bash(env + k + "get namespace shop");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("NotFound"));
  r = Bash(env + k + "get pods -n shop");
  EXPECT_THAT(r.output, Not(HasSubstr("web")));
}

TEST(KubectlLive, ChunksAndSelectors) {
  TestServer srv;
  std::string env, k = Kubectl(srv);
  std::string pods;
  for (int i = 0; i < 7; ++i) {
    pods += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p" + std::to_string(i) +
            "\n  labels: {app: \"" + (i % 2 ? "x" : "y") +
            "\"}\nspec:\n  containers:\n"
            "  - {name: c, image: busybox}\n";
  }
  auto file = Write(srv.paths().dir, "pods.yaml", pods);
  auto created = Bash(env + k + "create --validate=false -f " + file);
  ASSERT_EQ(created.code, 0) << created.output;
  auto r = Bash(env + k + "get pods --chunk-size=2 -v=6 2>&1");
  ASSERT_EQ(r.code, 0) << r.output;
  for (int i = 0; i < 7; ++i) EXPECT_THAT(r.output, HasSubstr("p" + std::to_string(i) + " "));
  // More than two pages: the continue token was followed at least twice.
  size_t pages = 0;
  for (size_t at = 0; (at = r.output.find("continue=", at)) != std::string::npos; ++at) ++pages;
  EXPECT_GE(pages, 3u) << r.output;
  EXPECT_GE(srv.journal()
                .Find([](const fake::JournalEntry& e) {
                  return e.path == "/api/v1/namespaces/default/pods" &&
                         e.query.find("limit=2") != std::string::npos;
                })
                .size(),
            3u);

  r = Bash(env + k + "get pods -l app=x -o name");
  EXPECT_EQ(r.output, "pod/p1\npod/p3\npod/p5\n");
  r = Bash(env + k + "get pods --field-selector status.phase=Running -o name");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("pod/p1")));  // created without a status: Pending
  r = Bash(env + k + "-n kube-system get pods --field-selector status.phase=Running -o name");
  EXPECT_THAT(r.output, HasSubstr("pod/"));
}

TEST(KubectlLive, GetWatchPrintsAChange) {
  TestServer srv;
  std::string env, k = Kubectl(srv);
  auto out = srv.paths().dir / "watch.out";
  // kubectl get -w in the background; a pod created while it watches must show up.
  auto r =
      Bash("(timeout 8 " + k + "get pods -w > " + out.string() + " 2>&1 &) ; sleep 2; " + k +
           "run watched --image=nginx --restart=Never >/dev/null; sleep 3; cat " + out.string());
  EXPECT_THAT(r.output, HasSubstr("NAME"));
  EXPECT_THAT(r.output, HasSubstr("watched"));
}

TEST(PythonLive, WatchStreamSeesAddedModifiedDeleted) {
  TestServer srv;
  std::string script = R"PY(
import threading, time
from kubernetes import client, config, watch
config.load_kube_config(config_file=KUBECONFIG)
v1 = client.CoreV1Api()
seen = []
def changes():
    time.sleep(1.5)
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "py"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    v1.create_namespaced_pod("default", body)
    v1.patch_namespaced_pod("py", "default", {"metadata": {"labels": {"step": "2"}}})
    v1.delete_namespaced_pod("py", "default")
threading.Thread(target=changes, daemon=True).start()
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_pod, "default", timeout_seconds=15):
    if ev["object"].metadata.name == "py":
        print(ev["type"], ev["object"].metadata.name, flush=True)
        if ev["type"] == "DELETED":
            w.stop()
)PY";
  auto py = Write(srv.paths().dir, "watch.py",
                  "KUBECONFIG = '" + srv.paths().kubeconfig.string() + "'\n" + script);
  auto r = Bash("timeout 40 /usr/bin/python3 " + py);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "ADDED py\nMODIFIED py\nDELETED py\n");
}

TEST(NodeLive, InformerSeesAddUpdateDelete) {
  TestServer srv;
  std::string env, k = Kubectl(srv);
  auto out = srv.paths().dir / "informer.out";
  auto r = Bash(env + "(timeout 40 node " + std::string(KUBEDOUBLE_E2E_DIR) + "/informer.mjs " +
                KUBEDOUBLE_CLIENT_NODE_DIR + " " + srv.paths().token_kubeconfig.string() +
                " default > " + out.string() + " 2>&1 &); for i in $(seq 100); do grep -q ready " +
                out.string() + " && break; sleep 0.1; done; " + k +
                "run nodewatched --image=nginx --restart=Never >/dev/null && " + k +
                "label pod nodewatched step=2 >/dev/null && sleep 1 && " + k +
                "delete pod nodewatched >/dev/null; for i in $(seq 100); do grep -q DELETED " +
                out.string() + " && break; sleep 0.1; done; cat " + out.string());
  EXPECT_THAT(r.output, HasSubstr("ready"));
  EXPECT_THAT(r.output, HasSubstr("ADDED nodewatched"));
  EXPECT_THAT(r.output, HasSubstr("MODIFIED nodewatched 2"));
  EXPECT_THAT(r.output, HasSubstr("DELETED nodewatched"));
}

}  // namespace
}  // namespace kubedouble::e2e
