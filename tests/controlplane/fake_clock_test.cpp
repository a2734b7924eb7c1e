// The control plane in process, on the fake clock: nothing happens until the clock moves, and
// the same inputs give the same pods, names and addresses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/server.h>
#include <kubedouble/fakeserver/store.h>

#include <chrono>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "controlplane/fake_cluster.h"

namespace kubedouble::controlplane {
namespace {

using fake::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::vector<std::string> Names(const json& items) {
  std::vector<std::string> out;
  for (const auto& i : items) out.push_back(i["metadata"]["name"]);
  return out;
}

TEST(ControlPlaneFakeClock, NothingHappensUntilTheClockMoves) {
  Cluster c;
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 3, "nginx:1.27"));
  EXPECT_TRUE(c.List("apps", "v1", "replicasets", "default").empty());
  EXPECT_TRUE(c.List("", "v1", "pods", "default").empty());
  c.Advance(1s);
  json pods = c.List("", "v1", "pods", "default", "app=web");
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& p : pods) {
    EXPECT_EQ(p["status"]["phase"], "Running") << p.dump();
    EXPECT_EQ(p["spec"]["nodeName"], "kubedouble-control-plane");
    EXPECT_THAT(p["status"]["podIP"].get<std::string>(), HasSubstr("10.244.0."));
    EXPECT_EQ(p["status"]["hostIP"], "172.18.0.2");
    EXPECT_EQ(p["status"]["containerStatuses"][0]["ready"], true);
    EXPECT_EQ(p["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
    EXPECT_TRUE(p["metadata"]["labels"].contains("pod-template-hash"));
  }
  json d = c.Get("apps", "v1", "deployments", "default", "web");
  EXPECT_EQ(d["status"]["updatedReplicas"], 3);
  EXPECT_EQ(d["status"]["availableReplicas"], 3);
  EXPECT_EQ(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
}

TEST(ControlPlaneFakeClock, SameInputsGiveSameNamesAndAddresses) {
  auto run = [] {
    Cluster c;
    c.Create("apps", "v1", "deployments", "default", Deployment("web", 4, "nginx:1.27"));
    c.Advance(1s);
    std::vector<std::string> seen;
    for (const auto& p : c.List("", "v1", "pods", "default")) {
      seen.push_back(p["metadata"]["name"].get<std::string>() + " " +
                     p["status"]["podIP"].get<std::string>());
    }
    return seen;
  };
  auto first = run();
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(first, run());
}

TEST(ControlPlaneFakeClock, RollingUpdateReplacesEveryPod) {
  Cluster c;
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 4, "nginx:1.27"));
  c.Advance(1s);
  json d = c.Get("apps", "v1", "deployments", "default", "web");
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28";
  c.store().Update(c.Res("apps", "v1", "deployments"), "default", "web", d);
  c.Advance(1s);
  json pods = c.List("", "v1", "pods", "default", "app=web");
  ASSERT_EQ(pods.size(), 4u);
  for (const auto& p : pods) EXPECT_EQ(p["spec"]["containers"][0]["image"], "nginx:1.28");
  json rss = c.List("apps", "v1", "replicasets", "default");
  ASSERT_EQ(rss.size(), 2u);
  json after = c.Get("apps", "v1", "deployments", "default", "web");
  EXPECT_EQ(after["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
  EXPECT_EQ(after["status"]["updatedReplicas"], 4);
  EXPECT_EQ(after["status"]["replicas"], 4);
}

TEST(ControlPlaneFakeClock, JobPodsSucceedAfterTheirRunTime) {
  Options o;
  o.job_pod_duration = 2s;
  Cluster c(o);
  c.Create("batch", "v1", "jobs", "default", json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi"},
    "spec": {"completions": 2, "template": {"spec": {"restartPolicy": "Never",
             "containers": [{"name": "pi", "image": "perl"}]}}}})"));
  c.Advance(1s);
  json job = c.Get("batch", "v1", "jobs", "default", "pi");
  EXPECT_EQ(job["status"]["active"], 1);
  EXPECT_FALSE(job["status"].contains("completionTime"));
  c.Advance(10s);
  job = c.Get("batch", "v1", "jobs", "default", "pi");
  EXPECT_EQ(job["status"]["succeeded"], 2) << job.dump();
  EXPECT_TRUE(job["status"].contains("completionTime"));
  bool complete = false;
  for (const auto& cond : job["status"]["conditions"]) {
    complete = complete || (cond["type"] == "Complete" && cond["status"] == "True");
  }
  EXPECT_TRUE(complete);
  for (const auto& p : c.List("", "v1", "pods", "default")) {
    EXPECT_EQ(p["status"]["phase"], "Succeeded");
  }
}

TEST(ControlPlaneFakeClock, JobPodsRunAsLongAsTheirScriptSleeps) {
  Cluster c;
  c.Create("batch", "v1", "jobs", "default", json::parse(R"({
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "slow"},
    "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "s",
        "image": "busybox", "command": ["sh", "-c", "echo a; sleep 5; echo b"]}]}}}})"));
  c.Advance(1s);
  json pods = c.List("", "v1", "pods", "default", "job-name=slow");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["status"]["phase"], "Running");  // 500 ms would have ended it
  c.Advance(5s);
  pods = c.List("", "v1", "pods", "default", "job-name=slow");
  EXPECT_EQ(pods[0]["status"]["phase"], "Succeeded");
}

TEST(ControlPlaneFakeClock, UnschedulablePodSaysWhy) {
  Cluster c(Options{.nodes = 3});
  c.Create("", "v1", "pods", "default",
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", "picky"}}},
            {"spec",
             {{"nodeSelector", {{"disk", "ssd"}}},
              {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}});
  c.Advance(1s);
  json pod = c.Get("", "v1", "pods", "default", "picky");
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  ASSERT_TRUE(pod["status"]["conditions"].is_array());
  EXPECT_EQ(pod["status"]["conditions"][0]["reason"], "Unschedulable");
  EXPECT_THAT(pod["status"]["conditions"][0]["message"].get<std::string>(),
              HasSubstr("0/3 nodes are available: 1 node(s) had untolerated taint "
                        "{node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match "
                        "Pod's node affinity/selector."));
  bool event = false;
  for (const auto& e : c.List("", "v1", "events", "default")) {
    event = event || e["reason"] == "FailedScheduling";
  }
  EXPECT_TRUE(event);
  // A node that fits arrives when a worker is labelled.
  json node = c.Get("", "v1", "nodes", "", "kubedouble-worker2");
  node["metadata"]["labels"]["disk"] = "ssd";
  c.store().Update(c.Res("", "v1", "nodes"), "", "kubedouble-worker2", node);
  c.Advance(1s);
  pod = c.Get("", "v1", "pods", "default", "picky");
  EXPECT_EQ(pod["spec"]["nodeName"], "kubedouble-worker2");
  EXPECT_EQ(pod["status"]["phase"], "Running");
}

TEST(ControlPlaneFakeClock, NodesAndLeasesFollowTheClock) {
  Cluster c(Options{.nodes = 2});
  EXPECT_EQ(Names(c.List("", "v1", "nodes")),
            (std::vector<std::string>{"kubedouble-control-plane", "kubedouble-worker"}));
  json lease = c.Get("coordination.k8s.io", "v1", "leases", "kube-node-lease", "kubedouble-worker");
  std::string renewed = lease["spec"]["renewTime"];
  c.Advance(11s);
  lease = c.Get("coordination.k8s.io", "v1", "leases", "kube-node-lease", "kubedouble-worker");
  EXPECT_NE(lease["spec"]["renewTime"], renewed);
}

// The control plane stores what it makes whole itself (nodes, leases, their Events, the
// kubernetes Service, a namespace's ServiceAccount and kube-root-ca.crt, a pod's binding and
// status) without the checks of a client's write (Origin::kOwn): each such object must be one the
// checks accept as it is, and it is recorded in managedFields like any other write.
TEST(ControlPlaneFakeClock, ItsOwnObjectsPassTheChecksOfAClientsWrite) {
  Cluster c(Options{.nodes = 2}, /*fixtures=*/true);
  c.Create("", "v1", "namespaces", "",
           {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  c.Create("apps", "v1", "deployments", "team", Deployment("web", 2, "nginx"));
  c.Advance(30s);
  std::set<std::string> seen;
  for (const auto& [group, plural] :
       std::vector<std::pair<std::string, std::string>>{{"", "nodes"},
                                                        {"coordination.k8s.io", "leases"},
                                                        {"", "namespaces"},
                                                        {"", "services"},
                                                        {"", "endpoints"},
                                                        {"discovery.k8s.io", "endpointslices"},
                                                        {"", "serviceaccounts"},
                                                        {"", "configmaps"},
                                                        {"", "events"},
                                                        {"", "pods"}}) {
    const fake::ResourceInfo& res = c.Res(group, "v1", plural);
    for (const auto& item : c.List(group, "v1", plural)) {
      const std::string ns = item["metadata"].value("namespace", "");
      const std::string name = item["metadata"]["name"];
      SCOPED_TRACE(plural + " " + ns + "/" + name);
      fake::WriteOptions check;
      check.dry_run = true;
      EXPECT_NO_THROW(c.store().Update(res, ns, name, item, check));
      if (plural == "pods") {
        check.status_only = true;
        EXPECT_NO_THROW(c.store().Update(res, ns, name, item, check));
      }
      seen.insert(plural);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  json node = c.Get("", "v1", "nodes", "", "kubedouble-worker");
  ASSERT_TRUE(node["metadata"]["managedFields"].is_array());
  EXPECT_EQ(node["metadata"]["managedFields"][0]["manager"], "kube-controller-manager");
  json pod = c.List("", "v1", "pods", "team")[0];
  EXPECT_EQ(pod["status"]["phase"], "Running");
  std::set<std::string> managers;
  for (const auto& m : pod["metadata"]["managedFields"]) managers.insert(m["manager"]);
  EXPECT_TRUE(managers.count("kubelet")) << pod["metadata"]["managedFields"].dump();
}

TEST(ControlPlaneFakeClock, NamespacesGetTheirServiceAccountAndCaConfigMap) {
  Cluster c;
  c.Create("", "v1", "namespaces", "",
           {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  c.Advance(1s);
  EXPECT_NO_THROW(c.Get("", "v1", "serviceaccounts", "team", "default"));
  json cm = c.Get("", "v1", "configmaps", "team", "kube-root-ca.crt");
  EXPECT_EQ(cm["data"]["ca.crt"], c.server().ca_pem());
}

TEST(ControlPlaneFakeClock, KubernetesServicePointsAtTheServer) {
  Cluster c;
  json svc = c.Get("", "v1", "services", "default", "kubernetes");
  EXPECT_EQ(svc["spec"]["clusterIP"], "10.96.0.1");
  json ep = c.Get("", "v1", "endpoints", "default", "kubernetes");
  EXPECT_EQ(ep["subsets"][0]["addresses"][0]["ip"], "127.0.0.1");
  EXPECT_EQ(ep["subsets"][0]["ports"][0]["port"], c.server().port());
}

TEST(ControlPlaneFakeClock, ServiceEndpointsListReadyPods) {
  Cluster c;
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 2, "nginx:1.27"));
  c.Create("", "v1", "services", "default",
           {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", "web"}}},
            {"spec",
             {{"selector", {{"app", "web"}}}, {"ports", {{{"port", 80}, {"targetPort", 8080}}}}}}});
  c.Advance(1s);
  json ep = c.Get("", "v1", "endpoints", "default", "web");
  ASSERT_EQ(ep["subsets"][0]["addresses"].size(), 2u) << ep.dump();
  EXPECT_EQ(ep["subsets"][0]["ports"][0]["port"], 8080);
  json slices = c.List("discovery.k8s.io", "v1", "endpointslices", "default",
                       "kubernetes.io/service-name=web");
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0]["endpoints"].size(), 2u);
}

TEST(ControlPlaneFakeClock, DeletingADeploymentTakesItsPods) {
  Cluster c;
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 2, "nginx:1.27"));
  c.Advance(1s);
  ASSERT_EQ(c.List("", "v1", "pods", "default").size(), 2u);
  c.store().Delete(c.Res("apps", "v1", "deployments"), "default", "web");
  c.Advance(1s);
  EXPECT_TRUE(c.List("apps", "v1", "replicasets", "default").empty());
  EXPECT_TRUE(c.List("", "v1", "pods", "default").empty());
}

TEST(ControlPlaneFakeClock, StatefulSetPodsHaveOrdinalNamesAndStartInOrder) {
  Cluster c(Options{.nodes = 2});
  c.Create("apps", "v1", "statefulsets", "default", json::parse(R"({
    "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
    "spec": {"serviceName": "db", "replicas": 3, "selector": {"matchLabels": {"app": "db"}},
             "template": {"metadata": {"labels": {"app": "db"}},
                          "spec": {"containers": [{"name": "db", "image": "postgres:16"}]}}}})"));
  c.Advance(1s);
  EXPECT_EQ(Names(c.List("", "v1", "pods", "default", "app=db")),
            (std::vector<std::string>{"db-0", "db-1", "db-2"}));
  json pod = c.Get("", "v1", "pods", "default", "db-1");
  EXPECT_EQ(pod["spec"]["hostname"], "db-1");
  EXPECT_EQ(pod["spec"]["subdomain"], "db");
  EXPECT_EQ(pod["status"]["phase"], "Running");
  // Each pod was made once the one before it ran: the creation events come in order.
  std::vector<std::string> created;
  for (const auto& e : c.List("", "v1", "events", "default")) {
    if (e["reason"] == "SuccessfulCreate") created.push_back(e["message"]);
  }
  EXPECT_EQ(created, (std::vector<std::string>{"create Pod db-0 in StatefulSet db successful",
                                               "create Pod db-1 in StatefulSet db successful",
                                               "create Pod db-2 in StatefulSet db successful"}));
  json sts = c.Get("apps", "v1", "statefulsets", "default", "db");
  EXPECT_EQ(sts["status"]["readyReplicas"], 3);
}

TEST(ControlPlaneFakeClock, DaemonSetRunsOnePodPerSchedulableNode) {
  Cluster c(Options{.nodes = 3});  // the control-plane node is tainted
  c.Create("apps", "v1", "daemonsets", "default", json::parse(R"({
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
    "spec": {"selector": {"matchLabels": {"app": "agent"}},
             "template": {"metadata": {"labels": {"app": "agent"}},
                          "spec": {"containers": [{"name": "a", "image": "fluentd"}]}}}})"));
  c.Advance(1s);
  std::set<std::string> nodes;
  for (const auto& p : c.List("", "v1", "pods", "default", "app=agent")) {
    nodes.insert(p["spec"]["nodeName"]);
    EXPECT_EQ(p["status"]["phase"], "Running");
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"kubedouble-worker", "kubedouble-worker2"}));
  json ds = c.Get("apps", "v1", "daemonsets", "default", "agent");
  EXPECT_EQ(ds["status"]["desiredNumberScheduled"], 2);
  EXPECT_EQ(ds["status"]["numberReady"], 2);
}

TEST(ControlPlaneFakeClock, CronJobMakesAJobWhenTheScheduleComesRound) {
  Cluster c;
  c.Create("batch", "v1", "cronjobs", "default", json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
    "spec": {"schedule": "*/5 * * * *",
             "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never",
                 "containers": [{"name": "t", "image": "busybox"}]}}}}}})"));
  c.Advance(1s);
  EXPECT_TRUE(c.List("batch", "v1", "jobs", "default").empty());
  c.Advance(5min);
  json jobs = c.List("batch", "v1", "jobs", "default");
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_THAT(jobs[0]["metadata"]["name"].get<std::string>(), HasSubstr("tick-"));
  EXPECT_EQ(jobs[0]["metadata"]["ownerReferences"][0]["kind"], "CronJob");
  c.Advance(1min);  // its pod runs and the Job completes
  json cj = c.Get("batch", "v1", "cronjobs", "default", "tick");
  EXPECT_TRUE(cj["status"].contains("lastScheduleTime")) << cj.dump();
  EXPECT_TRUE(cj["status"].contains("lastSuccessfulTime")) << cj.dump();
  c.Advance(20min);  // four more runs; three successful Jobs are kept
  EXPECT_EQ(c.List("batch", "v1", "jobs", "default").size(), 3u);
}

TEST(ControlPlaneFakeClock, KubeletConfirmsAGracefulPodDeletion) {
  Cluster c;
  c.Create("", "v1", "pods", "default",
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", "solo"}}},
            {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}});
  c.Advance(1s);
  ASSERT_EQ(c.Get("", "v1", "pods", "default", "solo")["status"]["phase"], "Running");
  c.store().Delete(c.Res("", "v1", "pods"), "default", "solo");  // 30 s of grace
  json marked = c.Get("", "v1", "pods", "default", "solo");
  EXPECT_TRUE(marked["metadata"].contains("deletionTimestamp"));
  c.Advance(1s);  // long before the grace period ends, the kubelet has stopped it
  EXPECT_TRUE(c.List("", "v1", "pods", "default").empty());
  bool killing = false;
  for (const auto& e : c.List("", "v1", "events", "default")) {
    killing = killing || (e["reason"] == "Killing" && e["message"] == "Stopping container c");
  }
  EXPECT_TRUE(killing);
}

json Budget(const std::string& name, json spec) {
  return {{"apiVersion", "policy/v1"},
          {"kind", "PodDisruptionBudget"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

TEST(ControlPlaneFakeClock, DisruptionBudgetsCountReadyPodsAgainstTheirControllersScale) {
  Cluster c;
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 4, "nginx:1.27"));
  const json web = {{"matchLabels", {{"app", "web"}}}};
  c.Create("policy", "v1", "poddisruptionbudgets", "default",
           Budget("by-max", {{"maxUnavailable", "25%"}, {"selector", web}}));
  c.Create("policy", "v1", "poddisruptionbudgets", "default",
           Budget("by-min", {{"minAvailable", 3}, {"selector", web}}));
  c.Create("policy", "v1", "poddisruptionbudgets", "default",
           Budget("half", {{"minAvailable", "50%"}, {"selector", web}}));
  c.Create(
      "policy", "v1", "poddisruptionbudgets", "default",
      Budget("none", {{"maxUnavailable", 1}, {"selector", {{"matchLabels", {{"app", "x"}}}}}}));
  c.Create("", "v1", "pods", "default",
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", "solo"}, {"labels", {{"app", "solo"}}}}},
            {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}});
  c.Create("policy", "v1", "poddisruptionbudgets", "default",
           Budget("bare",
                  {{"minAvailable", "50%"}, {"selector", {{"matchLabels", {{"app", "solo"}}}}}}));
  c.Advance(1s);
  auto status = [&](const std::string& name) {
    return c.Get("policy", "v1", "poddisruptionbudgets", "default", name)["status"];
  };
  json s = status("by-max");
  EXPECT_EQ(s["expectedPods"], 4) << s.dump();
  EXPECT_EQ(s["desiredHealthy"], 3);
  EXPECT_EQ(s["currentHealthy"], 4);
  EXPECT_EQ(s["disruptionsAllowed"], 1);
  EXPECT_EQ(s["observedGeneration"], 1);
  EXPECT_EQ(s["conditions"][0]["type"], "DisruptionAllowed");
  EXPECT_EQ(s["conditions"][0]["status"], "True");
  EXPECT_EQ(s["conditions"][0]["reason"], "SufficientPods");
  s = status("by-min");
  EXPECT_EQ(s["desiredHealthy"], 3);
  EXPECT_EQ(s["disruptionsAllowed"], 1);
  s = status("half");
  EXPECT_EQ(s["desiredHealthy"], 2);
  EXPECT_EQ(s["disruptionsAllowed"], 2);
  s = status("none");
  EXPECT_EQ(s["expectedPods"], 0) << s.dump();
  EXPECT_EQ(s["disruptionsAllowed"], 0);
  EXPECT_EQ(s["conditions"][0]["reason"], "InsufficientPods");
  s = status("bare");  // a percentage of pods without a controller cannot be computed
  EXPECT_EQ(s["disruptionsAllowed"], 0) << s.dump();
  EXPECT_EQ(s["conditions"][0]["reason"], "SyncFailed");
  EXPECT_EQ(s["conditions"][0]["message"], "found no controller ref for pod \"solo\"");

  // A pod of web goes: until its replacement is ready, the budgets count one less.
  json pods = c.List("", "v1", "pods", "default", "app=web");
  c.store().Delete(c.Res("", "v1", "pods"), "default", pods[0]["metadata"]["name"]);
  EXPECT_EQ(status("by-min")["currentHealthy"], 4);  // not until the clock moves
  c.Advance(1s);
  EXPECT_EQ(status("by-min")["currentHealthy"], 4);
  EXPECT_EQ(c.List("", "v1", "pods", "default", "app=web").size(), 4u);
}

TEST(ControlPlaneFakeClock, ControllersNoneLeavesTheClusterEmpty) {
  Cluster c(Options{.controllers = ParseControllers("none")});
  c.Create("apps", "v1", "deployments", "default", Deployment("web", 2, "nginx:1.27"));
  c.Advance(1s);
  EXPECT_TRUE(c.List("", "v1", "nodes").empty());
  EXPECT_TRUE(c.List("", "v1", "pods", "default").empty());
}

TEST(ControlPlaneControllers, ParsesNamesAndRefusesUnknownOnes) {
  EXPECT_EQ(ParseControllers("all").size(), AllControllers().size());
  EXPECT_EQ(ParseControllers("node, scheduler"), (std::set<std::string>{"node", "scheduler"}));
  try {
    ParseControllers("node,schedular");
    FAIL() << "accepted an unknown controller";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown controller \"schedular\""));
    EXPECT_THAT(e.what(), HasSubstr("scheduler"));
  }
}

}  // namespace
}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
namespace {

// On the real clock: WaitIdle returns once the control plane has handled what it found, even
// when starting it wrote nothing that would wake it (no node controller: the node and the pod
// were there before).
TEST(ControlPlaneRealClock, WaitIdleReturnsWithThePodsFoundAtStartRunning) {
  fake::ServerOptions o;
  o.default_fixtures = false;
  fake::TestServer srv(o);
  auto& store = srv.server().store();
  store.Create(*store.registry()->Find("", "v1", "nodes"), "",
               json::parse(R"({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
                 "spec": {"podCIDR": "10.244.7.0/24"},
                 "status": {"conditions": [{"type": "Ready", "status": "True"}],
                            "allocatable": {"pods": "10", "cpu": "4", "memory": "8Gi"},
                            "addresses": [{"type": "InternalIP", "address": "172.18.0.9"}]}})"));
  store.Create(*store.registry()->Find("", "v1", "pods"), "default",
               json::parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}})"));
  ControlPlane cp(srv.server(), {.controllers = ParseControllers("scheduler,kubelet")});
  cp.Start();
  ASSERT_TRUE(cp.WaitIdle());
  json pod = store.Get(*store.registry()->Find("", "v1", "pods"), "default", "p");
  EXPECT_EQ(pod["spec"]["nodeName"], "n1");
  EXPECT_EQ(pod["status"]["phase"], "Running") << pod.dump();
  EXPECT_EQ(pod["status"]["podIP"], "10.244.7.2");
}

}  // namespace
}  // namespace kubedouble::controlplane
