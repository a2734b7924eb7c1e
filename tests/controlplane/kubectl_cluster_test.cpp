// `kubedouble serve` with its control plane on the real clock, as a user of a kind cluster
// drives it: real kubectl, a fresh discovery cache per test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/shell.h"
#include "controlplane/kubectl_cluster.h"

namespace kubedouble {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Runs `command WHO 3` for the candidates a, b and c at once (a leader election for 3 s).
test::ShellResult RaceThree(const std::string& command) {
  return test::Bash("for who in a b c; do " + command + " $who 3 & done; wait");
}

// How many candidates say they led.
int Leaders(const std::string& output) {
  int n = 0;
  for (size_t at = output.find("LEADER "); at != std::string::npos;
       at = output.find("LEADER ", at + 1))
    ++n;
  return n;
}
TEST_F(KubectlCluster, RolloutStatusFinishesForANewDeployment) {
  Serve();
  auto r = Kubectl(
      "kubectl create deployment web --image=nginx:1.27 --replicas=3 && "
      "kubectl rollout status deployment/web --timeout=20s");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("deployment \"web\" successfully rolled out"));
  r = Kubectl("kubectl get pods -l app=web -o wide --no-headers");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Running"));
  EXPECT_THAT(r.output, HasSubstr("10.244.0."));
  EXPECT_THAT(r.output, HasSubstr("kubedouble-control-plane"));
  EXPECT_THAT(r.output, Not(HasSubstr("<none>   <none>   <none>")));
}

TEST_F(KubectlCluster, RollingUpdateHistoryAndUndo) {
  Serve();
  auto r = Kubectl(
      "kubectl create deployment web --image=nginx:1.27 --replicas=4 && "
      "kubectl rollout status deployment/web --timeout=20s && "
      "kubectl set image deployment/web nginx=nginx:1.28 && "
      "kubectl rollout status deployment/web --timeout=20s && "
      "kubectl rollout undo deployment/web && "
      "kubectl rollout status deployment/web --timeout=20s && "
      "kubectl rollout history deployment/web && "
      "kubectl get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}'");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("rolled back"));
  EXPECT_THAT(r.output, HasSubstr("2         <none>"));
  EXPECT_THAT(r.output, HasSubstr("3         <none>"));
  EXPECT_THAT(r.output, HasSubstr("nginx:1.27 nginx:1.27 nginx:1.27 nginx:1.27"));
  EXPECT_THAT(r.output, Not(HasSubstr("nginx:1.28")));
}

TEST_F(KubectlCluster, WaitForNodesReadyAndJobComplete) {
  Serve({"--nodes", "3"});
  auto r = Kubectl("kubectl wait --for=condition=Ready nodes --all --timeout=20s");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("node/kubedouble-worker2 condition met"));
  r = Kubectl(
      "kubectl create job pi --image=busybox:1.36 -- echo done && "
      "kubectl wait --for=condition=complete job/pi --timeout=20s && "
      "kubectl get pods -l job-name=pi --no-headers");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("job.batch/pi condition met"));
  EXPECT_THAT(r.output, HasSubstr("Completed"));
}

TEST_F(KubectlCluster, DescribePodShowsTheEventsOfItsStart) {
  Serve();
  auto r = Kubectl(
      "kubectl run solo --image=nginx:1.27 && "
      "kubectl wait --for=condition=Ready pod/solo --timeout=20s && kubectl describe pod solo");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output,
              HasSubstr("Successfully assigned default/solo to kubedouble-control-plane"));
  EXPECT_THAT(r.output, HasSubstr("Container image \"nginx:1.27\" already present on machine"));
  EXPECT_THAT(r.output, HasSubstr("Created container: solo"));
  EXPECT_THAT(r.output, HasSubstr("Started container solo"));
  r = Kubectl("kubectl events --for pod/solo");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Scheduled"));
}

TEST_F(KubectlCluster, NewNamespaceHasADefaultServiceAccount) {
  Serve();
  auto r = Kubectl(
      "kubectl create namespace team && "
      "for i in $(seq 50); do kubectl get sa default -n team >/dev/null 2>&1 && break; "
      "sleep 0.1; done; kubectl create token default -n team");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("eyJ"));
}

TEST_F(KubectlCluster, KubernetesServiceIsTheServer) {
  Serve();
  auto r = Kubectl("kubectl get svc kubernetes --no-headers && kubectl get endpoints kubernetes");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("10.96.0.1"));
  EXPECT_THAT(r.output, HasSubstr("443/TCP"));
  EXPECT_THAT(r.output, HasSubstr("127.0.0.1:" + std::to_string(server_->port())));
}

TEST_F(KubectlCluster, ControllersNoneLeavesPodsPending) {
  Serve({"--controllers", "none"});
  auto r = Kubectl(
      "kubectl get nodes --no-headers; kubectl run solo --image=nginx && sleep 0.5 && "
      "kubectl get pod solo --no-headers");
  EXPECT_THAT(r.output, HasSubstr("No resources found"));
  EXPECT_THAT(r.output, HasSubstr("Pending"));
}

TEST_F(KubectlCluster, UnknownControllerIsRefused) {
  auto r = test::Bash(std::string(KUBEDOUBLE_BINARY) + " serve --port 0 --dir " +
                      (dir_ / "state").string() + " --controllers node,schedular");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--controllers: unknown controller \"schedular\""));
}

}  // namespace
}  // namespace kubedouble

namespace kubedouble {
namespace {

// A scheduler of one's own binds through pods/NAME/binding (the simulated one is off here).
TEST_F(KubectlCluster, PodsBindingAssignsThePodOnce) {
  Serve({"--controllers", "none"});
  auto r = Kubectl(
      "kubectl run solo --image=nginx && "
      "echo '{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"solo\"},"
      "\"target\":{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"name\":\"node-a\"}}' > b.json && "
      "kubectl create --raw /api/v1/namespaces/default/pods/solo/binding -f b.json && "
      "kubectl get pod solo -o jsonpath='{.spec.nodeName} "
      "{.status.conditions[?(@.type==\"PodScheduled\")].status}{\"\\n\"}'; "
      "kubectl create --raw /api/v1/namespaces/default/pods/solo/binding -f b.json");
  EXPECT_THAT(r.output, HasSubstr("\"status\":\"Success\""));
  EXPECT_THAT(r.output, HasSubstr("node-a True"));
  EXPECT_THAT(r.output, HasSubstr("pod solo is already assigned to node \"node-a\""));
}

}  // namespace
}  // namespace kubedouble

namespace kubedouble {
namespace {

// Three candidates of a Python program race for one Lease for 3 s: the server's
// resourceVersion checks let exactly one lead (the others' takeovers get 409), and it renews.
TEST_F(KubectlCluster, PythonLeaderElectionOnALeaseHasOneLeader) {
  if (test::Bash("/usr/bin/python3 -c 'import kubernetes'").code != 0) {
    GTEST_SKIP() << "the Python kubernetes client is not installed";
  }
  Serve();
  const std::string script =
      std::string(KUBEDOUBLE_SOURCE_DIR) + "/tests/controlplane/leader_election.py";
  const std::string kubeconfig = (dir_ / "state" / "kubeconfig").string();
  auto r = RaceThree("/usr/bin/python3 " + script + " " + kubeconfig);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Leaders(r.output), 1) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("Traceback"))) << r.output;
  auto lease = Kubectl("kubectl get lease demo-leader -o jsonpath='{.spec.holderIdentity}'");
  EXPECT_THAT(lease.output, ::testing::MatchesRegex("[abc]")) << lease.output;
}

}  // namespace
}  // namespace kubedouble

namespace kubedouble {
namespace {

// The same race with @kubernetes/client-node: three candidates, one Lease, exactly one leader,
// who renews.
TEST_F(KubectlCluster, NodeLeaderElectionOnALeaseHasOneLeader) {
  const std::string client = KUBEDOUBLE_CLIENT_NODE_DIR;
  if (test::Bash("command -v node && test -f " + client + "/dist/index.js").code != 0) {
    GTEST_SKIP() << "node or @kubernetes/client-node is not installed";
  }
  Serve();
  const std::string script =
      std::string(KUBEDOUBLE_SOURCE_DIR) + "/tests/controlplane/leader_election.mjs";
  const std::string kubeconfig = (dir_ / "state" / "kubeconfig").string();
  auto r = RaceThree("node " + script + " " + client + " " + kubeconfig);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(Leaders(r.output), 1) << r.output;
  EXPECT_THAT(r.output, Not(HasSubstr("Error"))) << r.output;
  auto lease = Kubectl("kubectl get lease demo-leader-js -o jsonpath='{.spec.holderIdentity}'");
  EXPECT_THAT(lease.output, ::testing::MatchesRegex("[abc]")) << lease.output;
  EXPECT_THAT(r.output, ::testing::MatchesRegex("(.|\n)*RENEWED [1-9](.|\n)*")) << r.output;
}

}  // namespace
}  // namespace kubedouble

namespace kubedouble {
namespace {

// kubectl rollout history/undo of a StatefulSet read and patch its ControllerRevisions; its
// volumeClaimTemplates give each pod a Bound claim.
TEST_F(KubectlCluster, StatefulSetHistoryUndoAndClaims) {
  Serve();
  Write("sts.yaml", R"(apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
)");
  auto r = Kubectl(
      "kubectl apply -f sts.yaml && kubectl rollout status sts/db --timeout=20s && "
      "kubectl set image sts/db db=postgres:17 && kubectl rollout status sts/db --timeout=20s && "
      "kubectl rollout history sts/db && kubectl rollout history sts/db --revision=1 && "
      "kubectl rollout undo sts/db && kubectl rollout status sts/db --timeout=20s && "
      "kubectl get pods -l app=db -o jsonpath='{.items[*].spec.containers[0].image}{\"\\n\"}' && "
      "kubectl get pvc --no-headers");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("1         <none>"));
  EXPECT_THAT(r.output, HasSubstr("2         <none>"));
  EXPECT_THAT(r.output, HasSubstr("statefulset.apps/db with revision #1"));
  EXPECT_THAT(r.output, HasSubstr("Image:\tpostgres:16"));
  EXPECT_THAT(r.output, HasSubstr("statefulset.apps/db rolled back"));
  EXPECT_THAT(r.output, HasSubstr("postgres:16 postgres:16\n"));
  EXPECT_THAT(r.output, ::testing::MatchesRegex("(.|\n)*data-db-0 +Bound +pvc-[0-9a-f-]+ +1Gi +RWO "
                                                "+standard(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("data-db-1"));
}

}  // namespace
}  // namespace kubedouble
