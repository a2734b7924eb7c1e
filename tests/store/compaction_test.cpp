// Time-based compaction of the change history (the store's clock), and compaction on demand:
// watches and exact lists from before it get 410 Expired, as from a compacted kube-apiserver.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using namespace std::chrono_literals;

using CompactionTest = StoreTest;

// The first event of a watch from `rv`.
WatchEvent FirstEvent(Store& store, const ResourceInfo& res, int64_t rv) {
  ListOptions o;
  o.resource_version = std::to_string(rv);
  auto w = store.StartWatch(res, "default", o);
  auto e = w->Next(50ms);
  return e ? *e : WatchEvent{"NONE", nullptr, nullptr};
}

TEST_F(CompactionTest, ChangesOlderThanTheWindowAreCompactedByTheStoreClock) {
  store_->SetCompactionWindow(5min);
  const int64_t before = store_->resource_version();
  Pod("default", "a");
  now_ += 4min;
  const int64_t middle = Rv(Pod("default", "b"));
  // Four minutes on, the whole history is there: a watch from `before` replays b.
  EXPECT_EQ(FirstEvent(*store_, pods_, before).type, "ADDED");
  now_ += 2min;  // a is 6 minutes old now, b 2 minutes
  WatchEvent gone = FirstEvent(*store_, pods_, before);
  EXPECT_EQ(gone.type, "ERROR");
  EXPECT_EQ(gone.object["code"], 410);
  EXPECT_EQ(gone.object["reason"], "Expired");
  EXPECT_EQ(gone.object["message"], "too old resource version: " + std::to_string(before) + " (" +
                                        std::to_string(middle - 1) + ")");
  // From the compacted revision on, watches still start.
  EXPECT_NE(FirstEvent(*store_, pods_, middle - 1).type, "ERROR");
  // An exact list from before is gone too.
  ListOptions exact;
  exact.resource_version = std::to_string(before);
  exact.resource_version_match = "Exact";
  try {
    store_->List(pods_, "default", exact);
    ADD_FAILURE() << "an exact list from a compacted revision was answered";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.code(), 410);
    EXPECT_STREQ(e.what(), "The resourceVersion for the provided list is too old.");
  }
}

TEST_F(CompactionTest, WithoutAWindowNothingIsCompactedByAge) {
  const int64_t before = Rv(Pod("default", "a"));
  Pod("default", "b");
  now_ += 24h;
  EXPECT_EQ(FirstEvent(*store_, pods_, before).type, "ADDED");
}

TEST_F(CompactionTest, CompactOnDemandEndsWatchesThatAreBehind) {
  const int64_t before = Rv(Pod("default", "a"));
  ListOptions from;
  from.resource_version = std::to_string(before);
  auto behind = store_->StartWatch(pods_, "default", from);
  Pod("default", "b");  // not yet read by `behind`
  const int64_t current = store_->resource_version();
  EXPECT_EQ(store_->Compact(), current);
  EXPECT_EQ(store_->compacted_revision(), current);
  auto e = behind->Next(50ms);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ERROR");
  EXPECT_EQ(e->object["code"], 410);
  // A watch from the current revision is fine, and sees what comes next.
  ListOptions now;
  now.resource_version = std::to_string(current);
  auto w = store_->StartWatch(pods_, "default", now);
  Pod("default", "c");
  auto next = w->Next(50ms);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->type, "ADDED");
  // Compacting to an older revision changes nothing.
  EXPECT_EQ(store_->Compact(before), current);
}

}  // namespace
}  // namespace kubedouble::fake::testing
