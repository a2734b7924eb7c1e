// Store::ListJson keeps the text of a list answer while the store does not change
// (store/list_cache.h): the next list after any change shows it, and lists that ask for anything
// different never get each other's text.
#include "store/list_cache.h"
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using namespace std::chrono_literals;
using ListCacheTest = StoreTest;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// ListJson's text, checked against List: the answer a cache could not have kept wrongly.
std::string Listed(Store& store, const ResourceInfo& res, const std::string& ns,
                   const ListOptions& o = {}) {
  std::string text = store.ListJson(res, ns, o);
  EXPECT_EQ(text, Dump(store.List(res, ns, o)));
  return text;
}

TEST_F(ListCacheTest, TheListAfterAWriteShowsIt) {
  json a = Pod("default", "a");
  std::string first = Listed(*store_, pods_, "default");
  EXPECT_EQ(store_->ListJson(pods_, "default", {}), first);  // unchanged: the same text

  a["metadata"]["labels"]["x"] = "1";
  store_->Update(pods_, "default", "a", a);
  std::string updated = Listed(*store_, pods_, "default");
  EXPECT_NE(updated, first);
  EXPECT_EQ(json::parse(updated)["items"][0]["metadata"]["labels"]["x"], "1");

  Pod("default", "b");
  EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "default"))),
              ::testing::ElementsAre("a", "b"));
  ForceDelete(pods_, "default", "a");
  EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "default"))), ::testing::ElementsAre("b"));
  store_->Patch(pods_, "default", "b", PatchType::kMerge, R"({"metadata":{"labels":{"y":"2"}}})");
  EXPECT_EQ(json::parse(Listed(*store_, pods_, "default"))["items"][0]["metadata"]["labels"]["y"],
            "2");
  store_->Clear();
  EXPECT_TRUE(json::parse(Listed(*store_, pods_, "default"))["items"].empty());
}

TEST_F(ListCacheTest, AWriteOfAnotherResourceMovesTheListsResourceVersionOn) {
  Pod("default", "a");
  std::string before = Listed(*store_, pods_, "default");
  store_->Create(configmaps_, "default", {{"metadata", {{"name", "c"}}}});
  std::string after = Listed(*store_, pods_, "default");
  EXPECT_NE(json::parse(after)["metadata"]["resourceVersion"],
            json::parse(before)["metadata"]["resourceVersion"]);
}

TEST_F(ListCacheTest, DifferentRequestsDoNotShareText) {
  Pod("default", "a", {{"app", "x"}});
  Pod("default", "b", {{"app", "y"}});
  Pod("team-a", "c", {{"app", "x"}});
  ListOptions x, y, fields, one, exact;
  x.label_selector = "app=x";
  y.label_selector = "app=y";
  fields.field_selector = "metadata.name=b";
  one.limit = 1;
  exact.resource_version = std::to_string(store_->resource_version());
  exact.resource_version_match = "Exact";
  // Each asked twice, in turns: a kept text must come back only for its own request.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "default"))),
                ::testing::ElementsAre("a", "b"));
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, ""))),
                ::testing::ElementsAre("a", "b", "c"));
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "team-a"))), ::testing::ElementsAre("c"));
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "", x))),
                ::testing::ElementsAre("a", "c"));
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "", y))), ::testing::ElementsAre("b"));
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "", fields))),
                ::testing::ElementsAre("b"));
    json page = json::parse(Listed(*store_, pods_, "", one));
    EXPECT_THAT(Names(page), ::testing::ElementsAre("a"));
    ListOptions next;
    next.continue_token = page["metadata"]["continue"];
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "", next))),
                ::testing::ElementsAre("b", "c"));
    EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "", exact))),
                ::testing::ElementsAre("a", "b", "c"));
    EXPECT_TRUE(json::parse(Listed(*store_, secrets_, "default"))["items"].empty());
  }
}

TEST_F(ListCacheTest, AnExactListFromACompactedRevisionIsExpiredOnceKept) {
  store_->SetCompactionWindow(5min);
  const int64_t before = Rv(Pod("default", "a"));
  Pod("default", "b");
  ListOptions exact;
  exact.resource_version = std::to_string(before);
  exact.resource_version_match = "Exact";
  EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "default", exact))),
              ::testing::ElementsAre("a"));
  now_ += 6min;  // both changes leave the history by age: no write, only time
  EXPECT_EQ(Error([&] { store_->ListJson(pods_, "default", exact); }).code(), 410);
}

TEST_F(ListCacheTest, AnErrorIsNotKept) {
  ListOptions future;
  future.resource_version = std::to_string(store_->resource_version() + 1);
  future.resource_version_match = "NotOlderThan";
  EXPECT_EQ(Error([&] { store_->ListJson(pods_, "default", future); }).code(), 504);
  Pod("default", "a");  // the store reaches that revision
  EXPECT_THAT(Names(json::parse(Listed(*store_, pods_, "default", future))),
              ::testing::ElementsAre("a"));
}

TEST_F(ListCacheTest, AnswersInOtherFormsAreMadeOncePerStateAndForm) {
  Pod("default", "a");
  int made = 0;
  auto answer = [&](const std::string& form, const ListOptions& o = {}) {
    auto kept = store_->ListAnswer(pods_, "default", o, form, [&](json list) {
      ++made;
      EXPECT_EQ(list, store_->List(pods_, "default", o));
      return EncodedAnswer{"type/" + form, form + ":" + std::to_string(list["items"].size())};
    });
    EXPECT_EQ(kept->content_type, "type/" + form);  // kept with its body
    return kept->body;
  };
  EXPECT_EQ(answer("yaml"), "yaml:1");
  EXPECT_EQ(answer("yaml"), "yaml:1");
  EXPECT_EQ(made, 1);
  EXPECT_EQ(answer("protobuf"), "protobuf:1");  // another form: its own answer
  EXPECT_EQ(made, 2);
  ListOptions none;
  none.label_selector = "app=none";
  EXPECT_EQ(answer("yaml", none), "yaml:0");  // another list
  EXPECT_EQ(made, 3);
  EXPECT_EQ(answer(""), ":1");  // even an empty form is not the JSON text
  EXPECT_NE(store_->ListJson(pods_, "default", {}), ":1");
  Pod("default", "b");
  EXPECT_EQ(answer("yaml"), "yaml:2");
  EXPECT_EQ(answer("yaml"), "yaml:2");
  EXPECT_EQ(made, 5);
}

TEST_F(ListCacheTest, AKeptAnswerIsSharedNotCopied) {
  Pod("default", "a");
  auto text = store_->SharedListJson(pods_, "default", {});
  EXPECT_EQ(store_->SharedListJson(pods_, "default", {}).get(), text.get());
  auto make = [](json list) { return EncodedAnswer{"application/yaml", list.dump()}; };
  auto yaml = store_->ListAnswer(pods_, "default", {}, "yaml", make);
  EXPECT_EQ(store_->ListAnswer(pods_, "default", {}, "yaml", make).get(), yaml.get());
  Pod("default", "b");  // a new state: new answers, the old ones still whole for their holders
  EXPECT_NE(store_->ListAnswer(pods_, "default", {}, "yaml", make)->body, yaml->body);
  EXPECT_EQ(json::parse(yaml->body)["items"].size(), 1u);
  EXPECT_EQ(json::parse(*text)["items"].size(), 1u);
}

TEST_F(ListCacheTest, AClockTickWithNothingDueKeepsTheLists) {
  Pod("default", "web");  // bound to a node: deleted after its grace period
  auto text = store_->SharedListJson(pods_, "default", {});
  EXPECT_FALSE(store_->Tick());
  EXPECT_EQ(store_->SharedListJson(pods_, "default", {}).get(), text.get());
  store_->Delete(pods_, "default", "web");  // marked: 30 s to go
  now_ += std::chrono::seconds(29);
  text = store_->SharedListJson(pods_, "default", {});
  EXPECT_FALSE(store_->Tick());  // its grace period not over yet
  EXPECT_EQ(store_->SharedListJson(pods_, "default", {}).get(), text.get());
  now_ += std::chrono::seconds(1);
  EXPECT_TRUE(store_->Tick());
  EXPECT_EQ(Names(json::parse(Listed(*store_, pods_, "default"))).size(), 0u);
}

// Only a write that commits moves the store's state on: one refused under the lock (a name taken,
// a stale resourceVersion) or one that changes nothing leaves the kept answers in use.
TEST_F(ListCacheTest, AWriteThatChangesNothingKeepsTheLists) {
  json a = Pod("default", "a");
  const int64_t compacted = store_->Compact(std::nullopt);
  auto text = store_->SharedListJson(pods_, "default", {});
  json again = {{"metadata", {{"name", "a"}}},
                {"spec", {{"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}};
  EXPECT_EQ(Error([&] { store_->Create(pods_, "default", again); }).code(), 409);
  json stale = a;
  stale["metadata"]["resourceVersion"] = "1";
  stale["metadata"]["labels"]["x"] = "1";
  EXPECT_EQ(Error([&] { store_->Update(pods_, "default", "a", stale); }).code(), 409);
  store_->Update(pods_, "default", "a", a);  // the object as it is: no new revision
  EXPECT_EQ(store_->SharedListJson(pods_, "default", {}).get(), text.get());
  EXPECT_EQ(store_->Compact(std::nullopt), compacted);  // nothing more to drop
  EXPECT_EQ(store_->SharedListJson(pods_, "default", {}).get(), text.get());

  a["metadata"]["labels"]["x"] = "1";
  store_->Update(pods_, "default", "a", a);
  EXPECT_NE(store_->SharedListJson(pods_, "default", {}).get(), text.get());
  EXPECT_EQ(json::parse(Listed(*store_, pods_, "default"))["items"][0]["metadata"]["labels"]["x"],
            "1");
}

TEST_F(ListCacheTest, AnAnswerThatCouldNotBeMadeIsNotKept) {
  int tries = 0;
  auto fails = [&](json) -> EncodedAnswer {
    ++tries;
    throw StatusError(406, "NotAcceptable", "no");
  };
  EXPECT_EQ(Error([&] { store_->ListAnswer(pods_, "default", {}, "x", fails); }).code(), 406);
  EXPECT_EQ(Error([&] { store_->ListAnswer(pods_, "default", {}, "x", fails); }).code(), 406);
  EXPECT_EQ(tries, 2);
}

TEST(ListCacheKeyTest, EveryFieldCountsAndNoneRunsIntoTheNext) {
  ResourceInfo pods;
  pods.version = "v1";
  pods.kind = "Pod";
  pods.plural = "pods";
  ListOptions plain;
  const std::string key = ListCache::Key(pods, "default", plain);
  auto differs = [&](const ResourceInfo& r, const std::string& ns, const ListOptions& o) {
    return ListCache::Key(r, ns, o) != key;
  };
  ListOptions o = plain;
  o.label_selector = "a";
  EXPECT_TRUE(differs(pods, "default", o));
  ListOptions shifted = plain;  // the same bytes, in the next field
  shifted.field_selector = "a";
  EXPECT_NE(ListCache::Key(pods, "default", o), ListCache::Key(pods, "default", shifted));
  for (auto change : std::vector<std::function<void(ListOptions&)>>{
           [](ListOptions& l) { l.limit = 1; }, [](ListOptions& l) { l.continue_token = "x"; },
           [](ListOptions& l) { l.resource_version = "0"; },
           [](ListOptions& l) { l.resource_version_match = "Exact"; },
           [](ListOptions& l) { l.send_initial_events = false; }}) {
    ListOptions changed = plain;
    change(changed);
    EXPECT_TRUE(differs(pods, "default", changed));
  }
  EXPECT_TRUE(differs(pods, "", plain));
  EXPECT_NE(ListCache::Key(pods, std::string("a\0", 2), plain),
            ListCache::Key(pods, std::string("a", 1), plain));
  for (auto change : std::vector<std::function<void(ResourceInfo&)>>{
           [](ResourceInfo& r) { r.group = "x"; }, [](ResourceInfo& r) { r.version = "v2"; },
           [](ResourceInfo& r) { r.kind = "Other"; }, [](ResourceInfo& r) { r.plural = "others"; },
           [](ResourceInfo& r) { r.namespaced = false; }}) {
    ResourceInfo changed = pods;
    change(changed);
    EXPECT_TRUE(differs(changed, "default", plain));
  }
}

TEST(ListCacheKeyTest, AnAnswerIsFoundOnlyForItsStateAndAnOlderStateDoesNotReplaceANewer) {
  ListCache cache;
  auto text = [](const char* s) {
    return std::make_shared<const EncodedAnswer>(EncodedAnswer{"text/plain", s});
  };
  cache.Put("k", 2, text("two"));
  ASSERT_TRUE(cache.Find("k", 2));
  EXPECT_EQ(cache.Find("k", 2)->body, "two");
  EXPECT_EQ(cache.Find("k", 2)->content_type, "text/plain");
  EXPECT_FALSE(cache.Find("k", 3));
  EXPECT_FALSE(cache.Find("other", 2));
  cache.Put("k", 1, text("one"));  // made before the state moved on
  EXPECT_EQ(cache.Find("k", 2)->body, "two");
  cache.Put("j", 3, text("three"));
  EXPECT_FALSE(cache.Find("k", 2));
  EXPECT_EQ(cache.Find("j", 3)->body, "three");
}

TEST(ListCacheKeyTest, TheSameAnswerIsSharedNotCopied) {
  ListCache cache;
  auto kept = std::make_shared<const EncodedAnswer>(EncodedAnswer{"application/json", "{}"});
  cache.Put("k", 1, kept);
  EXPECT_EQ(cache.Find("k", 1).get(), kept.get());
}

}  // namespace
}  // namespace kubedouble::fake::testing
