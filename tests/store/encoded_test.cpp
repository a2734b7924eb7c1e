// The encoded reads (GetJson, ListJson, Watch::NextEncoded) send exactly what the json reads
// (Get, List, Watch::Next) would, serialized: the server answers plain JSON reads with them.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using namespace std::chrono_literals;
using EncodedTest = StoreTest;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

TEST_F(EncodedTest, GetAndListTextsAreTheJsonReadsSerialized) {
  Pod("default", "a", {{"app", "x"}});
  Pod("default", "b");
  Pod("team-a", "c", {{"app", "x"}});
  EXPECT_EQ(store_->GetJson(pods_, "default", "a"), Dump(store_->Get(pods_, "default", "a")));
  for (const std::string ns : {"", "default", "team-a", "nowhere"}) {
    ListOptions all;
    EXPECT_EQ(store_->ListJson(pods_, ns, all), Dump(store_->List(pods_, ns, all))) << ns;
  }
  ListOptions page;
  page.limit = 1;
  page.label_selector = "app=x";
  std::string text = store_->ListJson(pods_, "", page);
  json list = json::parse(text);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_TRUE(list["metadata"].contains("continue"));
  EXPECT_FALSE(list["metadata"].contains("remainingItemCount"));  // selectors given
  page.continue_token = list["metadata"]["continue"];
  EXPECT_EQ(store_->ListJson(pods_, "", page), Dump(store_->List(pods_, "", page)));
  EXPECT_THROW(store_->GetJson(pods_, "default", "missing"), StatusError);
}

TEST_F(EncodedTest, AnUpdatedObjectIsSentAsItsNewState) {
  json a = Pod("default", "a");
  std::string before = store_->GetJson(pods_, "default", "a");
  a["metadata"]["labels"]["x"] = "1";
  store_->Update(pods_, "default", "a", a);
  std::string after = store_->GetJson(pods_, "default", "a");
  EXPECT_NE(before, after);
  EXPECT_EQ(json::parse(after)["metadata"]["labels"]["x"], "1");
}

TEST_F(EncodedTest, EncodedWatchEventsMatchThePlainOnes) {
  Pod("default", "a", {{"app", "x"}});
  ListOptions o;
  o.label_selector = "app=x";
  auto plain = store_->StartWatch(pods_, "default", o);
  auto encoded = store_->StartWatch(pods_, "default", o);
  json b = Pod("default", "b", {{"app", "x"}});
  b["metadata"]["labels"]["app"] = "y";  // leaves the selection: DELETED
  store_->Update(pods_, "default", "b", b);
  store_->Delete(pods_, "default", "a");
  int events = 0;
  while (auto p = plain->Next(50ms)) {
    auto e = encoded->NextEncoded(50ms);
    ASSERT_TRUE(e.has_value());
    ASSERT_TRUE(e->encoded);
    EXPECT_TRUE(e->object.is_null());
    EXPECT_EQ(e->type, p->type);
    EXPECT_EQ(*e->encoded, Dump(p->object));
    ++events;
  }
  EXPECT_EQ(events, 4);  // ADDED a, ADDED b, DELETED b, DELETED a
}

}  // namespace
}  // namespace kubedouble::fake::testing
