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

TEST_F(KubectlCluster, LogsWithEachFlag) {
  Serve({"--no-default-fixtures"});
  auto r = Kubectl(
      "kubectl run talk --image=busybox:1.36 --restart=Never --env=WHO=world "
      "--annotations='kubedouble.io/log=+1s ready' -- sh -c 'echo hello $WHO; echo bye' && "
      "kubectl wait --for=condition=Ready pod/talk --timeout=20s >/dev/null && sleep 1.2 && "
      "echo '--plain'; kubectl logs talk; echo '--tail'; kubectl logs talk --tail=1; "
      "echo '--limit'; kubectl logs talk --limit-bytes=5; echo; echo '--timestamps'; "
      "kubectl logs talk --timestamps; echo '--since'; kubectl logs talk --since=1h; "
      "echo '--since-time'; kubectl logs talk --since-time=2000-01-01T00:00:00Z; "
      "echo '--container'; kubectl logs talk -c talk --insecure-skip-tls-verify-backend; "
      "echo '--previous'; kubectl logs talk --previous");
  EXPECT_THAT(r.output, HasSubstr("--plain\nhello world\nbye\nready\n--tail\nready\n"));
  EXPECT_THAT(r.output, HasSubstr("--limit\nhello\n"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex(
                            "--timestamps\n20[0-9-]+T[0-9:]+\\.000000000Z hello world\n"));
  EXPECT_THAT(r.output, HasSubstr("--since\nhello world\nbye\nready\n"));
  EXPECT_THAT(r.output, HasSubstr("--since-time\nhello world\nbye\nready\n"));
  EXPECT_THAT(r.output, HasSubstr("--container\nhello world\nbye\nready\n"));
  EXPECT_THAT(r.output, HasSubstr("Error from server (BadRequest): previous terminated container "
                                  "\"talk\" in pod \"talk\" not found"));
  // Several containers and none named: the server's answer (kubectl picks one itself).
  r = Kubectl(
      "kubectl apply -f - >/dev/null <<'EOF'\n"
      "apiVersion: v1\nkind: Pod\nmetadata: {name: two}\nspec:\n  containers:\n"
      "  - {name: a, image: busybox}\n  - {name: b, image: busybox}\nEOF\n"
      "kubectl get --raw /api/v1/namespaces/default/pods/two/log; "
      "kubectl get --raw '/api/v1/namespaces/default/pods/two/log?container=a&tailLines=-1'");
  EXPECT_THAT(r.output, HasSubstr("a container name must be specified for pod two, choose one "
                                  "of: [a b]"));
  EXPECT_THAT(r.output, HasSubstr("tailLines: Invalid value: -1: must be greater than or equal "
                                  "to 0"));
}

TEST_F(KubectlCluster, LogsFollowEndsWhenThePodGoes) {
  Serve({"--no-default-fixtures"});
  auto r = Kubectl(
      "kubectl run tick --image=busybox:1.36 --annotations='kubedouble.io/log=every 200ms tick "
      "{n}' && kubectl wait --for=condition=Ready pod/tick --timeout=20s >/dev/null && "
      "(timeout 20 kubectl logs -f tick > follow.out; echo \"follow exit $?\" >> follow.out) & "
      "sleep 1.5; kubectl delete pod tick --wait=true >/dev/null; wait; cat follow.out");
  EXPECT_THAT(r.output, HasSubstr("Started tick (image busybox:1.36)\ntick 1\ntick 2\n"));
  EXPECT_THAT(r.output, HasSubstr("follow exit 0"));  // ended by itself, not by the timeout
}

// With --clock fake a followed log gets its lines as the clock is advanced, not before.
TEST_F(KubectlCluster, FollowedLogMovesWithTheFakeClock) {
  Serve({"--no-default-fixtures", "--clock", "fake"});
  auto r = Kubectl(
      "advance() { echo \"{\\\"advance\\\":\\\"$1\\\"}\" > adv.json; "
      "kubectl create --raw /__kubedouble/clock -f adv.json >/dev/null; }; "
      "kubectl run tick --image=busybox:1.36 --annotations='kubedouble.io/log=every 1m tick {n}' "
      ">/dev/null && advance 1s && "
      "{ timeout 20 kubectl logs -f tick > follow.out 2>&1; echo \"follow exit $?\" >> "
      "follow.out; } & sleep 1; echo \"--before\"; cat follow.out; advance 2m; sleep 1; "
      "echo \"--after\"; cat follow.out; kubectl delete pod tick --wait=false >/dev/null; "
      "advance 1s; wait; tail -1 follow.out");
  EXPECT_THAT(r.output, HasSubstr("--before\nStarted tick (image busybox:1.36)\n--after\n"
                                  "Started tick (image busybox:1.36)\ntick 1\ntick 2\n"));
  EXPECT_THAT(r.output, ::testing::EndsWith("follow exit 0\n"));  // the pod went: it ended
}

TEST_F(KubectlCluster, JobLogsHoldItsWholeScriptAndFollowEndsWithIt) {
  Serve({"--no-default-fixtures"});
  auto r = Kubectl(
      "kubectl create job slow --image=busybox:1.36 -- sh -c 'echo start; sleep 1; echo end' && "
      "kubectl wait --for=condition=Ready pod -l job-name=slow --timeout=20s >/dev/null && "
      "timeout 20 kubectl logs -f job/slow; echo \"follow exit $?\"; "
      "kubectl wait --for=condition=complete job/slow --timeout=20s && kubectl logs job/slow");
  EXPECT_THAT(r.output, HasSubstr("start\nend\nfollow exit 0\n"));
  EXPECT_THAT(r.output, HasSubstr("job.batch/slow condition met\nstart\nend\n"));
}

TEST_F(KubectlCluster, EvictionRefusedByABudgetThenAllowed) {
  Serve({"--no-default-fixtures"});
  auto r = Kubectl(
      "kubectl create deployment web --image=nginx:1.27 --replicas=2 >/dev/null && "
      "kubectl create pdb web --selector=app=web --min-available=2 >/dev/null && "
      "kubectl rollout status deployment/web --timeout=20s >/dev/null && "
      "for i in $(seq 50); do kubectl get pdb web -o jsonpath='{.status.currentHealthy}' | "
      "grep -q 2 && break; sleep 0.1; done; "
      "P=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}'); "
      "echo \"{\\\"apiVersion\\\":\\\"policy/v1\\\",\\\"kind\\\":\\\"Eviction\\\","
      "\\\"metadata\\\":{\\\"name\\\":\\\"$P\\\"}}\" > ev.json; "
      "kubectl create --raw /api/v1/namespaces/default/pods/$P/eviction -f ev.json; echo; "
      "kubectl get pdb web --no-headers; "
      "kubectl patch pdb web --type=merge -p '{\"spec\":{\"minAvailable\":1}}' >/dev/null; "
      "for i in $(seq 50); do kubectl get pdb web -o jsonpath='{.status.disruptionsAllowed}' | "
      "grep -q 1 && break; sleep 0.1; done; "
      "kubectl create --raw /api/v1/namespaces/default/pods/$P/eviction -f ev.json; echo; "
      "for i in $(seq 50); do kubectl get pod $P >/dev/null 2>&1 || { echo \"$P is gone\"; "
      "break; }; sleep 0.1; done");
  EXPECT_THAT(r.output, HasSubstr("Error from server (TooManyRequests): Cannot evict pod as it "
                                  "would violate the pod's disruption budget."));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("web +2 +N/A +0 "));
  EXPECT_THAT(r.output, HasSubstr("\"status\":\"Success\""));
  EXPECT_THAT(r.output, HasSubstr(" is gone"));
}

TEST_F(KubectlCluster, DrainEvictsAndWaitsForTheBudget) {
  Serve({"--no-default-fixtures", "--nodes", "3"});
  auto r = Kubectl(
      "kubectl create deployment web --image=nginx:1.27 --replicas=2 >/dev/null && "
      "kubectl create pdb web --selector=app=web --min-available=1 >/dev/null && "
      "kubectl rollout status deployment/web --timeout=20s >/dev/null && "
      "kubectl get pods -l app=web -o jsonpath='{.items[*].spec.nodeName}'; echo; "
      "kubectl drain kubedouble-worker --ignore-daemonsets --delete-emptydir-data "
      "--timeout=20s && kubectl rollout status deployment/web --timeout=20s >/dev/null && "
      "kubectl get pods -l app=web -o jsonpath='{.items[*].spec.nodeName}'; echo; "
      "kubectl drain kubedouble-worker2 --ignore-daemonsets --delete-emptydir-data "
      "--timeout=7s; echo \"blocked drain exit $?\"; "
      "kubectl uncordon kubedouble-worker && "
      "kubectl drain kubedouble-worker2 --ignore-daemonsets --delete-emptydir-data "
      "--timeout=30s && kubectl get nodes --no-headers && "
      "kubectl get pods -l app=web -o jsonpath='{.items[*].spec.nodeName}'");
  EXPECT_THAT(r.output, HasSubstr("kubedouble-worker kubedouble-worker2\n"));
  EXPECT_THAT(r.output, HasSubstr("node/kubedouble-worker cordoned"));
  EXPECT_THAT(r.output, HasSubstr("node/kubedouble-worker drained"));
  EXPECT_THAT(r.output, HasSubstr("kubedouble-worker2 kubedouble-worker2\n"));
  EXPECT_THAT(r.output, HasSubstr("(will retry after 5s): Cannot evict pod as it would violate "
                                  "the pod's disruption budget."));
  EXPECT_THAT(r.output, HasSubstr("blocked drain exit 1"));
  EXPECT_THAT(r.output, HasSubstr("node/kubedouble-worker uncordoned"));
  EXPECT_THAT(r.output, HasSubstr("node/kubedouble-worker2 drained"));
  EXPECT_THAT(r.output, ::testing::ContainsRegex("kubedouble-worker2 +Ready,SchedulingDisabled"));
  EXPECT_THAT(r.output, ::testing::EndsWith("kubedouble-worker kubedouble-worker"));
}

TEST_F(KubectlCluster, ExecRunsInTheSimulatedContainerAndPortForwardForwards) {
  Serve({"--no-default-fixtures"});
  auto r = Kubectl(
      "kubectl run solo --image=nginx:1.27 >/dev/null && "
      "kubectl wait --for=condition=Ready pod/solo --timeout=20s >/dev/null; "
      "timeout 20 kubectl exec solo -- sh -c 'echo in $HOSTNAME; exit 3'; echo \"exec exit $?\"; "
      "printf 'typed\\n' | timeout 20 kubectl exec -i solo -- cat; "
      "timeout 10 kubectl port-forward pod/solo 0:80 > pf.out 2>&1 & PF=$!; "
      "for i in $(seq 100); do grep -q 'Forwarding from 127.0.0.1' pf.out && break; sleep 0.1; "
      "done; "
      "curl -sS -m 10 http://127.0.0.1:$(grep -om1 '127.0.0.1:[0-9]*' pf.out | cut -d: -f2)/pf; "
      "kill $PF; wait $PF 2>/dev/null; cat pf.out");
  EXPECT_THAT(r.output, HasSubstr("in solo\n"));
  EXPECT_THAT(r.output, HasSubstr("command terminated with exit code 3\nexec exit 3\n"));
  EXPECT_THAT(r.output, HasSubstr("typed\n"));
  EXPECT_THAT(r.output, Not(HasSubstr("Error from server (BadRequest): Upgrade request required")));
  EXPECT_THAT(r.output, Not(HasSubstr("Upgrade request required")));
  EXPECT_THAT(r.output, HasSubstr("container solo (nginx:1.27), port 80\nGET /pf HTTP/1.1"));
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
