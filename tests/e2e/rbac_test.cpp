// RBAC with real clients: kubectl (auth can-i [--list], create rolebinding, auth reconcile,
// escalation errors), curl and the Python client (aggregation, SubjectAccessReview) against a
// started server — bindings decide the very next request.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

// kubectl as the default service account (its kubeconfig), with a fresh discovery cache.
std::string AsServiceAccount(const fake::TestServer& srv) {
  return KubectlEnv(srv.paths().serviceaccount_kubeconfig);
}

TEST(RbacKubectl, BootstrapRolesAndServiceAccountLifecycle) {
  fake::TestServer srv;
  std::string admin = KubectlEnv(srv);
  auto roles = Bash(admin + "kubectl get clusterroles -o name");
  ASSERT_EQ(roles.code, 0) << roles.output;
  for (const char* name : {"cluster-admin", "admin", "edit", "view", "system:discovery",
                           "system:basic-user", "system:public-info-viewer"}) {
    EXPECT_THAT(
        roles.output,
        ::testing::HasSubstr(std::string("clusterrole.rbac.authorization.k8s.io/") + name + "\n"));
  }
  std::string sa = AsServiceAccount(srv);
  auto before = Bash(sa + "kubectl auth can-i list pods; kubectl get pods 2>&1");
  EXPECT_THAT(before.output, ::testing::HasSubstr("no\n"));
  EXPECT_THAT(before.output,
              ::testing::HasSubstr("Error from server (Forbidden): pods is forbidden: User "
                                   "\"system:serviceaccount:default:default\" cannot list "
                                   "resource \"pods\" in API group \"\" in the namespace "
                                   "\"default\""));
  auto bind = Bash(admin +
                   "kubectl create rolebinding sa-view --clusterrole=view "
                   "--serviceaccount=default:default");
  ASSERT_EQ(bind.code, 0) << bind.output;
  auto after = Bash(sa +
                    "kubectl auth can-i list pods && kubectl get pods -o name | head -1 && "
                    "kubectl auth can-i get secrets; kubectl get secrets 2>&1");
  EXPECT_THAT(after.output, ::testing::StartsWith("yes\npod/"));
  EXPECT_THAT(after.output, ::testing::HasSubstr("no\n"));
  EXPECT_THAT(after.output, ::testing::HasSubstr("secrets is forbidden"));
  auto list = Bash(sa + "kubectl auth can-i --list");
  ASSERT_EQ(list.code, 0) << list.output;
  EXPECT_THAT(list.output, ::testing::ContainsRegex("pods +\\[\\] +\\[\\] +\\[get list watch\\]"));
  ASSERT_EQ(Bash(admin + "kubectl delete rolebinding sa-view").code, 0);
  EXPECT_EQ(Bash(sa + "kubectl auth can-i list pods").output, "no\n");
}

TEST(RbacKubectl, ReconcileAndEscalation) {
  fake::TestServer srv;
  std::string admin = KubectlEnv(srv);
  std::string user = admin +
                     "kubectl config set-credentials kd-user --token=" + srv.paths().user_token +
                     " >/dev/null && kubectl config set-context "
                     "--current --user=kd-user >/dev/null && ";
  std::ofstream(srv.paths().dir / "rbac.yaml") << R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: default}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [get, list, create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: default}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: kubedouble-user}
)";
  auto reconcile = Bash(admin + "kubectl auth reconcile -f rbac.yaml");
  ASSERT_EQ(reconcile.code, 0) << reconcile.output;
  EXPECT_THAT(reconcile.output, ::testing::HasSubstr("role.rbac.authorization.k8s.io/deployer"));
  auto again = Bash(admin + "kubectl auth reconcile -f rbac.yaml");
  ASSERT_EQ(again.code, 0) << again.output;

  auto can = Bash(user +
                  "kubectl auth can-i create deployments.apps; kubectl auth can-i delete "
                  "deployments.apps; kubectl create role grab --verb=get --resource=secrets 2>&1");
  EXPECT_THAT(can.output, ::testing::StartsWith("yes\nno\n"));
  EXPECT_THAT(can.output,
              ::testing::HasSubstr(
                  "roles.rbac.authorization.k8s.io \"grab\" is forbidden: user \"kubedouble-user\" "
                  "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not "
                  "currently held:\n{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}"));
  auto ok = Bash(user + "kubectl create role lister --verb=list --resource=deployments.apps");
  EXPECT_EQ(ok.code, 0) << ok.output;
}

TEST(RbacCurl, ServiceAccountTokenForbiddenAllowedForbidden) {
  fake::TestServer srv;
  std::string curl = "curl -s --cacert " + srv.paths().ca_crt.string() +
                     " -H \"Authorization: Bearer $(cat " +
                     (srv.paths().serviceaccount_dir / "token").string() +
                     ")\" -o /dev/null -w '%{http_code}\\n' " + srv.url() +
                     "/api/v1/namespaces/default/configmaps";
  std::string admin_curl = "curl -s --cacert " + srv.paths().ca_crt.string() +
                           " -H 'Authorization: Bearer " + srv.paths().admin_token +
                           "' -H 'Content-Type: application/json' " + srv.url() +
                           "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings";
  auto r = Bash(
      curl + "; " + admin_curl +
      R"( -o /dev/null -w '%{http_code}\n' -d '{"metadata":{"name":"sa"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"default","namespace":"default"}]}'; )" +
      curl + "; " + admin_curl + "/sa -X DELETE -o /dev/null -w '%{http_code}\\n'; " + curl);
  EXPECT_EQ(r.output, "403\n201\n200\n200\n403\n");
}

TEST(RbacPython, AggregationAndSubjectAccessReview) {
  fake::TestServer srv;
  auto r = Bash("export KUBECONFIG=" + srv.paths().kubeconfig.string() + R"(
/usr/bin/python3 - <<'PY'
from kubernetes import client, config
config.load_kube_config()
rbac = client.RbacAuthorizationV1Api()
authz = client.AuthorizationV1Api()
def can(verb, resource):
    sar = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user="alice", resource_attributes=client.V1ResourceAttributes(
            verb=verb, resource=resource, group="example.com", namespace="default")))
    return authz.create_subject_access_review(sar).status.allowed
rbac.create_namespaced_role_binding("default", client.V1RoleBinding(
    metadata=client.V1ObjectMeta(name="alice-view"),
    role_ref=client.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"),
    subjects=[client.V1Subject(kind="User", name="alice", api_group="rbac.authorization.k8s.io")]))
print("before:", can("list", "widgets"))
rbac.create_cluster_role(client.V1ClusterRole(
    metadata=client.V1ObjectMeta(name="widgets-view",
        labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"}),
    rules=[client.V1PolicyRule(api_groups=["example.com"], resources=["widgets"], verbs=["get", "list"])]))
print("after:", can("list", "widgets"), can("delete", "widgets"))
view = rbac.read_cluster_role("view")
print("view has widgets:", any("widgets" in (r.resources or []) for r in view.rules))
rbac.delete_cluster_role("widgets-view")
print("deleted:", can("list", "widgets"))
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "before: False\nafter: True False\nview has widgets: True\ndeleted: False\n");
}

}  // namespace
}  // namespace kubedouble::e2e
