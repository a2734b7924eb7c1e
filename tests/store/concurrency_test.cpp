// Many writers and watchers at once: nothing lost, nothing duplicated, everything in order.
#include <set>
#include <thread>

#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using namespace std::chrono_literals;

using ConcurrencyTest = StoreTest;

TEST_F(ConcurrencyTest, EightWritersAThousandObjectsEveryWatcherSeesEverything) {
  constexpr int kThreads = 8, kPerThread = 125, kTotal = kThreads * kPerThread;
  constexpr int kWatchers = 16;
  ListOptions from_now;
  from_now.resource_version = std::to_string(store_->resource_version());
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < kWatchers; ++i) watches.push_back(store_->StartWatch(pods_, "", from_now));

  // Watchers read while the writers write.
  std::vector<std::vector<WatchEvent>> seen(kWatchers);
  std::vector<std::thread> readers;
  for (int i = 0; i < kWatchers; ++i) {
    readers.emplace_back([&, i] {
      while (static_cast<int>(seen[i].size()) < kTotal) {
        auto e = watches[i]->Next(5s);
        if (!e) break;
        seen[i].push_back(std::move(*e));
      }
    });
  }
  std::vector<std::vector<int64_t>> rvs(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string ns = i % 2 ? "default" : "team-a";
        json body = PodBody("p-" + std::to_string(t) + "-" + std::to_string(i));
        body["metadata"]["labels"] = {{"writer", std::to_string(t)}};
        auto pod = store_->Create(pods_, ns, body);
        rvs[t].push_back(Rv(pod));
      }
    });
  }
  for (auto& w : writers) w.join();
  for (auto& r : readers) r.join();

  std::set<int64_t> all_rvs;
  for (const auto& per_thread : rvs) {
    ASSERT_EQ(per_thread.size(), static_cast<size_t>(kPerThread));
    for (size_t i = 1; i < per_thread.size(); ++i) EXPECT_LT(per_thread[i - 1], per_thread[i]);
    all_rvs.insert(per_thread.begin(), per_thread.end());
  }
  EXPECT_EQ(all_rvs.size(), static_cast<size_t>(kTotal));  // no two writes share a version

  auto list = store_->List(pods_, "", {});
  EXPECT_EQ(list["items"].size(), static_cast<size_t>(kTotal));
  ListOptions paged;
  paged.limit = 70;
  size_t walked = 0;
  do {
    auto page = store_->List(pods_, "", paged);
    walked += page["items"].size();
    paged.continue_token = page["metadata"].value("continue", "");
  } while (!paged.continue_token.empty());
  EXPECT_EQ(walked, static_cast<size_t>(kTotal));

  for (int i = 0; i < kWatchers; ++i) {
    ASSERT_EQ(seen[i].size(), static_cast<size_t>(kTotal)) << "watcher " << i;
    std::set<std::string> names;
    int64_t last = 0;
    for (const auto& e : seen[i]) {
      EXPECT_EQ(e.type, "ADDED");
      int64_t rv = Rv(e.object);
      EXPECT_GT(rv, last) << "watcher " << i << " out of order";
      last = rv;
      names.insert(e.object["metadata"]["name"].get<std::string>());
    }
    EXPECT_EQ(names.size(), static_cast<size_t>(kTotal)) << "watcher " << i << " saw duplicates";
    EXPECT_FALSE(watches[i]->Next(10ms));  // and nothing more
  }
}

TEST_F(ConcurrencyTest, HundredsOfIdleWatchesDoNotBlockWriters) {
  constexpr int kWatches = 300;
  std::vector<std::unique_ptr<Watch>> watches;
  ListOptions o;
  o.resource_version = std::to_string(store_->resource_version());
  o.label_selector = "pick=me";
  for (int i = 0; i < kWatches; ++i) watches.push_back(store_->StartWatch(pods_, "", o));
  std::vector<std::thread> readers;
  std::atomic<int> got{0};
  for (int i = 0; i < kWatches; ++i) {
    readers.emplace_back([&, i] {
      if (auto e = watches[i]->Next(10s); e && e->type == "ADDED") ++got;
    });
  }
  for (int i = 0; i < 50; ++i) Pod("default", "noise-" + std::to_string(i));
  Pod("default", "chosen", {{"pick", "me"}});
  for (auto& r : readers) r.join();
  EXPECT_EQ(got.load(), kWatches);
}

}  // namespace
}  // namespace kubedouble::fake::testing
