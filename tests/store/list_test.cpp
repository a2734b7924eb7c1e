// Lists: label and field selectors, limit/continue snapshots, resourceVersion semantics.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ListTest : public StoreTest {
 protected:
  void SetUp() override {
    Pod("default", "web-1", {{"app", "web"}, {"tier", "front"}}, "Running", "node-1");
    Pod("default", "web-2", {{"app", "web"}, {"tier", "front"}, {"canary", "true"}}, "Pending",
        "node-2");
    Pod("default", "db", {{"app", "db"}, {"tier", "back"}, {"replicas", "3"}}, "Running", "node-1");
    Pod("kube-system", "dns", {{"k8s-app", "kube-dns"}}, "Running", "node-2");
    Pod("team-a", "job", json::object(), "Succeeded", "node-1");
  }
  std::vector<std::string> Labels(const std::string& selector, const std::string& ns = "") {
    ListOptions o;
    o.label_selector = selector;
    return Names(store_->List(pods_, ns, o));
  }
  std::vector<std::string> Fields(const std::string& selector, const std::string& ns = "") {
    ListOptions o;
    o.field_selector = selector;
    return Names(store_->List(pods_, ns, o));
  }
};

TEST_F(ListTest, ListShapeAndNamespaces) {
  auto list = store_->List(pods_, "default", {});
  EXPECT_EQ(list["kind"], "PodList");
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["metadata"]["resourceVersion"], std::to_string(store_->resource_version()));
  EXPECT_FALSE(list["metadata"].contains("continue"));
  EXPECT_THAT(Names(list), ElementsAre("db", "web-1", "web-2"));
  for (const auto& item : list["items"]) {
    EXPECT_EQ(item["kind"], "Pod");
    EXPECT_EQ(item["apiVersion"], "v1");
  }
  EXPECT_THAT(Names(store_->List(pods_, "", {})),
              ElementsAre("db", "web-1", "web-2", "dns", "job"));
  EXPECT_THAT(Names(store_->List(pods_, "nowhere", {})), IsEmpty());
  EXPECT_THAT(Names(store_->List(namespaces_, "", {})),
              ElementsAre("default", "kube-system", "team-a"));
}

TEST_F(ListTest, LabelSelectorGrammar) {
  EXPECT_THAT(Labels("app=web"), ElementsAre("web-1", "web-2"));
  EXPECT_THAT(Labels("app==web"), ElementsAre("web-1", "web-2"));
  EXPECT_THAT(Labels("app!=web"), ElementsAre("db", "dns", "job"));
  EXPECT_THAT(Labels("app in (db, web)"), ElementsAre("db", "web-1", "web-2"));
  EXPECT_THAT(Labels("app notin (web)"), ElementsAre("db", "dns", "job"));
  EXPECT_THAT(Labels("canary"), ElementsAre("web-2"));
  EXPECT_THAT(Labels("!canary,app"), ElementsAre("db", "web-1"));
  EXPECT_THAT(Labels("app=web,tier=front,!canary"), ElementsAre("web-1"));
  EXPECT_THAT(Labels("replicas>2"), ElementsAre("db"));
  EXPECT_THAT(Labels("replicas<2"), IsEmpty());
  EXPECT_THAT(Labels("  app = db  "), ElementsAre("db"));
  EXPECT_THAT(Labels("k8s-app=kube-dns", "kube-system"), ElementsAre("dns"));
  EXPECT_THAT(Labels(""), ElementsAre("db", "web-1", "web-2", "dns", "job"));
}

TEST_F(ListTest, BadLabelSelectorsAre400) {
  for (const char* bad : {"app in web", "app in ()", "=web", "app=web,", "app ~ web", "a b",
                          "app=(x)", "replicas>x", "-bad-=x",
                          "app="
                          "a%b"}) {
    ListOptions o;
    o.label_selector = bad;
    auto e = Error([&] { store_->List(pods_, "", o); });
    EXPECT_EQ(e.code(), 400) << bad;
    EXPECT_EQ(e.reason(), "BadRequest") << bad;
    EXPECT_THAT(e.what(), HasSubstr(std::string("unable to parse label selector \"") + bad)) << bad;
  }
}

TEST_F(ListTest, FieldSelectorsPerKind) {
  EXPECT_THAT(Fields("status.phase=Running"), ElementsAre("db", "web-1", "dns"));
  EXPECT_THAT(Fields("status.phase!=Running"), ElementsAre("web-2", "job"));
  EXPECT_THAT(Fields("spec.nodeName=node-2,status.phase==Running"), ElementsAre("dns"));
  EXPECT_THAT(Fields("metadata.name=db"), ElementsAre("db"));
  EXPECT_THAT(Fields("metadata.name=db", "default"), ElementsAre("db"));
  EXPECT_THAT(Fields("metadata.name=db", "team-a"), IsEmpty());
  EXPECT_THAT(Fields("metadata.namespace=team-a"), ElementsAre("job"));
  EXPECT_THAT(Fields("spec.hostNetwork=false"), ElementsAre("db", "web-1", "web-2", "dns", "job"));

  store_->Create(
      secrets_, "default",
      {{"metadata", {{"name", "tok"}}}, {"type", "kubernetes.io/service-account-token"}});
  store_->Create(secrets_, "default", {{"metadata", {{"name", "plain"}}}});
  ListOptions o;
  o.field_selector = "type=kubernetes.io/service-account-token";
  EXPECT_THAT(Names(store_->List(secrets_, "default", o)), ElementsAre("tok"));

  store_->Create(events_, "default",
                 {{"metadata", {{"name", "ev1"}}},
                  {"involvedObject", {{"kind", "Pod"}, {"name", "db"}, {"namespace", "default"}}},
                  {"reason", "Started"}});
  o.field_selector =
      "involvedObject.kind=Pod,involvedObject.name=db,involvedObject.namespace=default";
  EXPECT_THAT(Names(store_->List(events_, "default", o)), ElementsAre("ev1"));
  o.field_selector = "status.phase=Active";
  EXPECT_THAT(Names(store_->List(namespaces_, "", o)),
              ElementsAre("default", "kube-system", "team-a"));
}

TEST_F(ListTest, UnsupportedFieldIs400) {
  ListOptions o;
  o.field_selector = "spec.containers=x";
  auto e = Error([&] { store_->List(pods_, "", o); });
  EXPECT_EQ(e.code(), 400);
  EXPECT_STREQ(e.what(), "field label not supported: spec.containers");
  o.field_selector = "status.phase=Running";
  EXPECT_STREQ(Error([&] { store_->List(configmaps_, "", o); }).what(),
               "field label not supported: status.phase");
  o.field_selector = "nonsense";
  EXPECT_EQ(Error([&] { store_->List(pods_, "", o); }).code(), 400);
}

TEST_F(ListTest, LimitAndContinueWalkEveryPage) {
  ListOptions o;
  o.limit = 2;
  auto page1 = store_->List(pods_, "", o);
  EXPECT_THAT(Names(page1), ElementsAre("db", "web-1"));
  EXPECT_EQ(page1["metadata"]["remainingItemCount"], 3);
  ASSERT_TRUE(page1["metadata"].contains("continue"));
  o.continue_token = page1["metadata"]["continue"];
  auto page2 = store_->List(pods_, "", o);
  EXPECT_THAT(Names(page2), ElementsAre("web-2", "dns"));
  EXPECT_EQ(page2["metadata"]["remainingItemCount"], 1);
  EXPECT_EQ(page2["metadata"]["resourceVersion"], page1["metadata"]["resourceVersion"]);
  o.continue_token = page2["metadata"]["continue"];
  auto page3 = store_->List(pods_, "", o);
  EXPECT_THAT(Names(page3), ElementsAre("job"));
  EXPECT_FALSE(page3["metadata"].contains("continue"));
  EXPECT_FALSE(page3["metadata"].contains("remainingItemCount"));
}

TEST_F(ListTest, ContinueReadsAConsistentSnapshot) {
  ListOptions o;
  o.limit = 2;
  auto page1 = store_->List(pods_, "default", o);
  auto snapshot_rv = page1["metadata"]["resourceVersion"];
  // Changes after the first page are not seen by the later pages.
  ForceDelete(pods_, "default", "web-2");
  Pod("default", "web-3");
  auto web1 = store_->Get(pods_, "default", "web-1");
  web1["metadata"]["labels"]["changed"] = "yes";
  store_->Update(pods_, "default", "web-1", web1);
  o.continue_token = page1["metadata"]["continue"];
  auto page2 = store_->List(pods_, "default", o);
  EXPECT_THAT(Names(page2), ElementsAre("web-2"));
  EXPECT_EQ(page2["metadata"]["resourceVersion"], snapshot_rv);
  // A fresh list sees the present.
  EXPECT_THAT(Names(store_->List(pods_, "default", {})), ElementsAre("db", "web-1", "web-3"));
}

TEST_F(ListTest, SelectorsWithLimitOmitRemainingCount) {
  ListOptions o;
  o.limit = 1;
  o.label_selector = "app";
  auto page = store_->List(pods_, "", o);
  EXPECT_THAT(Names(page), ElementsAre("db"));
  EXPECT_TRUE(page["metadata"].contains("continue"));
  EXPECT_FALSE(page["metadata"].contains("remainingItemCount"));
  o.continue_token = page["metadata"]["continue"];
  EXPECT_THAT(Names(store_->List(pods_, "", o)), ElementsAre("web-1"));
}

TEST_F(ListTest, GarbledContinueIs400) {
  for (const char* bad : {"!!!", "bm90IGpzb24", "eyJ2IjoieCIsInJ2IjoxLCJzdGFydCI6ImEifQ"}) {
    ListOptions o;
    o.continue_token = bad;
    auto e = Error([&] { store_->List(pods_, "", o); });
    EXPECT_EQ(e.code(), 400) << bad;
    EXPECT_THAT(e.what(), HasSubstr("invalid continue token")) << bad;
  }
  // A token from the future is forged.
  ListOptions o;
  o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTk5OTksInN0YXJ0IjoiYSJ9";
  EXPECT_EQ(Error([&] { store_->List(pods_, "", o); }).code(), 400);
  ListOptions one;
  one.limit = 1;
  o.resource_version = "5";
  o.continue_token = store_->List(pods_, "", one)["metadata"]["continue"];
  EXPECT_STREQ(Error([&] { store_->List(pods_, "", o); }).what(),
               "specifying resource version is not allowed when using continue");
}

// A token's fields of the wrong JSON type are forgeries like any other (400), not an uncaught
// type error (500): the fuzzer's {"v":2}, and the same for every field.
TEST_F(ListTest, ContinueFieldsOfTheWrongTypeAre400) {
  for (const char* bad : {
           "eyJ2IjoyfQ",                                                  // {"v":2}
           "eyJ2IjpudWxsLCJydiI6MSwic3RhcnQiOiJhIn0",                     // "v":null
           "eyJ2IjpbIm1ldGEuazhzLmlvL3YxIl0sInJ2IjoxLCJzdGFydCI6ImEifQ",  // "v":[...]
           "eyJ2Ijp7ImEiOjF9LCJydiI6MSwic3RhcnQiOiJhIn0",                 // "v":{"a":1}
           "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6IjEiLCJzdGFydCI6ImEifQ",  // "rv":"1"
           "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MS41LCJzdGFydCI6ImEifQ",  // "rv":1.5
           "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTg0NDY3NDQwNzM3MDk1NTE2MTUsInN0YXJ0IjoiYSJ9",
           "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6dHJ1ZSwic3RhcnQiOiJhIn0",  // "rv":true
           "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOjd9",         // "start":7
           "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOm51bGx9",     // "start":null
       }) {
    ListOptions o;
    o.continue_token = bad;
    auto e = Error([&] { store_->List(pods_, "", o); });
    EXPECT_EQ(e.code(), 400) << bad;
    EXPECT_THAT(e.what(), HasSubstr("invalid continue token: continue key is not valid")) << bad;
  }
}

class SmallWindowTest : public StoreTest {
 protected:
  SmallWindowTest() : StoreTest(4) {}
};

TEST_F(SmallWindowTest, ContinueOlderThanTheWindowIs410) {
  for (int i = 0; i < 3; ++i) Pod("default", "p" + std::to_string(i));
  ListOptions o;
  o.limit = 1;
  auto page = store_->List(pods_, "", o);
  for (int i = 0; i < 5; ++i) Pod("default", "q" + std::to_string(i));
  o.continue_token = page["metadata"]["continue"];
  auto e = Error([&] { store_->List(pods_, "", o); });
  EXPECT_EQ(e.code(), 410);
  EXPECT_EQ(e.reason(), "Expired");
  EXPECT_STREQ(e.what(),
               "The provided continue parameter is too old to display a consistent list result. "
               "You can start a new list without the continue parameter.");
}

TEST_F(SmallWindowTest, ExactResourceVersionOutsideTheWindowIs410) {
  auto old_rv = std::to_string(store_->resource_version());
  for (int i = 0; i < 6; ++i) Pod("default", "p" + std::to_string(i));
  ListOptions o;
  o.resource_version = old_rv;
  o.resource_version_match = "Exact";
  auto e = Error([&] { store_->List(pods_, "", o); });
  EXPECT_EQ(e.code(), 410);
  EXPECT_STREQ(e.what(), "The resourceVersion for the provided list is too old.");
}

TEST_F(ListTest, ResourceVersionSemantics) {
  auto rv_before = store_->resource_version();
  Pod("default", "later");
  ListOptions exact;
  exact.resource_version = std::to_string(rv_before);
  exact.resource_version_match = "Exact";
  auto past = store_->List(pods_, "default", exact);
  EXPECT_THAT(Names(past), ElementsAre("db", "web-1", "web-2"));
  EXPECT_EQ(past["metadata"]["resourceVersion"], std::to_string(rv_before));

  ListOptions not_older = exact;
  not_older.resource_version_match = "NotOlderThan";
  auto now = store_->List(pods_, "default", not_older);
  EXPECT_THAT(Names(now), ElementsAre("db", "later", "web-1", "web-2"));
  EXPECT_EQ(now["metadata"]["resourceVersion"], std::to_string(store_->resource_version()));

  ListOptions zero;
  zero.resource_version = "0";
  zero.limit = 500;
  EXPECT_EQ(Names(store_->List(pods_, "default", zero)).size(), 4u);

  ListOptions future;
  future.resource_version = std::to_string(store_->resource_version() + 100);
  auto e = Error([&] { store_->List(pods_, "", future); });
  EXPECT_EQ(e.code(), 504);
  EXPECT_THAT(e.what(), HasSubstr("Too large resource version"));

  ListOptions garbage;
  garbage.resource_version = "abc";
  EXPECT_EQ(Error([&] { store_->List(pods_, "", garbage); }).code(), 400);
}

TEST_F(ListTest, InvalidOptionCombinationsAre422) {
  auto invalid = [&](ListOptions o) { return Error([&] { store_->List(pods_, "", o); }); };
  ListOptions o;
  o.resource_version_match = "NotOlderThan";
  auto e = invalid(o);
  EXPECT_EQ(e.code(), 422);
  EXPECT_STREQ(e.what(),
               "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
               "resourceVersionMatch is forbidden unless resourceVersion is provided");
  EXPECT_EQ(e.details()["group"], "meta.k8s.io");
  EXPECT_EQ(e.details()["kind"], "ListOptions");
  EXPECT_EQ(e.details()["causes"][0]["reason"], "FieldValueForbidden");

  o.resource_version = "0";
  o.resource_version_match = "Exact";
  EXPECT_THAT(invalid(o).what(),
              HasSubstr("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
  o.resource_version = "5";
  o.resource_version_match = "Sometimes";
  EXPECT_THAT(invalid(o).what(),
              HasSubstr("Unsupported value: \"Sometimes\": supported values: \"Exact\", "
                        "\"NotOlderThan\", \"\""));
  ListOptions c;
  c.continue_token = "x";
  c.resource_version_match = "Exact";
  EXPECT_THAT(invalid(c).what(),
              HasSubstr("resourceVersionMatch is forbidden when continue is provided"));
  ListOptions s;
  s.send_initial_events = true;
  EXPECT_THAT(invalid(s).what(), HasSubstr("sendInitialEvents is forbidden for list"));
}

}  // namespace
}  // namespace kubedouble::fake::testing
