// Tables for kubectl get: the columns and cells of the real printers.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

using TableTest = StoreTest;

std::vector<std::string> ColumnNames(const json& table) {
  std::vector<std::string> out;
  for (const auto& c : table["columnDefinitions"]) out.push_back(c["name"]);
  return out;
}

TEST_F(TableTest, PodTable) {
  json pod = json::parse(R"({"metadata":{"name":"web","labels":{"app":"web"}},
    "spec":{"nodeName":"node-1","containers":[{"name":"a","image":"a"},{"name":"b","image":"b"}]},
    "status":{"phase":"Running","podIP":"10.0.0.7","containerStatuses":[
      {"name":"a","ready":true,"restartCount":2,"state":{"running":{}}},
      {"name":"b","ready":false,"restartCount":1,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})");
  store_->Create(pods_, "default", pod);
  Pod("default", "plain", json::object(), "Pending", "");
  auto list = store_->List(pods_, "default", {});
  auto table = ToTable(pods_, list, true, FixedTime() + 200s);
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(table["metadata"]["resourceVersion"], list["metadata"]["resourceVersion"]);
  EXPECT_THAT(ColumnNames(table), ElementsAre("Name", "Ready", "Status", "Restarts", "Age", "IP",
                                              "Node", "Nominated Node", "Readiness Gates"));
  EXPECT_EQ(table["columnDefinitions"][0]["format"], "name");
  EXPECT_EQ(table["columnDefinitions"][5]["priority"], 1);
  ASSERT_EQ(table["rows"].size(), 2u);
  EXPECT_EQ(
      table["rows"][0]["cells"],
      json::parse(R"(["plain","0/1","Pending","0","3m20s","<none>","<none>","<none>","<none>"])"));
  EXPECT_EQ(
      table["rows"][1]["cells"],
      json::parse(
          R"(["web","1/2","CrashLoopBackOff","3","3m20s","10.0.0.7","node-1","<none>","<none>"])"));
  const auto& obj = table["rows"][1]["object"];
  EXPECT_EQ(obj["kind"], "PartialObjectMetadata");
  EXPECT_EQ(obj["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(obj["metadata"]["namespace"], "default");
  EXPECT_EQ(obj["metadata"]["labels"]["app"], "web");
  EXPECT_TRUE(obj["metadata"].contains("uid"));
}

TEST_F(TableTest, PodStatusVariants) {
  json done = json::parse(R"({"metadata":{"name":"done","deletionTimestamp":"2026-01-02T03:04:05Z"},
    "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"}})");
  auto t = ToTable(pods_, done, true, FixedTime());
  EXPECT_EQ(t["rows"][0]["cells"][2], "Terminating");
  json exited = json::parse(R"({"metadata":{"name":"x"},"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Failed","containerStatuses":[{"name":"a","restartCount":0,
      "state":{"terminated":{"exitCode":3}}}]}})");
  EXPECT_EQ(ToTable(pods_, exited, true, FixedTime())["rows"][0]["cells"][2], "ExitCode:3");
}

TEST_F(TableTest, OtherBuiltInTables) {
  store_->Create(secrets_, "default",
                 {{"metadata", {{"name", "s"}}},
                  {"type", "kubernetes.io/service-account-token"},
                  {"data", {{"token", "eA=="}, {"ca.crt", "eA=="}, {"namespace", "eA=="}}}});
  auto secrets = ToTable(secrets_, store_->List(secrets_, "default", {}), true, FixedTime() + 5s);
  EXPECT_THAT(ColumnNames(secrets), ElementsAre("Name", "Type", "Data", "Age"));
  EXPECT_EQ(secrets["rows"][0]["cells"],
            json::parse(R"(["s","kubernetes.io/service-account-token",3,"5s"])"));

  store_->Create(serviceaccounts_, "default",
                 {{"metadata", {{"name", "default"}}}, {"secrets", {{{"name", "s"}}}}});
  auto sas = ToTable(serviceaccounts_, store_->List(serviceaccounts_, "default", {}), true,
                     FixedTime() + 48h);
  EXPECT_THAT(ColumnNames(sas), ElementsAre("Name", "Secrets", "Age"));
  EXPECT_EQ(sas["rows"][0]["cells"], json::parse(R"(["default",1,"2d"])"));

  auto nss = ToTable(namespaces_, store_->List(namespaces_, "", {}), true, FixedTime() + 3min);
  EXPECT_THAT(ColumnNames(nss), ElementsAre("Name", "Status", "Age"));
  EXPECT_EQ(nss["rows"][0]["cells"], json::parse(R"(["default","Active","3m"])"));
  EXPECT_FALSE(nss["rows"][0]["object"]["metadata"].contains("namespace"));

  auto sa = *registry_->Find("", "v1", "serviceaccounts");
  ResourceInfo plain = sa;  // a core resource without its own printer
  plain.plural = "limitranges";
  plain.kind = "LimitRange";
  auto generic = ToTable(plain, json::parse(R"({"items":[{"metadata":{"name":"lr",
    "namespace":"team-a","creationTimestamp":"2026-01-02T03:04:05Z"}}]})"),
                         true, FixedTime());
  EXPECT_THAT(ColumnNames(generic), ElementsAre("Name", "Created At"));
  EXPECT_EQ(generic["columnDefinitions"][1]["type"], "date");
  EXPECT_EQ(generic["rows"][0]["cells"], json::parse(R"(["lr","2026-01-02T03:04:05Z"])"));
  EXPECT_EQ(generic["rows"][0]["object"]["metadata"]["namespace"], "team-a");
}

TEST_F(TableTest, ServiceNodeEventAndConfigMapTables) {
  store_->Create(configmaps_, "default",
                 {{"metadata", {{"name", "cfg"}}}, {"data", {{"a", "1"}, {"b", "2"}}}});
  auto cms = ToTable(configmaps_, store_->List(configmaps_, "default", {}), true, FixedTime() + 5s);
  EXPECT_THAT(ColumnNames(cms), ElementsAre("Name", "Data", "Age"));
  EXPECT_EQ(cms["rows"][0]["cells"], json::parse(R"(["cfg",2,"5s"])"));

  store_->Create(services_, "default", json::parse(R"({"metadata":{"name":"web"},
    "spec":{"type":"NodePort","clusterIP":"10.96.0.10","selector":{"app":"web"},
            "ports":[{"name":"http","port":80,"nodePort":30080,"protocol":"TCP"},
                     {"name":"dns","port":53,"nodePort":30053,"protocol":"UDP"}]}})"));
  auto svcs = ToTable(services_, store_->List(services_, "default", {}), true, FixedTime() + 5s);
  EXPECT_THAT(ColumnNames(svcs), ElementsAre("Name", "Type", "Cluster-IP", "External-IP", "Port(s)",
                                             "Age", "Selector"));
  EXPECT_EQ(
      svcs["rows"][0]["cells"],
      json::parse(
          R"(["web","NodePort","10.96.0.10","<none>","80:30080/TCP,53:30053/UDP","5s","app=web"])"));

  store_->Create(nodes_, "", json::parse(R"({"metadata":{"name":"node-1",
    "labels":{"node-role.kubernetes.io/control-plane":""}},
    "spec":{"unschedulable":true},
    "status":{"conditions":[{"type":"Ready","status":"True"}],
              "addresses":[{"type":"InternalIP","address":"172.18.0.2"}],
              "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian","kernelVersion":"6.1",
                          "containerRuntimeVersion":"containerd://1.7"}}})"));
  auto nodes = ToTable(nodes_, store_->List(nodes_, "", {}), true, FixedTime() + 48h);
  EXPECT_EQ(nodes["rows"][0]["cells"],
            json::parse(R"(["node-1","Ready,SchedulingDisabled","control-plane","2d","v1.32.0",
                            "172.18.0.2","<none>","Debian","6.1","containerd://1.7"])"));

  store_->Create(events_, "default", json::parse(R"({"metadata":{"name":"web.1"},
    "involvedObject":{"kind":"Pod","name":"web","fieldPath":"spec.containers{main}"},
    "reason":"Pulled","type":"Normal","message":"pulled the image","count":2,
    "source":{"component":"kubelet","host":"node-1"},
    "firstTimestamp":"2026-01-02T03:04:05Z","lastTimestamp":"2026-01-02T03:05:05Z"})"));
  auto evs = ToTable(events_, store_->List(events_, "default", {}), true, FixedTime() + 120s);
  EXPECT_EQ(evs["rows"][0]["cells"],
            json::parse(R"(["60s","Normal","Pulled","pod/web","spec.containers{main}",
                            "kubelet, node-1","pulled the image","2m",2,"web.1"])"));
}

TEST_F(TableTest, CustomResourcesShowNameAndAge) {
  store_->Create(crds_, "", json::parse(R"({"metadata":{"name":"widgets.example.com"},
    "spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","kind":"Widget"},
            "versions":[{"name":"v1","served":true,"storage":true,
              "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}})"));
  auto widgets = *registry_->Find("example.com", "v1", "widgets");
  store_->Create(widgets, "default", {{"metadata", {{"name", "w"}}}});
  auto t = ToTable(widgets, store_->List(widgets, "", {}), true, FixedTime() + 3min);
  EXPECT_THAT(ColumnNames(t), ElementsAre("Name", "Age"));
  EXPECT_EQ(t["rows"][0]["cells"], json::parse(R"(["w","3m"])"));
  auto crds = ToTable(crds_, store_->List(crds_, "", {}), true, FixedTime());
  EXPECT_THAT(ColumnNames(crds), ElementsAre("Name", "Created At"));
}

TEST_F(TableTest, SingleObjectAndContinue) {
  auto pod = Pod("default", "one");
  auto t = ToTable(pods_, pod, false, FixedTime());
  EXPECT_TRUE(t["columnDefinitions"].empty());
  EXPECT_EQ(t["rows"].size(), 1u);
  EXPECT_EQ(t["metadata"]["resourceVersion"], pod["metadata"]["resourceVersion"]);
  Pod("default", "two");
  ListOptions o;
  o.limit = 1;
  auto list = store_->List(pods_, "default", o);
  auto page = ToTable(pods_, list, true, FixedTime());
  EXPECT_EQ(page["metadata"]["continue"], list["metadata"]["continue"]);
  EXPECT_EQ(page["metadata"]["remainingItemCount"], 1);
}

TEST_F(TableTest, WorkloadTablesFromTheSchema) {
  auto deployments = *registry_->Find("apps", "v1", "deployments");
  CreateWithStatus(deployments, "default", json::parse(R"({"metadata":{"name":"web"},"spec":{
    "replicas":3,"selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
      {"name":"main","image":"nginx:1"},{"name":"sidecar","image":"envoy:1"}]}}},
    "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}})"));
  auto t = ToTable(deployments, store_->List(deployments, "default", {}), true, FixedTime() + 5s);
  EXPECT_THAT(ColumnNames(t), ElementsAre("Name", "Ready", "Up-to-date", "Available", "Age",
                                          "Containers", "Images", "Selector"));
  EXPECT_EQ(t["rows"][0]["cells"],
            json::parse(R"(["web","2/3",3,2,"5s","main,sidecar","nginx:1,envoy:1","app=web"])"));

  auto jobs = *registry_->Find("batch", "v1", "jobs");
  CreateWithStatus(jobs, "default", json::parse(R"({"metadata":{"name":"pi"},"spec":{
    "completions":2,"template":{"spec":{"restartPolicy":"Never",
    "containers":[{"name":"pi","image":"perl"}]}}},
    "status":{"succeeded":2,"startTime":"2026-01-02T03:04:05Z",
              "completionTime":"2026-01-02T03:04:35Z",
              "conditions":[{"type":"Complete","status":"True"}]}})"));
  auto jt = ToTable(jobs, store_->List(jobs, "default", {}), true, FixedTime() + 60s);
  EXPECT_THAT(ColumnNames(jt), ElementsAre("Name", "Status", "Completions", "Duration", "Age",
                                           "Containers", "Images", "Selector"));
  EXPECT_EQ(jt["rows"][0]["cells"][1], "Complete");
  EXPECT_EQ(jt["rows"][0]["cells"][2], "2/2");
  EXPECT_EQ(jt["rows"][0]["cells"][3], "30s");
  EXPECT_EQ(jt["rows"][0]["cells"][4], "60s");

  auto cronjobs = *registry_->Find("batch", "v1", "cronjobs");
  store_->Create(cronjobs, "default", json::parse(R"({"metadata":{"name":"nightly"},"spec":{
    "schedule":"0 1 * * *","suspend":false,"jobTemplate":{"spec":{"template":{"spec":{
    "restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox"}]}}}}}})"));
  auto ct = ToTable(cronjobs, store_->List(cronjobs, "default", {}), true, FixedTime() + 5s);
  EXPECT_EQ(ct["rows"][0]["cells"],
            json::parse(R"(["nightly","0 1 * * *","<none>","False",0,"<none>","5s","c",
                            "busybox","<none>"])"));
}

TEST_F(TableTest, NetworkingAndRbacTablesFromTheSchema) {
  auto ingresses = *registry_->Find("networking.k8s.io", "v1", "ingresses");
  CreateWithStatus(ingresses, "default", json::parse(R"({"metadata":{"name":"web"},"spec":{
    "ingressClassName":"nginx","tls":[{"hosts":["a.example"]}],
    "rules":[{"host":"a.example"},{"host":"b.example"}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.9"}]}}})"));
  auto it = ToTable(ingresses, store_->List(ingresses, "default", {}), true, FixedTime() + 5s);
  EXPECT_THAT(ColumnNames(it), ElementsAre("Name", "Class", "Hosts", "Address", "Ports", "Age"));
  EXPECT_EQ(it["rows"][0]["cells"],
            json::parse(R"(["web","nginx","a.example,b.example","10.0.0.9","80, 443","5s"])"));

  auto bindings = *registry_->Find("rbac.authorization.k8s.io", "v1", "rolebindings");
  store_->Create(bindings, "default", json::parse(R"({"metadata":{"name":"read"},
    "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"reader"},
    "subjects":[{"kind":"User","name":"jane"},{"kind":"ServiceAccount","name":"ci",
                 "namespace":"default"}]})"));
  auto bt = ToTable(bindings, store_->List(bindings, "default", {}), true, FixedTime() + 5s);
  EXPECT_EQ(bt["rows"][0]["cells"],
            json::parse(R"(["read","Role/reader","5s","jane","","default/ci"])"));

  // Roles have no printer of their own: the default table, Name and Created At.
  auto roles = *registry_->Find("rbac.authorization.k8s.io", "v1", "roles");
  store_->Create(roles, "default", json::parse(R"({"metadata":{"name":"reader"},"rules":[]})"));
  auto rt = ToTable(roles, store_->List(roles, "default", {}), true, FixedTime());
  EXPECT_THAT(ColumnNames(rt), ElementsAre("Name", "Created At"));
  EXPECT_EQ(rt["rows"][0]["cells"], json::parse(R"(["reader","2026-01-02T03:04:05Z"])"));
}

TEST_F(TableTest, StorageQuotaAndAutoscalingTablesFromTheSchema) {
  auto classes = *registry_->Find("storage.k8s.io", "v1", "storageclasses");
  store_->Create(classes, "", json::parse(R"({"metadata":{"name":"standard","annotations":{
    "storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"rancher.io/local-path"})"));
  auto sc = ToTable(classes, store_->List(classes, "", {}), true, FixedTime() + 5s);
  EXPECT_EQ(sc["rows"][0]["cells"],
            json::parse(R"j(["standard (default)","rancher.io/local-path","Delete","Immediate",
                            false,"5s"])j"));

  auto claims = *registry_->Find("", "v1", "persistentvolumeclaims");
  CreateWithStatus(claims, "default", json::parse(R"({"metadata":{"name":"data"},
    "spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"standard","volumeName":"pv-1",
            "resources":{"requests":{"storage":"1Gi"}}},
    "status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"}}})"));
  auto pvc = ToTable(claims, store_->List(claims, "default", {}), true, FixedTime() + 5s);
  EXPECT_EQ(pvc["rows"][0]["cells"],
            json::parse(R"(["data","Bound","pv-1","1Gi","RWO","standard","<unset>","5s",
                            "<unset>"])"));

  auto quotas = *registry_->Find("", "v1", "resourcequotas");
  CreateWithStatus(quotas, "default", json::parse(R"({"metadata":{"name":"q"},
    "spec":{"hard":{"pods":"10","limits.cpu":"4"}},
    "status":{"hard":{"pods":"10","limits.cpu":"4"},"used":{"pods":"2"}}})"));
  auto rq = ToTable(quotas, store_->List(quotas, "default", {}), true, FixedTime() + 5s);
  EXPECT_EQ(rq["rows"][0]["cells"], json::parse(R"(["q","5s","pods: 2/10","limits.cpu: 0/4"])"));

  auto hpas = *registry_->Find("autoscaling", "v2", "horizontalpodautoscalers");
  store_->Create(hpas, "default", json::parse(R"({"metadata":{"name":"web"},"spec":{
    "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
    "minReplicas":1,"maxReplicas":5,"metrics":[{"type":"Resource","resource":{"name":"cpu",
    "target":{"type":"Utilization","averageUtilization":80}}}]}})"));
  auto hpa = ToTable(hpas, store_->List(hpas, "default", {}), true, FixedTime() + 5s);
  EXPECT_EQ(hpa["rows"][0]["cells"],
            json::parse(R"(["web","Deployment/web","cpu: <unknown>/80%","1",5,0,"5s"])"));
}

TEST_F(TableTest, CustomResourcesShowTheirCrdsPrinterColumns) {
  store_->Create(crds_, "", json::parse(R"({"metadata":{"name":"crontabs.stable.example.com"},
    "spec":{"group":"stable.example.com","scope":"Namespaced",
            "names":{"plural":"crontabs","kind":"CronTab"},
            "versions":[{"name":"v1","served":true,"storage":true,
              "schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}},
              "additionalPrinterColumns":[
                {"name":"Spec","type":"string","jsonPath":".spec.cronSpec"},
                {"name":"Replicas","type":"integer","jsonPath":".spec.replicas"},
                {"name":"Image","type":"string","priority":1,"jsonPath":".spec.image"},
                {"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}]}]}})"));
  auto crontabs = *registry_->Find("stable.example.com", "v1", "crontabs");
  store_->Create(crontabs, "default", json::parse(R"({"metadata":{"name":"c1"},
    "spec":{"cronSpec":"*/5 * * * *","replicas":2,"image":"cron:1"}})"));
  crontabs.printer_columns = CrdPrinterColumns(*store_, *registry_, crontabs);
  auto t = ToTable(crontabs, store_->List(crontabs, "default", {}), true, FixedTime() + 5s);
  EXPECT_THAT(ColumnNames(t), ElementsAre("Name", "Spec", "Replicas", "Image", "Age"));
  EXPECT_EQ(t["columnDefinitions"][3]["priority"], 1);
  EXPECT_EQ(t["rows"][0]["cells"], json::parse(R"(["c1","*/5 * * * *",2,"cron:1","5s"])"));
  // Built-in resources never take a CRD's columns.
  EXPECT_TRUE(CrdPrinterColumns(*store_, *registry_, pods_).is_null());
}

}  // namespace
}  // namespace kubedouble::fake::testing
