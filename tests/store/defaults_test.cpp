// Defaulting: what a 1.32 API server fills in for Pods, Services, workloads, Jobs and CronJobs.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::MatchesRegex;

class DefaultsTest : public StoreTest {
 protected:
  static json Template(const std::string& app, const std::string& image = "nginx:1.27") {
    return {{"metadata", {{"labels", {{"app", app}}}}},
            {"spec", {{"containers", {{{"name", "main"}, {"image", image}}}}}}};
  }
  static json Workload(const std::string& name) {
    return {
        {"metadata", {{"name", name}}},
        {"spec", {{"selector", {{"matchLabels", {{"app", name}}}}}, {"template", Template(name)}}}};
  }
};

TEST_F(DefaultsTest, PodGetsSpecContainerAndAdmissionDefaults) {
  json body = PodBody("web");
  body["spec"]["containers"].push_back(
      {{"name", "pinned"}, {"image", "nginx:1.27"}, {"ports", {{{"containerPort", 80}}}}});
  body["spec"]["containers"].push_back({{"name", "latest"}, {"image", "registry:5000/app:latest"}});
  auto pod = store_->Create(pods_, "default", body);
  const json& spec = pod["spec"];
  EXPECT_EQ(spec["restartPolicy"], "Always");
  EXPECT_EQ(spec["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(spec["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(spec["schedulerName"], "default-scheduler");
  EXPECT_EQ(spec["serviceAccountName"], "default");
  EXPECT_EQ(spec["serviceAccount"], "default");
  EXPECT_EQ(spec["securityContext"], json::object());
  EXPECT_EQ(spec["enableServiceLinks"], true);
  EXPECT_EQ(spec["priority"], 0);
  EXPECT_EQ(spec["preemptionPolicy"], "PreemptLowerPriority");
  EXPECT_EQ(spec["tolerations"], json::parse(R"([
    {"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists",
     "tolerationSeconds":300},
    {"effect":"NoExecute","key":"node.kubernetes.io/unreachable","operator":"Exists",
     "tolerationSeconds":300}])"));
  const json& c = spec["containers"];
  EXPECT_EQ(c[0]["imagePullPolicy"], "Always");  // "busybox": no tag
  EXPECT_EQ(c[1]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(c[2]["imagePullPolicy"], "Always");  // :latest behind a registry port
  EXPECT_EQ(c[0]["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(c[0]["terminationMessagePolicy"], "File");
  EXPECT_EQ(c[1]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(pod["status"]["qosClass"], "BestEffort");
}

TEST_F(DefaultsTest, LimitsBecomeRequestsAndSetTheQosClass) {
  json body = PodBody("guaranteed");
  body["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", "500m"}, {"memory", "1Gi"}}}};
  auto pod = store_->Create(pods_, "default", body);
  EXPECT_EQ(pod["spec"]["containers"][0]["resources"]["requests"],
            json({{"cpu", "500m"}, {"memory", "1Gi"}}));
  EXPECT_EQ(pod["status"]["qosClass"], "Guaranteed");
  body = PodBody("burstable");
  body["spec"]["containers"][0]["resources"] = {{"requests", {{"cpu", "100m"}}}};
  EXPECT_EQ(store_->Create(pods_, "default", body)["status"]["qosClass"], "Burstable");
}

TEST_F(DefaultsTest, WhatTheClientSentIsKept) {
  json body = PodBody("web");
  body["spec"]["restartPolicy"] = "Never";
  body["spec"]["serviceAccountName"] = "builder";
  body["spec"]["containers"][0]["imagePullPolicy"] = "Never";
  body["spec"]["tolerations"] = {{{"key", "node.kubernetes.io/not-ready"},
                                  {"operator", "Exists"},
                                  {"effect", "NoExecute"},
                                  {"tolerationSeconds", 60}}};
  auto pod = store_->Create(pods_, "default", body);
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(pod["spec"]["serviceAccountName"], "builder");
  EXPECT_EQ(pod["spec"]["serviceAccount"], "builder");
  EXPECT_EQ(pod["spec"]["containers"][0]["imagePullPolicy"], "Never");
  ASSERT_EQ(pod["spec"]["tolerations"].size(), 2u);  // unreachable added, not-ready kept
  EXPECT_EQ(pod["spec"]["tolerations"][0]["tolerationSeconds"], 60);
}

TEST_F(DefaultsTest, ServiceGetsTypePortsFamiliesAndAClusterIp) {
  auto svc =
      store_->Create(services_, "default",
                     {{"metadata", {{"name", "web"}}}, {"spec", {{"ports", {{{"port", 80}}}}}}});
  const json& spec = svc["spec"];
  EXPECT_EQ(spec["type"], "ClusterIP");
  EXPECT_EQ(spec["sessionAffinity"], "None");
  EXPECT_EQ(spec["ipFamilies"], json::array({"IPv4"}));
  EXPECT_EQ(spec["ipFamilyPolicy"], "SingleStack");
  EXPECT_EQ(spec["internalTrafficPolicy"], "Cluster");
  EXPECT_EQ(spec["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(spec["ports"][0]["targetPort"], 80);
  const std::string ip = spec["clusterIP"];
  EXPECT_THAT(ip, MatchesRegex("10\\.(9[6-9]|10[0-9]|11[01])\\.[0-9]+\\.[0-9]+"));
  EXPECT_EQ(spec["clusterIPs"], json::array({ip}));
  // kubectl replace of the manifest (no clusterIP) keeps the address.
  auto replaced =
      store_->Update(services_, "default", "web",
                     {{"metadata", {{"name", "web"}}}, {"spec", {{"ports", {{{"port", 8080}}}}}}});
  EXPECT_EQ(replaced["spec"]["clusterIP"], ip);
  auto node_port = store_->Create(services_, "default", json::parse(R"({"metadata":{"name":"np"},
    "spec":{"type":"NodePort","ports":[{"name":"a","port":80},
                                       {"name":"b","port":81,"nodePort":31000}]}})"));
  const json& np = node_port["spec"]["ports"];
  ASSERT_TRUE(np[0]["nodePort"].is_number_integer()) << node_port.dump();
  EXPECT_GE(np[0]["nodePort"].get<int>(), 30000);
  EXPECT_LE(np[0]["nodePort"].get<int>(), 32767);
  EXPECT_EQ(np[1]["nodePort"], 31000);
  EXPECT_EQ(node_port["spec"]["externalTrafficPolicy"], "Cluster");
  auto headless = store_->Create(
      services_, "default", {{"metadata", {{"name", "db"}}}, {"spec", {{"clusterIP", "None"}}}});
  EXPECT_EQ(headless["spec"]["clusterIPs"], json::array({"None"}));
  auto external =
      store_->Create(services_, "default",
                     {{"metadata", {{"name", "ext"}}},
                      {"spec", {{"type", "ExternalName"}, {"externalName", "example.com"}}}});
  EXPECT_FALSE(external["spec"].contains("clusterIP"));
  EXPECT_FALSE(external["spec"].contains("ipFamilies"));
}

TEST_F(DefaultsTest, DeploymentGetsStrategyLimitsAndTemplateDefaults) {
  auto d = store_->Create(V1("apps", "deployments"), "default", Workload("web"));
  const json& spec = d["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["strategy"], json::parse(R"({"type":"RollingUpdate",
    "rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}})"));
  EXPECT_EQ(spec["revisionHistoryLimit"], 10);
  EXPECT_EQ(spec["progressDeadlineSeconds"], 600);
  const json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Always");
  EXPECT_EQ(pod["dnsPolicy"], "ClusterFirst");
  EXPECT_EQ(pod["containers"][0]["imagePullPolicy"], "IfNotPresent");
  // Admission defaults are for Pods, not templates.
  EXPECT_FALSE(pod.contains("serviceAccountName"));
  EXPECT_FALSE(pod.contains("tolerations"));
}

TEST_F(DefaultsTest, StatefulSetDaemonSetAndReplicaSet) {
  auto sts = store_->Create(V1("apps", "statefulsets"), "default", Workload("db"));
  EXPECT_EQ(sts["spec"]["podManagementPolicy"], "OrderedReady");
  EXPECT_EQ(sts["spec"]["updateStrategy"],
            json::parse(R"({"type":"RollingUpdate","rollingUpdate":{"partition":0}})"));
  EXPECT_EQ(sts["spec"]["revisionHistoryLimit"], 10);
  EXPECT_EQ(sts["spec"]["persistentVolumeClaimRetentionPolicy"],
            json::parse(R"({"whenDeleted":"Retain","whenScaled":"Retain"})"));
  auto ds = store_->Create(V1("apps", "daemonsets"), "default", Workload("agent"));
  EXPECT_EQ(ds["spec"]["updateStrategy"], json::parse(R"({"type":"RollingUpdate",
    "rollingUpdate":{"maxUnavailable":1,"maxSurge":0}})"));
  EXPECT_EQ(ds["spec"]["revisionHistoryLimit"], 10);
  auto rs = store_->Create(V1("apps", "replicasets"), "default", Workload("rs"));
  EXPECT_EQ(rs["spec"]["replicas"], 1);
}

TEST_F(DefaultsTest, JobGetsCountsPoliciesAndAGeneratedSelector) {
  json tmpl = Template("ignored", "busybox:1.36");
  tmpl["metadata"].erase("labels");
  tmpl["spec"]["restartPolicy"] = "Never";
  auto job = store_->Create(V1("batch", "jobs"), "default",
                            {{"metadata", {{"name", "once"}}}, {"spec", {{"template", tmpl}}}});
  const std::string uid = job["metadata"]["uid"];
  const json& spec = job["spec"];
  EXPECT_EQ(spec["parallelism"], 1);
  EXPECT_EQ(spec["completions"], 1);
  EXPECT_EQ(spec["backoffLimit"], 6);
  EXPECT_EQ(spec["completionMode"], "NonIndexed");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["manualSelector"], false);
  EXPECT_EQ(spec["podReplacementPolicy"], "TerminatingOrFailed");
  EXPECT_EQ(spec["selector"],
            json({{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}}));
  json labels = {{"batch.kubernetes.io/controller-uid", uid},
                 {"batch.kubernetes.io/job-name", "once"},
                 {"controller-uid", uid},
                 {"job-name", "once"}};
  EXPECT_EQ(spec["template"]["metadata"]["labels"], labels);
  EXPECT_EQ(job["metadata"]["labels"], labels);
  EXPECT_EQ(spec["template"]["spec"]["dnsPolicy"], "ClusterFirst");
}

TEST_F(DefaultsTest, CronJobGetsPoliciesAndHistoryLimits) {
  json tmpl = Template("x", "busybox");
  tmpl["spec"]["restartPolicy"] = "OnFailure";
  auto cj = store_->Create(
      V1("batch", "cronjobs"), "default",
      {{"metadata", {{"name", "nightly"}}},
       {"spec", {{"schedule", "0 3 * * *"}, {"jobTemplate", {{"spec", {{"template", tmpl}}}}}}}});
  const json& spec = cj["spec"];
  EXPECT_EQ(spec["concurrencyPolicy"], "Allow");
  EXPECT_EQ(spec["suspend"], false);
  EXPECT_EQ(spec["successfulJobsHistoryLimit"], 3);
  EXPECT_EQ(spec["failedJobsHistoryLimit"], 1);
  EXPECT_EQ(spec["jobTemplate"]["spec"]["template"]["spec"]["schedulerName"], "default-scheduler");
}

}  // namespace
}  // namespace kubedouble::fake::testing
