// Server-side apply through real clients: kubectl apply --server-side (create, update, conflict,
// --force-conflicts, the move from client-side apply), the managed fields kubectl shows, and
// applies from the Python client and @kubernetes/client-node.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Ok(const fake::TestServer& srv, const std::string& cmd) {
  auto r = Bash(KubectlEnv(srv) + cmd);
  EXPECT_EQ(r.code, 0) << cmd << "\n" << r.output;
  return r.output;
}

std::string DeploymentYaml(int replicas, const std::string& image) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: " +
         std::to_string(replicas) +
         "\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: "
         "{app: web}\n    spec:\n      containers:\n      - name: web\n        image: " +
         image + "\n";
}

TEST(ServerSideApply, KubectlCreatesUpdatesConflictsAndForces) {
  fake::TestServer srv;
  Write(srv.paths().dir, "web.yaml", DeploymentYaml(2, "nginx:1"));
  EXPECT_EQ(Ok(srv, "kubectl apply --server-side -f web.yaml"),
            "deployment.apps/web serverside-applied\n");
  Write(srv.paths().dir, "web.yaml", DeploymentYaml(3, "nginx:1"));
  EXPECT_EQ(Ok(srv, "kubectl apply --server-side -f web.yaml"),
            "deployment.apps/web serverside-applied\n");
  EXPECT_EQ(Ok(srv, "kubectl get deploy web -o jsonpath='{.spec.replicas}'"), "3");

  // Someone else changes the replicas; the next apply of another value conflicts.
  Ok(srv, "kubectl scale deploy web --replicas=5");
  Ok(srv, "kubectl patch deploy web -p '{\"spec\":{\"replicas\":6}}'");
  Write(srv.paths().dir, "web.yaml", DeploymentYaml(4, "nginx:1"));
  auto conflict = Bash(KubectlEnv(srv) + "kubectl apply --server-side -f web.yaml");
  EXPECT_NE(conflict.code, 0);
  EXPECT_THAT(conflict.output,
              HasSubstr("Apply failed with 1 conflict: conflict with \"kubectl-patch\" using "
                        "apps/v1: .spec.replicas"));
  EXPECT_EQ(Ok(srv, "kubectl get deploy web -o jsonpath='{.spec.replicas}'"), "6");

  Ok(srv, "kubectl apply --server-side --force-conflicts -f web.yaml");
  EXPECT_EQ(Ok(srv, "kubectl get deploy web -o jsonpath='{.spec.replicas}'"), "4");
  std::string yaml = Ok(srv, "kubectl get deploy web -o yaml --show-managed-fields");
  EXPECT_THAT(yaml, HasSubstr("manager: kubectl\n    operation: Apply"));
  EXPECT_THAT(yaml, HasSubstr("fieldsType: FieldsV1"));
  EXPECT_THAT(yaml, HasSubstr("k:{\"name\":\"web\"}:"));
  EXPECT_THAT(yaml, HasSubstr("f:replicas: {}"));
  // Without --show-managed-fields kubectl hides them.
  EXPECT_THAT(Ok(srv, "kubectl get deploy web -o yaml"), Not(HasSubstr("managedFields")));
  // A list of one empty entry removes them.
  Ok(srv, "kubectl patch deploy web --type=merge -p '{\"metadata\":{\"managedFields\":[{}]}}'");
  EXPECT_EQ(Ok(srv, "kubectl get deploy web -o jsonpath='{.metadata.managedFields}'"), "");
}

TEST(ServerSideApply, KubectlMovesFromClientSideApply) {
  fake::TestServer srv;
  Write(srv.paths().dir, "web.yaml", DeploymentYaml(2, "nginx:1"));
  Ok(srv, "kubectl apply -f web.yaml");
  std::string before = Ok(srv, "kubectl get deploy web -o yaml --show-managed-fields");
  EXPECT_THAT(before, HasSubstr("manager: kubectl-client-side-apply"));
  Write(srv.paths().dir, "web.yaml", DeploymentYaml(3, "nginx:2"));
  EXPECT_EQ(Ok(srv, "kubectl apply --server-side -f web.yaml"),
            "deployment.apps/web serverside-applied\n");
  EXPECT_EQ(Ok(srv,
               "kubectl get deploy web -o jsonpath='{.spec.replicas} "
               "{.spec.template.spec.containers[0].image}'"),
            "3 nginx:2");
  std::string after = Ok(srv, "kubectl get deploy web -o yaml --show-managed-fields");
  EXPECT_THAT(after, HasSubstr("manager: kubectl\n    operation: Apply"));
}

TEST(ServerSideApply, PythonClientAppliesWithAFieldManager) {
  fake::TestServer srv;
  auto r = Bash("export KUBECONFIG=" + srv.paths().kubeconfig.string() + R"(
/usr/bin/python3 - <<'PY'
import json
from kubernetes import client, config
config.load_kube_config()
api = client.ApiClient()
def apply(manager, color, force=False):
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: py-applied\ndata:\n  color: %s\n" % color
    query = [("fieldManager", manager)] + ([("force", "true")] if force else [])
    return api.call_api("/api/v1/namespaces/{namespace}/configmaps/{name}", "PATCH",
                        path_params={"namespace": "default", "name": "py-applied"},
                        query_params=query,
                        header_params={"Content-Type": "application/apply-patch+yaml",
                                       "Accept": "application/json"},
                        body=body, response_type="V1ConfigMap", auth_settings=["BearerToken"],
                        _return_http_data_only=True)
cm = apply("py-app", "blue")
print("created", cm.data["color"], [(e.manager, e.operation) for e in cm.metadata.managed_fields])
try:
    apply("py-other", "red")
except client.exceptions.ApiException as e:
    status = json.loads(e.body)
    print("conflict", e.status, status["message"], status["details"]["causes"][0]["reason"])
cm = apply("py-other", "red", force=True)
print("forced", cm.data["color"], sorted(e.manager for e in cm.metadata.managed_fields))
try:
    apply("", "green")
except client.exceptions.ApiException as e:
    print("no manager", e.status, json.loads(e.body)["message"])
try:
    apply("x" * 129, "green")
except client.exceptions.ApiException as e:
    print("long manager", e.status, json.loads(e.body)["message"])
# Without a fieldManager an ordinary write is recorded for the User-Agent's first word.
v1 = client.CoreV1Api()
made = v1.create_namespaced_config_map("default", {"metadata": {"name": "py-made"}, "data": {"a": "1"}})
print("user agent manager", [(e.manager, e.operation) for e in made.metadata.managed_fields])
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("created blue [('py-app', 'Apply')]"));
  EXPECT_THAT(r.output, HasSubstr("conflict 409 Apply failed with 1 conflict: conflict with "
                                  "\"py-app\": .data.color FieldManagerConflict"));
  EXPECT_THAT(r.output, HasSubstr("forced red ['py-other']"));
  EXPECT_THAT(r.output, HasSubstr("no manager 422 PatchOptions.meta.k8s.io \"\" is invalid: "
                                  "fieldManager: Required value: is required for apply patch"));
  EXPECT_THAT(r.output, HasSubstr("long manager 422 PatchOptions.meta.k8s.io \"\" is invalid: "
                                  "fieldManager: Too long: may not be more than 128 bytes"));
  EXPECT_THAT(r.output, HasSubstr("user agent manager [('OpenAPI-Generator', 'Update')]"));
}

TEST(ServerSideApply, NodeClientAppliesAConfigMap) {
  fake::TestServer srv;
  auto node = [&](const std::string& args) {
    return Bash(std::string("node ") + KUBEDOUBLE_E2E_DIR + "/apply_configmap.mjs " +
                KUBEDOUBLE_CLIENT_NODE_DIR + " " + srv.paths().kubeconfig.string() + " " + args);
  };
  auto created = node("node-app blue");
  ASSERT_EQ(created.code, 0) << created.output;
  EXPECT_EQ(created.output, "color=blue managers=node-app/Apply\n");
  auto conflict = node("node-other red");
  EXPECT_NE(conflict.code, 0);
  EXPECT_THAT(conflict.output, HasSubstr("conflict with \\\"node-app\\\": .data.color"));
  auto forced = node("node-other red force");
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_EQ(forced.output, "color=red managers=node-other/Apply\n");
  // The apply that made the ConfigMap answered 201 Created, as a create does.
  auto seen = srv.journal().Find([](const auto& e) {
    return e.path == "/api/v1/namespaces/default/configmaps/node-applied" && e.status == 201;
  });
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace kubedouble::e2e
