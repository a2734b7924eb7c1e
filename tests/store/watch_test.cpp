// Watches: initial state, resuming, selectors, bookmarks, expiry.
#include <atomic>
#include <memory>
#include <thread>

#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

using WatchTest = StoreTest;

// "TYPE name" for each event until none arrives within a short wait.
std::vector<std::string> Drain(Watch& w, std::chrono::milliseconds wait = 50ms) {
  std::vector<std::string> out;
  while (auto e = w.Next(wait)) {
    std::string name = e->object["metadata"].value("name", "");
    out.push_back(e->type + (name.empty() ? "" : " " + name));
  }
  return out;
}

TEST_F(WatchTest, UnsetResourceVersionStartsWithTheCurrentState) {
  Pod("default", "a");
  Pod("team-a", "b");
  auto w = store_->StartWatch(pods_, "", {});
  EXPECT_THAT(Drain(*w), ElementsAre("ADDED a", "ADDED b"));
  Pod("default", "c");
  EXPECT_THAT(Drain(*w), ElementsAre("ADDED c"));
  ListOptions zero;
  zero.resource_version = "0";
  auto w0 = store_->StartWatch(pods_, "default", zero);
  EXPECT_THAT(Drain(*w0), ElementsAre("ADDED a", "ADDED c"));
}

TEST_F(WatchTest, FromAResourceVersionSendsOnlyLaterChanges) {
  auto a = Pod("default", "a");
  ListOptions o;
  o.resource_version = std::to_string(Rv(a));
  auto w = store_->StartWatch(pods_, "default", o);
  EXPECT_THAT(Drain(*w), IsEmpty());
  auto b = Pod("default", "b");
  a["metadata"]["labels"]["x"] = "1";
  store_->Update(pods_, "default", "a", a);
  ForceDelete(pods_, "default", "b");
  Pod("team-a", "elsewhere");
  auto events = std::vector<WatchEvent>();
  while (auto e = w->Next(50ms)) events.push_back(*e);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, "ADDED");
  EXPECT_EQ(events[1].type, "MODIFIED");
  EXPECT_EQ(events[1].object["metadata"]["labels"]["x"], "1");
  EXPECT_EQ(events[2].type, "DELETED");
  EXPECT_EQ(events[2].object["metadata"]["name"], "b");
  EXPECT_GT(Rv(events[2].object), Rv(events[1].object));
  EXPECT_EQ(events[2].object["kind"], "Pod");
  EXPECT_EQ(events[2].object["apiVersion"], "v1");

  // Resuming from the middle replays the rest.
  o.resource_version = events[0].object["metadata"]["resourceVersion"];
  auto again = store_->StartWatch(pods_, "default", o);
  EXPECT_THAT(Drain(*again), ElementsAre("MODIFIED a", "DELETED b"));
}

TEST_F(WatchTest, TooOldResourceVersionGetsTheExpiredError) {
  Store small(
      registry_, [this] { return now_; }, 3);
  small.Create(namespaces_, "", {{"metadata", {{"name", "default"}}}});
  auto first = small.Create(configmaps_, "default", {{"metadata", {{"name", "p0"}}}});
  for (int i = 1; i < 6; ++i) {
    small.Create(configmaps_, "default", {{"metadata", {{"name", "p" + std::to_string(i)}}}});
  }
  ListOptions o;
  o.resource_version = std::to_string(Rv(first) - 1);
  auto w = small.StartWatch(configmaps_, "default", o);
  auto e = w->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ERROR");
  EXPECT_EQ(e->object["kind"], "Status");
  EXPECT_EQ(e->object["code"], 410);
  EXPECT_EQ(e->object["reason"], "Expired");
  EXPECT_EQ(e->object["status"], "Failure");
  EXPECT_EQ(e->object["message"].get<std::string>(),
            "too old resource version: " + std::to_string(Rv(first) - 1) + " (" +
                std::to_string(small.resource_version() - 3) + ")");
  EXPECT_TRUE(w->finished());
  EXPECT_FALSE(w->Next(10ms));
}

TEST_F(WatchTest, AWatcherThatFallsBehindTheWindowGetsTheExpiredError) {
  Store small(
      registry_, [this] { return now_; }, 3);
  small.Create(namespaces_, "", {{"metadata", {{"name", "default"}}}});
  ListOptions o;
  o.resource_version = std::to_string(small.resource_version());
  auto w = small.StartWatch(configmaps_, "default", o);
  for (int i = 0; i < 5; ++i) {
    small.Create(configmaps_, "default", {{"metadata", {{"name", "p" + std::to_string(i)}}}});
  }
  auto e = w->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ERROR");
  EXPECT_TRUE(w->finished());
}

// A change wakes only the parked watches it can concern (issue 19): with 5,000 watches parked,
// every write woke all of them, whatever their resource, and each went through the log to find
// nothing.
TEST_F(WatchTest, AChangeWakesOnlyTheWatchesOfItsResourceAndNamespace) {
  struct Woken {
    std::unique_ptr<Watch> watch;
    std::shared_ptr<std::atomic<int>> count = std::make_shared<std::atomic<int>>(0);
  };
  auto parked = [&](const ResourceInfo& res, const std::string& ns) {
    Woken w{store_->StartWatch(res, ns, {})};
    w.watch->OnChange([count = w.count] { ++*count; });
    Drain(*w.watch, 0ms);  // the current state
    return w;
  };
  Woken maps_default = parked(configmaps_, "default");
  Woken maps_everywhere = parked(configmaps_, "");
  Woken pods_default = parked(pods_, "default");

  store_->Create(configmaps_, "team-a", {{"metadata", {{"name", "elsewhere"}}}});
  EXPECT_EQ(*maps_default.count, 0);
  EXPECT_EQ(*maps_everywhere.count, 1);
  EXPECT_EQ(*pods_default.count, 0);

  Pod("default", "p");
  EXPECT_EQ(*maps_default.count, 0);
  EXPECT_EQ(*maps_everywhere.count, 1);
  EXPECT_EQ(*pods_default.count, 1);

  store_->Create(configmaps_, "default", {{"metadata", {{"name", "here"}}}});
  EXPECT_EQ(*maps_default.count, 1);
  EXPECT_EQ(*maps_everywhere.count, 2);
  EXPECT_EQ(*pods_default.count, 1);
  EXPECT_THAT(Drain(*maps_default.watch, 0ms), ElementsAre("ADDED here"));
  EXPECT_THAT(Drain(*maps_everywhere.watch, 0ms), ElementsAre("ADDED elsewhere", "ADDED here"));

  // Stopping one watch wakes that one alone.
  pods_default.watch->Stop();
  EXPECT_EQ(*pods_default.count, 2);
  EXPECT_EQ(*maps_default.count, 1);
  // Clear ends every watch: it wakes them all.
  store_->Clear();
  EXPECT_EQ(*maps_default.count, 2);
  EXPECT_EQ(*maps_everywhere.count, 3);
}

// An idle watch, not woken by other resources' (or other namespaces') changes, is not pushed out
// of the history by them: kube-apiserver keeps a window per resource, and its watch goes on.
TEST_F(WatchTest, OtherResourcesChangesDoNotExpireAnIdleWatch) {
  Store small(
      registry_, [this] { return now_; }, 3);
  for (const char* ns : {"default", "team-a"}) {
    small.Create(namespaces_, "", {{"metadata", {{"name", ns}}}});
  }
  ListOptions o;
  o.resource_version = std::to_string(small.resource_version());
  auto w = small.StartWatch(configmaps_, "default", o);
  for (int i = 0; i < 5; ++i) {
    small.Create(secrets_, "default", {{"metadata", {{"name", "s" + std::to_string(i)}}}});
    small.Create(configmaps_, "team-a", {{"metadata", {{"name", "c" + std::to_string(i)}}}});
  }
  EXPECT_THAT(Drain(*w, 0ms), IsEmpty());
  EXPECT_FALSE(w->finished());
  small.Create(configmaps_, "default", {{"metadata", {{"name", "mine"}}}});
  EXPECT_THAT(Drain(*w, 0ms), ElementsAre("ADDED mine"));
}

// The history is bounded in bytes as well as in changes: versions of a large object push the
// oldest out long before the count would, and a watch or continue token from before them gets
// the 410 Expired a compacted kube-apiserver sends. (Unbounded, 10,000 versions of a 2.9 MB
// object were all kept, ~30 GB.)
TEST_F(WatchTest, TheHistoryIsBoundedInBytesAsWellAsInChanges) {
  Store small(
      registry_, [this] { return now_; }, 10000, 64 * 1024);
  small.Create(namespaces_, "", {{"metadata", {{"name", "default"}}}});
  auto big = [](int i) {
    return json{{"metadata", {{"name", "big"}}},
                {"data", {{"k", std::to_string(i) + std::string(8000, 'x')}}}};
  };
  small.Create(configmaps_, "default", {{"metadata", {{"name", "aaa"}}}});
  auto first = small.Create(configmaps_, "default", big(0));
  ListOptions page;
  page.limit = 1;
  std::string token = small.List(configmaps_, "default", page)["metadata"]["continue"];
  for (int i = 1; i <= 20; ++i) small.Update(configmaps_, "default", "big", big(i));

  ListOptions o;
  o.resource_version = std::to_string(Rv(first));
  auto w = small.StartWatch(configmaps_, "default", o);
  auto e = w->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ERROR");
  EXPECT_EQ(e->object["code"], 410);
  EXPECT_EQ(e->object["reason"], "Expired");
  EXPECT_THAT(
      e->object["message"].get<std::string>(),
      ::testing::StartsWith("too old resource version: " + std::to_string(Rv(first)) + " ("));
  page.continue_token = token;
  auto expired = Error([&] { small.List(configmaps_, "default", page); });
  EXPECT_EQ(expired.code(), 410);
  EXPECT_EQ(expired.reason(), "Expired");

  // The newest versions (64 KiB / 8 KB: about seven) are still there to resume from.
  o.resource_version = std::to_string(small.resource_version() - 5);
  auto recent = small.StartWatch(configmaps_, "default", o);
  EXPECT_EQ(Drain(*recent).size(), 5u);
  // One object larger than the whole budget still leaves its newest change to resume after.
  small.Update(configmaps_, "default", "big",
               {{"metadata", {{"name", "big"}}}, {"data", {{"k", std::string(100000, 'y')}}}});
  o.resource_version = std::to_string(small.resource_version() - 1);
  EXPECT_THAT(Drain(*small.StartWatch(configmaps_, "default", o)), ElementsAre("MODIFIED big"));
}

TEST_F(WatchTest, SelectorsTurnLeavingIntoDeletedAndEnteringIntoAdded) {
  auto p = Pod("default", "p", {{"app", "web"}});
  Pod("default", "other", {{"app", "db"}});
  ListOptions o;
  o.label_selector = "app=web";
  auto w = store_->StartWatch(pods_, "default", o);
  EXPECT_THAT(Drain(*w), ElementsAre("ADDED p"));
  p["metadata"]["labels"]["app"] = "db";
  p = store_->Update(pods_, "default", "p", p);
  auto e = w->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "DELETED");
  EXPECT_EQ(e->object["metadata"]["labels"]["app"], "web");  // the state it was selected in
  EXPECT_EQ(e->object["metadata"]["resourceVersion"], p["metadata"]["resourceVersion"]);
  p["metadata"]["labels"]["app"] = "web";
  store_->Update(pods_, "default", "p", p);
  ForceDelete(pods_, "default", "other");  // never matched: not seen
  EXPECT_THAT(Drain(*w), ElementsAre("ADDED p"));

  ListOptions f;
  f.field_selector = "status.phase=Running";
  auto wf = store_->StartWatch(pods_, "", f);
  EXPECT_THAT(Drain(*wf), ElementsAre("ADDED p"));
  auto cur = store_->Get(pods_, "default", "p");
  cur["status"]["phase"] = "Succeeded";
  store_->Update(pods_, "default", "p", cur, {.status_only = true});
  EXPECT_THAT(Drain(*wf), ElementsAre("DELETED p"));

  ListOptions bad;
  bad.field_selector = "spec.image=x";
  EXPECT_EQ(Error([&] { store_->StartWatch(pods_, "", bad); }).code(), 400);
}

TEST_F(WatchTest, BookmarksWhenAskedAndIdle) {
  ListOptions o;
  o.allow_watch_bookmarks = true;
  o.bookmark_interval = 20ms;
  o.resource_version = std::to_string(store_->resource_version());
  auto w = store_->StartWatch(pods_, "", o);
  auto e = w->Next(500ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "BOOKMARK");
  EXPECT_EQ(e->object["kind"], "Pod");
  EXPECT_EQ(e->object["apiVersion"], "v1");
  EXPECT_EQ(e->object["metadata"]["resourceVersion"], std::to_string(store_->resource_version()));
  Pod("default", "x");
  e = w->Next(500ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ADDED");
  Namespace("elsewhere");  // another resource moves the revision on
  e = w->Next(500ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "BOOKMARK");
  EXPECT_EQ(e->object["metadata"]["resourceVersion"], std::to_string(store_->resource_version()));

  ListOptions none;
  none.resource_version = o.resource_version;
  none.bookmark_interval = 1ms;
  auto quiet = store_->StartWatch(pods_, "team-a", none);
  EXPECT_FALSE(quiet->Next(30ms));  // no bookmarks unless asked
}

TEST_F(WatchTest, SendInitialEventsEndsWithTheAnnotatedBookmark) {
  Pod("default", "a");
  Pod("default", "b");
  ListOptions o;
  o.send_initial_events = true;
  o.resource_version_match = "NotOlderThan";
  o.allow_watch_bookmarks = true;
  auto w = store_->StartWatch(pods_, "default", o);
  EXPECT_EQ(w->Next(50ms)->type, "ADDED");
  EXPECT_EQ(w->Next(50ms)->type, "ADDED");
  auto end = w->Next(50ms);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->type, "BOOKMARK");
  EXPECT_EQ(end->object["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  EXPECT_EQ(end->object["metadata"]["resourceVersion"], std::to_string(store_->resource_version()));
  Pod("default", "c");
  EXPECT_EQ(w->Next(50ms)->type, "ADDED");

  ListOptions missing_match;
  missing_match.send_initial_events = true;
  auto e = Error([&] { store_->StartWatch(pods_, "", missing_match); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_THAT(e.what(),
              ::testing::HasSubstr(
                  "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
  ListOptions match_only;
  match_only.resource_version_match = "NotOlderThan";
  EXPECT_EQ(Error([&] { store_->StartWatch(pods_, "", match_only); }).code(), 422);

  ListOptions no_initial;
  no_initial.send_initial_events = false;
  no_initial.resource_version_match = "NotOlderThan";
  auto w2 = store_->StartWatch(pods_, "default", no_initial);
  EXPECT_THAT(Drain(*w2), IsEmpty());
}

TEST_F(WatchTest, TimeoutAndStopFinishTheWatch) {
  ListOptions o;
  o.timeout_seconds = 1;
  o.resource_version = std::to_string(store_->resource_version());
  auto w = store_->StartWatch(pods_, "", o);
  std::optional<WatchEvent> e;
  for (int i = 0; i < 30 && !w->finished(); ++i) e = w->Next(100ms);
  EXPECT_TRUE(w->finished());
  EXPECT_FALSE(e);

  auto w2 = store_->StartWatch(pods_, "", {});
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    w2->Stop();
  });
  EXPECT_FALSE(w2->Next(std::chrono::milliseconds(10000)));  // woken by Stop
  EXPECT_TRUE(w2->finished());
  stopper.join();
}

TEST_F(WatchTest, ClearEndsWatchesWithExpired) {
  ListOptions o;
  o.resource_version = std::to_string(store_->resource_version());
  auto w = store_->StartWatch(pods_, "", o);
  store_->Clear();
  auto e = w->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ERROR");
  EXPECT_EQ(e->object["code"], 410);
}

TEST_F(WatchTest, NamespaceDeletionIsSeenAsDeletedEvents) {
  Pod("team-a", "x");
  Pod("team-a", "y");
  ListOptions o;
  o.resource_version = std::to_string(store_->resource_version());
  auto w = store_->StartWatch(pods_, "team-a", o);
  store_->Delete(namespaces_, "", "team-a");
  // Bound pods are marked first and go when their grace period ends, as a kubelet confirms.
  EXPECT_THAT(Drain(*w), ElementsAre("MODIFIED x", "MODIFIED y"));
  now_ += 30s;
  store_->Tick();
  EXPECT_THAT(Drain(*w), ElementsAre("DELETED x", "DELETED y"));
}

TEST_F(WatchTest, CustomResourceWatch) {
  store_->Create(
      crds_, "",
      {{"metadata", {{"name", "widgets.example.com"}}},
       {"spec",
        {{"group", "example.com"},
         {"scope", "Namespaced"},
         {"names", {{"plural", "widgets"}, {"kind", "Widget"}}},
         {"versions",
          {{{"name", "v1"}, {"served", true}, {"storage", true}, {"schema", OpenSchema()}}}}}}});
  auto widgets = *registry_->Find("example.com", "v1", "widgets");
  auto w = store_->StartWatch(widgets, "default", {});
  store_->Create(widgets, "default", {{"metadata", {{"name", "w"}}}});
  auto e = w->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ADDED");
  EXPECT_EQ(e->object["kind"], "Widget");
  EXPECT_EQ(e->object["apiVersion"], "example.com/v1");
}

}  // namespace
}  // namespace kubedouble::fake::testing
