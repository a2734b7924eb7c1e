// Pod stages through `kubedouble serve --stages` on the real clock, as a user sees them with
// real kubectl: crash loops in `get pods` and `describe pod`, a Job that fails by its pods, a
// rollout that never finishes, `kubectl logs --previous` after a restart, and a stage file that
// stops serve.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "common/shell.h"
#include "controlplane/kubectl_cluster.h"

namespace kubedouble {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

constexpr const char* kStages = R"(apiVersion: kubedouble.dev/v1alpha1
kind: PodStage
metadata: {name: crash-loop}
spec:
  selector: {matchLabels: {run: crasher}}
  exit: {code: 1}
---
apiVersion: kubedouble.dev/v1alpha1
kind: PodStage
metadata: {name: failing-jobs}
spec:
  selector:
    matchExpressions: [{key: job-name, operator: In, values: [doomed]}]
  exit: {code: 2, after: 100ms}
---
apiVersion: kubedouble.dev/v1alpha1
kind: PodStage
metadata: {name: never-ready}
spec:
  selector: {matchLabels: {app: stuck}}
  ready: false
---
apiVersion: kubedouble.dev/v1alpha1
kind: PodStage
metadata: {name: missing-image}
spec:
  selector: {matchLabels: {run: unpullable}}
  pullError: true
---
kind: PodStage
metadata: {name: restarts-once}
spec: {selector: {matchLabels: {run: flaky}}, exit: {code: 1, after: 1s, times: 1}}
)";

TEST_F(KubectlCluster, CrashLoopShowsInGetPodsAndDescribe) {
  Serve({"--stages", Write("stages.yaml", kStages).string()});
  auto r = Kubectl(
      "kubectl run crasher --image=busybox:1.36 -- false && "
      "for i in $(seq 100); do kubectl get pod crasher --no-headers | grep -q CrashLoopBackOff "
      "&& break; sleep 0.1; done; kubectl get pod crasher");
  EXPECT_EQ(r.code, 0) << r.output;
  // NAME READY STATUS RESTARTS AGE: the first restart is at once, then 10 s of back-off (a slow
  // machine may see the second restart).
  EXPECT_THAT(r.output,
              MatchesRegex("(.|\n)*crasher +0/1 +CrashLoopBackOff +[12] \\(.* ago\\)(.|\n)*"))
      << r.output;
  r = Kubectl("kubectl describe pod crasher");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Reason:       CrashLoopBackOff"));
  EXPECT_THAT(r.output, HasSubstr("Last State:     Terminated"));
  EXPECT_THAT(r.output, HasSubstr("Exit Code:    1"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*Restart Count:  [12]\n(.|\n)*"));
  EXPECT_THAT(r.output, HasSubstr("Back-off restarting failed container crasher in pod "
                                  "crasher_default("));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*Warning +BackOff(.|\n)*")) << r.output;
}

TEST_F(KubectlCluster, LogsPreviousShowsTheInstanceBeforeTheRestart) {
  Serve({"--stages", Write("stages.yaml", kStages).string()});
  const std::string status = "{.status.containerStatuses[0]";
  auto started = Kubectl(
      "kubectl run flaky --image=busybox:1.36 --annotations='kubedouble.io/log=every 1s tick {n}' "
      "-- sh -c 'echo hello' && kubectl wait pod/flaky --timeout=20s --for=jsonpath='" +
      status + ".restartCount}'=1");
  ASSERT_EQ(started.code, 0) << started.output;
  // The first instance exited after 1 s: its log ended there; the current one runs on.
  auto logs = Kubectl("sleep 2.5; kubectl logs flaky --previous; echo --; kubectl logs flaky");
  EXPECT_EQ(logs.code, 0) << logs.output;
  EXPECT_THAT(logs.output, HasSubstr("hello\ntick 1\n--\nhello\ntick 1\ntick 2\n")) << logs.output;
  // Each start of a container is a new container, with its own ID.
  auto ids = Kubectl("kubectl get pod flaky -o jsonpath='" + status +
                     ".lastState.terminated.containerID} " + status + ".containerID}'");
  std::istringstream words(ids.output);
  std::string previous_id, current_id;
  words >> previous_id >> current_id;
  EXPECT_THAT(previous_id, StartsWith("containerd://")) << ids.output;
  EXPECT_THAT(current_id, StartsWith("containerd://")) << ids.output;
  EXPECT_NE(previous_id, current_id);
}

TEST_F(KubectlCluster, ImagePullBackOffShowsInGetPodsAndDescribe) {
  Serve({"--stages", Write("stages.yaml", kStages).string()});
  auto r = Kubectl(
      "kubectl run unpullable --image=example.com/team/app:v9 && "
      "for i in $(seq 100); do kubectl get pod unpullable --no-headers | grep -q ImagePullBackOff "
      "&& break; sleep 0.1; done; kubectl get pod unpullable && kubectl describe pod unpullable");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*unpullable +0/1 +ImagePullBackOff +0(.|\n)*"))
      << r.output;
  EXPECT_THAT(r.output, HasSubstr("Failed to pull image \"example.com/team/app:v9\": rpc error: "
                                  "code = NotFound desc = failed to pull and unpack image "
                                  "\"example.com/team/app:v9\""));
  EXPECT_THAT(r.output, HasSubstr("Error: ErrImagePull"));
  EXPECT_THAT(r.output, HasSubstr("Back-off pulling image \"example.com/team/app:v9\""));
}

TEST_F(KubectlCluster, JobFailsByItsPodsAndWaitForFailedReturns) {
  Serve({"--stages", Write("stages.yaml", kStages).string()});
  Write("job.yaml", R"(apiVersion: batch/v1
kind: Job
metadata: {name: doomed}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox:1.36, command: ["false"]}]
)");
  auto r = Kubectl(
      "kubectl apply -f job.yaml && "
      // the replacement of the first failed pod waits out the Job's 10 s back-off
      "kubectl wait --for=condition=Failed job/doomed --timeout=40s && "
      "kubectl get job doomed -o jsonpath='{.status.failed} "
      "{.status.conditions[?(@.type==\"Failed\")].reason}{\"\\n\"}' && "
      "kubectl get pods -l job-name=doomed --no-headers");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("job.batch/doomed condition met"));
  EXPECT_THAT(r.output, HasSubstr("2 BackoffLimitExceeded"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*doomed-[a-z0-9]+ +0/1 +Error +0(.|\n)*")) << r.output;
}

TEST_F(KubectlCluster, NeverReadyPodsKeepTheRolloutFromFinishing) {
  Serve({"--stages", Write("stages.yaml", kStages).string()});
  auto r = Kubectl(
      "kubectl create deployment stuck --image=nginx:1.27 --replicas=2 && "
      "kubectl rollout status deployment/stuck --timeout=3s");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Waiting for deployment \"stuck\" rollout to finish: 0 of 2 "
                                  "updated replicas are available"));
  r = Kubectl("kubectl get pods -l app=stuck --no-headers");
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*stuck-[a-z0-9]+-[a-z0-9]+ +0/1 +Running +0(.|\n)*"))
      << r.output;
  // An ordinary Deployment beside it still rolls out.
  r = Kubectl(
      "kubectl create deployment fine --image=nginx:1.27 && "
      "kubectl rollout status deployment/fine --timeout=20s");
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST_F(KubectlCluster, BadStageFileStopsServeNamingFileAndLine) {
  const auto file = Write("stages.yaml",
                          "kind: PodStage\nmetadata: {name: a}\nspec:\n"
                          "  exit: {code: one}\n");
  auto r = test::Bash(std::string(KUBEDOUBLE_BINARY) + " serve --port 0 --dir " +
                      (dir_ / "state").string() + " --stages " + file.string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--stages: " + file.string() +
                                  ":4: spec.exit.code must be a whole number from 0 to 255"));
  r = test::Bash(std::string(KUBEDOUBLE_BINARY) + " serve --port 0 --dir " +
                 (dir_ / "state").string() + " --stages " + (dir_ / "missing.yaml").string());
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("cannot read the stage file"));
}

}  // namespace
}  // namespace kubedouble
