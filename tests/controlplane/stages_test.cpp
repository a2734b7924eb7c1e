// Pod stages on the fake clock: what the kubelet does with the pods a stage selects — start
// delays, containers that never become ready, exits that end the pod, restarts with the
// kubelet's back-off — and how a stage file that cannot be read is reported.
#include <kubedouble/controlplane/stages.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "controlplane/fake_cluster.h"

namespace kubedouble::controlplane {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

Options WithStages(const std::string& yaml) {
  Options o;
  o.stages = ParsePodStages(yaml, "stages.yaml");
  return o;
}

json Pod(const std::string& name, const std::string& restart_policy, json labels = json::object()) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", labels}}},
          {"spec",
           {{"restartPolicy", restart_policy},
            {"containers", {{{"name", "main"}, {"image", "busybox:1.36"}}}}}}};
}

// A Job "x" of one busybox container.
json Job(const std::string& restart_policy, int backoff_limit = 6) {
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", "x"}}},
          {"spec",
           {{"backoffLimit", backoff_limit},
            {"template",
             {{"spec",
               {{"restartPolicy", restart_policy},
                {"containers", {{{"name", "x"}, {"image", "busybox"}}}}}}}}}}};
}

const json& Container(const json& pod) { return pod["status"]["containerStatuses"][0]; }

std::string Condition(const json& object, const std::string& type, const char* field = "status") {
  for (const auto& c : object["status"]["conditions"]) {
    if (c["type"] == type) return c.value(field, "");
  }
  return "";
}

// The messages of the Events with `reason` in namespace default.
std::vector<std::string> Events(Cluster& c, const std::string& reason) {
  std::vector<std::string> out;
  for (const auto& e : c.List("", "v1", "events", "default")) {
    if (e["reason"] == reason) out.push_back(e["message"]);
  }
  return out;
}

constexpr const char* kCrashLoop = R"(
apiVersion: kubedouble.dev/v1alpha1
kind: PodStage
metadata: {name: crash}
spec:
  selector: {matchLabels: {app: crash}}
  exit: {code: 1, after: 2s}
)";

TEST(PodStages, CrashLoopBacksOffTenSecondsDoublingAsTheKubeletDoes) {
  Cluster c(WithStages(kCrashLoop));
  c.Create("", "v1", "pods", "default", Pod("crash", "Always", {{"app", "crash"}}));
  c.Advance(1s);
  json pod = c.Get("", "v1", "pods", "default", "crash");
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(Container(pod)["restartCount"], 0);
  c.Advance(2s);  // t=3s: it exited at 2s and was restarted at once
  pod = c.Get("", "v1", "pods", "default", "crash");
  EXPECT_EQ(Container(pod)["restartCount"], 1);
  EXPECT_TRUE(Container(pod)["state"].contains("running")) << pod.dump();
  EXPECT_EQ(Container(pod)["lastState"]["terminated"]["exitCode"], 1);
  EXPECT_EQ(Container(pod)["lastState"]["terminated"]["reason"], "Error");
  c.Advance(2s);  // t=5s: the second exit, at 4s, waits 10s
  pod = c.Get("", "v1", "pods", "default", "crash");
  const std::string uid = pod["metadata"]["uid"];
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(Container(pod)["restartCount"], 1);
  EXPECT_EQ(Container(pod)["ready"], false);
  EXPECT_EQ(Container(pod)["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(Container(pod)["state"]["waiting"]["message"],
            "back-off 10s restarting failed container=main pod=crash_default(" + uid + ")");
  EXPECT_EQ(Condition(pod, "Ready"), "False");
  EXPECT_EQ(Condition(pod, "Ready", "reason"), "ContainersNotReady");
  EXPECT_EQ(Condition(pod, "Ready", "message"), "containers with unready status: [main]");
  EXPECT_THAT(Events(c, "BackOff"),
              ::testing::Contains(
                  "Back-off restarting failed container main in pod crash_default(" + uid + ")"));
  c.Advance(9s);  // t=14s: restarted at 14s
  EXPECT_EQ(Container(c.Get("", "v1", "pods", "default", "crash"))["restartCount"], 2);
  c.Advance(3s);  // t=17s: exited at 16s, now 20s of back-off
  pod = c.Get("", "v1", "pods", "default", "crash");
  EXPECT_THAT(Container(pod)["state"]["waiting"]["message"].get<std::string>(),
              StartsWith("back-off 20s restarting"));
  c.Advance(1h);  // the back-off stops growing at 5 minutes
  pod = c.Get("", "v1", "pods", "default", "crash");
  EXPECT_THAT(Container(pod)["state"]["waiting"]["message"].get<std::string>(),
              StartsWith("back-off 5m0s restarting"));
  // Restarts at 2s, 14s, 36s, 78s, 160s, 322s, then every 302s up to 3617s: 16 in all.
  EXPECT_EQ(Container(pod)["restartCount"], 16);
  // One BackOff Event and one Started Event, counted up as client-go's recorder does.
  int backoffs = 0;
  for (const auto& e : c.List("", "v1", "events", "default")) {
    if (e["reason"] == "BackOff") {
      ++backoffs;
      EXPECT_EQ(e["count"], 16) << e.dump();
    }
    if (e["reason"] == "Started") {
      EXPECT_EQ(e["count"], 17) << e.dump();
    }
  }
  EXPECT_EQ(backoffs, 1);
}

TEST(PodStages, RestartsTheGivenNumberOfTimesThenRuns) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: flaky}
spec:
  selector: {names: [flaky]}
  exit: {code: 137, after: 1s, times: 2}
)"));
  c.Create("", "v1", "pods", "default", Pod("flaky", "Always"));
  c.Advance(1min);
  json pod = c.Get("", "v1", "pods", "default", "flaky");
  EXPECT_EQ(Container(pod)["restartCount"], 2);
  EXPECT_EQ(Container(pod)["ready"], true);
  EXPECT_TRUE(Container(pod)["state"].contains("running"));
  EXPECT_EQ(Container(pod)["lastState"]["terminated"]["exitCode"], 137);
  EXPECT_EQ(Condition(pod, "Ready"), "True");
}

TEST(PodStages, ExitUnderRestartPolicyNeverEndsThePod) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: fail}
spec:
  selector: {matchAnnotations: {fate: fail}}
  exit: {code: 3, after: 5s}
---
kind: PodStage
metadata: {name: succeed}
spec:
  selector: {matchAnnotations: {fate: succeed}}
  exit: {code: 0, after: 5s}
)"));
  json failing = Pod("failing", "Never"), done = Pod("done", "Never");
  failing["metadata"]["annotations"] = {{"fate", "fail"}};
  done["metadata"]["annotations"] = {{"fate", "succeed"}};
  c.Create("", "v1", "pods", "default", failing);
  c.Create("", "v1", "pods", "default", done);
  c.Advance(4s);
  EXPECT_EQ(c.Get("", "v1", "pods", "default", "failing")["status"]["phase"], "Running");
  c.Advance(2s);
  json pod = c.Get("", "v1", "pods", "default", "failing");
  EXPECT_EQ(pod["status"]["phase"], "Failed");
  EXPECT_EQ(Container(pod)["state"]["terminated"]["exitCode"], 3);
  EXPECT_EQ(Container(pod)["state"]["terminated"]["reason"], "Error");
  EXPECT_EQ(Container(pod)["restartCount"], 0);
  EXPECT_EQ(Condition(pod, "Ready", "reason"), "PodFailed");
  EXPECT_EQ(Condition(pod, "ContainersReady", "reason"), "PodFailed");
  EXPECT_EQ(Condition(pod, "Initialized"), "True");
  EXPECT_EQ(Condition(pod, "Initialized", "reason"), "");  // PodCompleted only on success
  pod = c.Get("", "v1", "pods", "default", "done");
  EXPECT_EQ(pod["status"]["phase"], "Succeeded");
  EXPECT_EQ(Container(pod)["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(Condition(pod, "Initialized", "reason"), "PodCompleted");
  EXPECT_EQ(Condition(pod, "Ready", "reason"), "PodCompleted");
}

TEST(PodStages, AnExitCanSayWhyAsTheRuntimeDoes) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: oom}
spec:
  exit: {code: 137, after: 1s, reason: OOMKilled, message: "memory limit 64Mi"}
)"));
  c.Create("", "v1", "pods", "default", Pod("once", "Never"));
  c.Create("", "v1", "pods", "default", Pod("again", "Always"));
  c.Advance(5s);
  json terminated = Container(c.Get("", "v1", "pods", "default", "once"))["state"]["terminated"];
  EXPECT_EQ(terminated["reason"], "OOMKilled");
  EXPECT_EQ(terminated["exitCode"], 137);
  EXPECT_EQ(terminated["message"], "memory limit 64Mi");
  json last = Container(c.Get("", "v1", "pods", "default", "again"))["lastState"]["terminated"];
  EXPECT_EQ(last["reason"], "OOMKilled");
}

TEST(PodStages, AnImageThatCannotBePulledBacksOff) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: missing-image}
spec:
  selector: {names: [missing]}
  pullError: true
---
kind: PodStage
metadata: {name: flaky-registry}
spec:
  selector: {names: [flaky]}
  pullError: {times: 2}
)"));
  c.Create("", "v1", "pods", "default", Pod("missing", "Always"));
  c.Create("", "v1", "pods", "default", Pod("flaky", "Always"));
  c.Advance(1s);
  json pod = c.Get("", "v1", "pods", "default", "missing");
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  EXPECT_EQ(Container(pod)["state"]["waiting"]["reason"], "ImagePullBackOff");
  EXPECT_EQ(Container(pod)["state"]["waiting"]["message"],
            "Back-off pulling image \"busybox:1.36\"");
  EXPECT_EQ(Condition(pod, "Ready", "reason"), "ContainersNotReady");
  EXPECT_THAT(
      Events(c, "Failed"),
      ::testing::IsSupersetOf(
          {"Failed to pull image \"busybox:1.36\": rpc error: code = NotFound desc = failed "
           "to pull and unpack image \"docker.io/library/busybox:1.36\": failed to resolve "
           "reference \"docker.io/library/busybox:1.36\": docker.io/library/busybox:1.36: "
           "not found",
           "Error: ErrImagePull", "Error: ImagePullBackOff"}));
  EXPECT_THAT(Events(c, "BackOff"), ::testing::Contains("Back-off pulling image \"busybox:1.36\""));
  const std::string ip = c.Get("", "v1", "pods", "default", "flaky")["status"]["podIP"];
  c.Advance(1min);  // flaky: pulls at 0 s and 10 s fail, the one at 30 s works
  pod = c.Get("", "v1", "pods", "default", "flaky");
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(pod["status"]["podIP"], ip);  // the sandbox's address is kept
  EXPECT_EQ(Container(pod)["ready"], true);
  EXPECT_EQ(c.Get("", "v1", "pods", "default", "missing")["status"]["phase"], "Pending");
}

TEST(PodStages, StartDelayKeepsThePodInContainerCreating) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: slow}
spec:
  selector: {namespaces: [default], matchExpressions: [{key: app, operator: In, values: [slow]}]}
  startDelay: 10s
)"));
  c.Create("", "v1", "pods", "default", Pod("slow", "Always", {{"app", "slow"}}));
  c.Create("", "v1", "pods", "default", Pod("quick", "Always", {{"app", "quick"}}));
  c.Advance(5s);
  json pod = c.Get("", "v1", "pods", "default", "slow");
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  EXPECT_EQ(Container(pod)["state"]["waiting"]["reason"], "ContainerCreating");
  EXPECT_EQ(Condition(pod, "PodScheduled"), "True");
  EXPECT_EQ(Condition(pod, "Ready"), "False");
  EXPECT_FALSE(pod["status"].contains("podIP"));
  EXPECT_EQ(c.Get("", "v1", "pods", "default", "quick")["status"]["phase"], "Running");
  c.Advance(5s);
  pod = c.Get("", "v1", "pods", "default", "slow");
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(Container(pod)["ready"], true);
}

TEST(PodStages, NeverReadyPodsKeepADeploymentUnavailable) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: unready}
spec:
  selector: {matchLabels: {app: web}}
  ready: false
)"));
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 2, "nginx:1.27"));
  c.Advance(10min);
  json pods = c.List("", "v1", "pods", "default", "app=web");
  ASSERT_EQ(pods.size(), 2u);
  for (const auto& p : pods) {
    EXPECT_EQ(p["status"]["phase"], "Running");
    EXPECT_EQ(Container(p)["ready"], false);
    EXPECT_EQ(Container(p)["started"], true);
    EXPECT_EQ(Condition(p, "Ready"), "False");
  }
  json d = c.Get("apps", "v1", "deployments", "default", "web");
  EXPECT_EQ(d["status"].value("availableReplicas", 0), 0) << d.dump();
  EXPECT_TRUE(Events(c, "Unhealthy").empty());  // no probe, no probe failures
  EXPECT_EQ(d["status"].value("unavailableReplicas", 0), 2) << d.dump();
}

TEST(PodStages, ANeverReadyContainersProbeFailsAsItsKindFails) {
  Cluster c(WithStages("kind: PodStage\nmetadata: {name: unready}\nspec: {ready: false}\n"));
  json pod = Pod("probed", "Always");
  pod["spec"]["containers"] = json::parse(R"([
    {"name": "web", "image": "nginx", "readinessProbe": {"httpGet": {"path": "/", "port": 80}}},
    {"name": "db", "image": "postgres", "ports": [{"name": "pg", "containerPort": 5432}],
     "readinessProbe": {"tcpSocket": {"port": "pg"}}}])");
  c.Create("", "v1", "pods", "default", pod);
  c.Advance(1s);
  const std::string ip = c.Get("", "v1", "pods", "default", "probed")["status"]["podIP"];
  EXPECT_THAT(Events(c, "Unhealthy"),
              ::testing::UnorderedElementsAre(
                  "Readiness probe failed: HTTP probe failed with statuscode: 503",
                  "Readiness probe failed: dial tcp " + ip + ":5432: connect: connection refused"));
}

// Every Job pod fails with code 2 after 1 s.
constexpr const char* kFailingJobPods = R"(
kind: PodStage
metadata: {name: fail}
spec:
  selector: {matchExpressions: [{key: job-name, operator: Exists}]}
  exit: {code: 2, after: 1s}
)";

TEST(PodStages, FailingJobPodsReachTheBackoffLimit) {
  Cluster c(WithStages(kFailingJobPods));
  c.Create("batch", "v1", "jobs", "default", Job("Never", 2));
  c.Advance(1min);
  json job = c.Get("batch", "v1", "jobs", "default", "x");
  EXPECT_EQ(Condition(job, "Failed"), "True") << job.dump();
  EXPECT_EQ(Condition(job, "Failed", "reason"), "BackoffLimitExceeded");
  EXPECT_EQ(job["status"]["failed"], 3);
  EXPECT_EQ(c.List("", "v1", "pods", "default").size(), 3u);
}

TEST(PodStages, AJobReplacesFailedPodsAfterItsBackOff) {
  Cluster c(WithStages(kFailingJobPods));
  c.Create("batch", "v1", "jobs", "default", Job("Never", 3));
  auto pods = [&] { return c.List("", "v1", "pods", "default").size(); };
  c.Advance(10s);  // the first pod failed at 1 s: no replacement for 10 s
  EXPECT_EQ(pods(), 1u);
  c.Advance(1s);  // t=11s
  EXPECT_EQ(pods(), 2u);
  c.Advance(20s);  // t=31s: the second failed at 12 s; the back-off doubles to 20 s
  EXPECT_EQ(pods(), 2u);
  c.Advance(1s);  // t=32s
  EXPECT_EQ(pods(), 3u);
  c.Advance(40s);  // t=72s: the third failed at 33 s; 40 s more
  EXPECT_EQ(pods(), 3u);
  c.Advance(1s);
  EXPECT_EQ(pods(), 4u);
  c.Advance(1min);  // the fourth failure exceeds backoffLimit 3
  EXPECT_EQ(Condition(c.Get("batch", "v1", "jobs", "default", "x"), "Failed"), "True");
}

TEST(PodStages, OnFailureRestartsCountTowardTheBackoffLimit) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: fail}
spec:
  exit: {code: 1}
)"));
  c.Create("batch", "v1", "jobs", "default", Job("OnFailure", 3));
  c.Advance(10min);
  json job = c.Get("batch", "v1", "jobs", "default", "x");
  EXPECT_EQ(Condition(job, "Failed"), "True") << job.dump();
  EXPECT_EQ(job["status"]["failed"], 1);
}

TEST(PodStages, AJobPodRestartedTheGivenTimesThenSucceeds) {
  Cluster c(WithStages(R"(
kind: PodStage
metadata: {name: flaky}
spec:
  exit: {code: 1, after: 1s, times: 1}
)"));
  c.Create("batch", "v1", "jobs", "default", Job("OnFailure"));
  c.Advance(1min);
  json job = c.Get("batch", "v1", "jobs", "default", "x");
  EXPECT_EQ(Condition(job, "Complete"), "True") << job.dump();
  json pods = c.List("", "v1", "pods", "default");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(Container(pods[0])["restartCount"], 1);
  EXPECT_EQ(pods[0]["status"]["phase"], "Succeeded");
}

TEST(PodStages, SameInputsGiveTheSameHistory) {
  auto run = [] {
    Cluster c(WithStages(kCrashLoop));
    c.Create("", "v1", "pods", "default", Pod("crash", "Always", {{"app", "crash"}}));
    c.Advance(90s);
    json s = c.Get("", "v1", "pods", "default", "crash")["status"]["containerStatuses"][0];
    // The fake clock starts at the real time: the times and the uid differ between runs.
    return json{s["containerID"], s["restartCount"], s["state"]["waiting"]["reason"],
                s["lastState"]["terminated"]["exitCode"]}
        .dump();
  };
  std::string first = run();
  EXPECT_THAT(first, HasSubstr("CrashLoopBackOff"));
  EXPECT_EQ(first, run());
}

// Parsing.

std::string ParseError(const std::string& yaml) {
  try {
    ParsePodStages(yaml, "bad.yaml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(PodStageFiles, ReadEveryField) {
  auto stages = ParsePodStages(R"(
apiVersion: kubedouble.dev/v1alpha1
kind: PodStage
metadata: {name: a}
spec:
  selector:
    matchLabels: {app: a}
    matchExpressions: [{key: tier, operator: NotIn, values: [web]}]
    matchAnnotations: {x: "1"}
    names: [p]
    namespaces: [ns]
  startDelay: 1.5s
  ready: false
  exit: {code: 42, after: 250ms, times: 3}
---
---
kind: PodStage
metadata: {name: b}
spec: {}
)",
                               "s.yaml");
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0].name, "a");
  EXPECT_EQ(stages[0].origin, "s.yaml:2");
  EXPECT_EQ(stages[0].start_delay, 1500ms);
  EXPECT_FALSE(stages[0].ready);
  ASSERT_TRUE(stages[0].exit);
  EXPECT_EQ(stages[0].exit->code, 42);
  EXPECT_EQ(stages[0].exit->after, 250ms);
  EXPECT_EQ(stages[0].exit->times, 3);
  EXPECT_TRUE(stages[1].ready);
  EXPECT_FALSE(stages[1].exit);
  json pod = {{"metadata",
               {{"name", "p"},
                {"namespace", "ns"},
                {"labels", {{"app", "a"}}},
                {"annotations", {{"x", "1"}}}}}};
  EXPECT_TRUE(StageSelects(stages[0], pod));
  pod["metadata"]["labels"]["tier"] = "web";
  EXPECT_FALSE(StageSelects(stages[0], pod));
  EXPECT_TRUE(StageSelects(stages[1], pod));  // no selector: every pod
}

TEST(PodStageFiles, ErrorsNameTheFileTheLineAndTheProblem) {
  EXPECT_EQ(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  exit: {code: 1, after: "
                       "soon}\n"),
            "bad.yaml:4: spec.exit.after: time: invalid duration \"soon\"");
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  readyy: false\n"),
              HasSubstr("bad.yaml:4: unknown field \"readyy\" in spec (known: selector, "
                        "startDelay, pullError, ready, exit, ports)"));
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  selector:\n"
                         "    matchExpressions:\n    - {key: a, operator: Has}\n"),
              HasSubstr("bad.yaml:6: spec.selector.matchExpressions[0].operator \"Has\" is not "
                        "In, NotIn, Exists or DoesNotExist"));
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  exit: {code: 300}\n"),
              HasSubstr("bad.yaml:4: spec.exit.code must be a whole number from 0 to 255"));
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  exit: {after: 1s}\n"),
              HasSubstr("bad.yaml:4: spec.exit needs a code"));
  EXPECT_THAT(ParseError("apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: a}\n"),
              HasSubstr("bad.yaml:2: kwok's Stage resources are not read"));
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec: {}\n---\nkind: PodStage\n"
                         "metadata: {name: a}\nspec: {}\n"),
              HasSubstr("bad.yaml:5: a second stage named \"a\""));
  EXPECT_THAT(ParseError("kind: PodStage\nspec: [\n"), HasSubstr("bad.yaml:"));
  EXPECT_THAT(ParseError("kind: PodStage\nspec: [\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  exit: {code: 1, "
                         "reason: out of memory}\n"),
              HasSubstr("bad.yaml:4: spec.exit.reason must be one CamelCase word"));
  EXPECT_THAT(ParseError("kind: PodStage\nmetadata: {name: a}\nspec:\n  ready: maybe\n"),
              HasSubstr("bad.yaml:4: spec.ready must be true or false"));
}

TEST(PodStageFiles, PortRulesSayWhatContainerPortsAnswer) {
  auto stages = ParsePodStages(R"(
kind: PodStage
metadata: {name: ports}
spec:
  ports:
  - port: 8080
    container: web
    http:
    - {path: /healthz, method: GET, status: 503, headers: {Retry-After: "5"}, body: not yet}
    - {path: "/api/*"}
  - {port: metrics, closed: true}
  - {port: 9000, echo: true}
  - {tls: true}
)",
                               "p.yaml");
  ASSERT_EQ(stages.size(), 1u);
  const auto& ports = stages[0].ports;
  ASSERT_EQ(ports.size(), 4u);
  EXPECT_EQ(ports[0].port, "8080");
  EXPECT_EQ(ports[0].container, "web");
  ASSERT_EQ(ports[0].answers.size(), 2u);
  EXPECT_EQ(ports[0].answers[0].status, 503);
  EXPECT_EQ(ports[0].answers[0].method, "GET");
  EXPECT_EQ(ports[0].answers[0].headers, (fake::HeaderList{{"Retry-After", "5"}}));
  EXPECT_EQ(ports[0].answers[0].body, "not yet");
  EXPECT_EQ(ports[0].answers[1].status, 200);
  EXPECT_EQ(ports[1].port, "metrics");
  EXPECT_EQ(ports[1].mode, fake::PortRule::Mode::kClosed);
  EXPECT_EQ(ports[2].mode, fake::PortRule::Mode::kEcho);
  EXPECT_TRUE(ports[3].tls);
  EXPECT_EQ(ports[3].port, "");
}

TEST(PodStageFiles, BadPortRulesNameTheLineAndTheField) {
  const std::string head = "kind: PodStage\nmetadata: {name: a}\nspec:\n  ports:\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"  - {port: 70000}\n",
       "bad.yaml:5: spec.ports[0].port must be a whole number from 1 to 65535"},
      {"  - {port: Web_Port}\n",
       "bad.yaml:5: spec.ports[0].port must be a port number (1 to 65535) or a containerPort name"},
      {"  - {port: 80, echo: true, closed: true}\n",
       "bad.yaml:5: spec.ports[0]: echo and closed exclude each other"},
      {"  - {port: 80, echo: true, http: [{path: /}]}\n",
       "bad.yaml:5: spec.ports[0].http needs an HTTP port (not echo, not closed)"},
      {"  - {port: 80, http: [{path: healthz}]}\n",
       "bad.yaml:5: spec.ports[0].http[0].path must start with /"},
      {"  - port: 80\n    http:\n    - {path: /, status: 700}\n",
       "bad.yaml:7: spec.ports[0].http[0].status must be a whole number from 100 to 599"},
      {"  - {port: 80, http: [{path: /, method: get}]}\n",
       "bad.yaml:5: spec.ports[0].http[0].method must be an upper-case HTTP method"},
      {"  - {port: 80, http: [{path: /, headers: {\"a b\": x}}]}\n",
       "bad.yaml:5: spec.ports[0].http[0].headers: \"a b\" is not a header name"},
      {"  - {port: 80, htpp: []}\n",
       "bad.yaml:5: unknown field \"htpp\" in spec.ports[0] (known: port, container, echo, "
       "closed, tls, http)"},
      {"  - {port: 80, http: [{body: x}]}\n", "bad.yaml:5: spec.ports[0].http[0] needs a path"},
  };
  for (const auto& [yaml, error] : cases) {
    EXPECT_THAT(ParseError(head + yaml), HasSubstr(error)) << yaml;
  }
}

TEST(PodStageFiles, RestartBackOffDoublesFromTenSecondsToFiveMinutes) {
  EXPECT_EQ(RestartBackOff(1), 0s);
  EXPECT_EQ(RestartBackOff(2), 10s);
  EXPECT_EQ(RestartBackOff(3), 20s);
  EXPECT_EQ(RestartBackOff(6), 160s);
  EXPECT_EQ(RestartBackOff(7), 300s);
  EXPECT_EQ(RestartBackOff(100), 300s);
}

}  // namespace
}  // namespace kubedouble::controlplane
