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

TEST(HumanDurationTest, FormatsLikeKubectl) {
  EXPECT_EQ(HumanDuration(-5s), "<invalid>");
  EXPECT_EQ(HumanDuration(-1s), "0s");
  EXPECT_EQ(HumanDuration(5s), "5s");
  EXPECT_EQ(HumanDuration(119s), "119s");
  EXPECT_EQ(HumanDuration(180s), "3m");
  EXPECT_EQ(HumanDuration(200s), "3m20s");
  EXPECT_EQ(HumanDuration(15min), "15m");
  EXPECT_EQ(HumanDuration(179min), "179m");
  EXPECT_EQ(HumanDuration(5h + 3min), "5h3m");
  EXPECT_EQ(HumanDuration(20h), "20h");
  EXPECT_EQ(HumanDuration(48h), "2d");
  EXPECT_EQ(HumanDuration(50h), "2d2h");
  EXPECT_EQ(HumanDuration(24h * 30), "30d");
  EXPECT_EQ(HumanDuration(24h * 365 * 3), "3y");
  EXPECT_EQ(HumanDuration(24h * 365 * 3 + 24h * 10), "3y10d");
  EXPECT_EQ(HumanDuration(24h * 365 * 10), "10y");
}

TEST_F(TableTest, PodTable) {
  json pod = json::parse(R"({"metadata":{"name":"web","labels":{"app":"web"}},
    "spec":{"nodeName":"node-1","containers":[{"name":"a"},{"name":"b"}]},
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

  store_->Create(configmaps_, "team-a", {{"metadata", {{"name", "cfg"}}}});
  auto cms = ToTable(configmaps_, store_->List(configmaps_, "", {}));
  EXPECT_THAT(ColumnNames(cms), ElementsAre("Name", "Created At"));
  EXPECT_EQ(cms["columnDefinitions"][1]["type"], "date");
  EXPECT_EQ(cms["rows"][0]["cells"], json::parse(R"(["cfg","2026-01-02T03:04:05Z"])"));
  EXPECT_EQ(cms["rows"][0]["object"]["metadata"]["namespace"], "team-a");
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
  auto page = ToTable(pods_, list);
  EXPECT_EQ(page["metadata"]["continue"], list["metadata"]["continue"]);
  EXPECT_EQ(page["metadata"]["remainingItemCount"], 1);
}

}  // namespace
}  // namespace kubedouble::fake::testing
