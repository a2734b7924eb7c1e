// Object store benchmarks: 10,000 pods loaded — a full list, a limit=500 walk, writes, and the
// fan-out of one write to 500 watches. `bench_store --rss-report` prints the resident memory
// after loading the pods (one `name value unit` line, as ci/bench prints figures).
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/proc_status.h"
#include "kubedouble/fakeserver/store.h"
#include "pods.h"

namespace {

using kubedouble::bench::MakePod;
using kubedouble::fake::json;
using kubedouble::fake::ListOptions;
using kubedouble::fake::Registry;
using kubedouble::fake::ResourceInfo;
using kubedouble::fake::Store;

constexpr int kPods = 10000;

struct Loaded {
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
  Store store{registry};
  ResourceInfo pods = *registry->Find("", "v1", "pods");
  Loaded() {
    auto ns = *registry->Find("", "v1", "namespaces");
    for (int n = 0; n < 10; ++n) {
      store.Create(ns, "", {{"metadata", {{"name", "ns-" + std::to_string(n)}}}});
    }
    for (int i = 0; i < kPods; ++i) store.Create(pods, "ns-" + std::to_string(i % 10), MakePod(i));
  }
};

Loaded& Fixture() {
  static Loaded* loaded = new Loaded();
  return *loaded;
}

long RssKb() { return kubedouble::test::ProcStatus(getpid(), "VmRSS:"); }

void BM_StoreFullList10kPods(benchmark::State& state) {
  auto& f = Fixture();
  for (auto _ : state) {
    auto list = f.store.List(f.pods, "", {});
    benchmark::DoNotOptimize(list);
  }
  state.counters["rss_mb"] = static_cast<double>(RssKb()) / 1024.0;
}
BENCHMARK(BM_StoreFullList10kPods)->Unit(benchmark::kMillisecond);

// The body the server sends for a full list (ListJson: each pod's stored JSON text, reused).
void BM_StoreFullList10kPodsSerialized(benchmark::State& state) {
  auto& f = Fixture();
  size_t bytes = 0;
  for (auto _ : state) {
    auto body = f.store.ListJson(f.pods, "", {});
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_mb"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_StoreFullList10kPodsSerialized)->Unit(benchmark::kMillisecond);

void BM_StoreLimit500Walk10kPods(benchmark::State& state) {
  auto& f = Fixture();
  int pages = 0;
  for (auto _ : state) {
    ListOptions o;
    o.limit = 500;
    pages = 0;
    do {
      // The page body the server sends; its metadata (with the continue token) comes last.
      std::string page = f.store.ListJson(f.pods, "", o);
      ++pages;
      size_t at = page.rfind(R"("metadata":)") + 11;
      json meta = json::parse(page.substr(at, page.size() - at - 1));  // without the list's '}'

      o.continue_token = meta.value("continue", "");
      benchmark::DoNotOptimize(page);
    } while (!o.continue_token.empty());
  }
  state.counters["pages"] = pages;
}
BENCHMARK(BM_StoreLimit500Walk10kPods)->Unit(benchmark::kMillisecond);

void BM_StoreLabelSelectedList10kPods(benchmark::State& state) {
  auto& f = Fixture();
  ListOptions o;
  o.label_selector = "app=app-7,tier in (front,back)";
  for (auto _ : state) {
    auto list = f.store.List(f.pods, "", o);
    benchmark::DoNotOptimize(list);
  }
}
BENCHMARK(BM_StoreLabelSelectedList10kPods)->Unit(benchmark::kMillisecond);

void BM_StoreCreatePod(benchmark::State& state) {
  auto registry = std::make_shared<Registry>();
  Store store(registry);
  auto pods = *registry->Find("", "v1", "pods");
  store.Create(*registry->Find("", "v1", "namespaces"), "", {{"metadata", {{"name", "b"}}}});
  int i = 0;
  for (auto _ : state) store.Create(pods, "b", MakePod(i++));
}
BENCHMARK(BM_StoreCreatePod)->Unit(benchmark::kMicrosecond);

// An update (PUT) of a stored pod that changes one label: what recording managedFields adds to
// an ordinary write.
void BM_StoreUpdatePod(benchmark::State& state) {
  auto registry = std::make_shared<Registry>();
  Store store(registry);
  auto pods = *registry->Find("", "v1", "pods");
  store.Create(*registry->Find("", "v1", "namespaces"), "", {{"metadata", {{"name", "b"}}}});
  json pod = store.Create(pods, "b", MakePod(0));
  int i = 0;
  for (auto _ : state) {
    pod["metadata"]["labels"]["round"] = std::to_string(i++);
    pod = store.Update(pods, "b", pod["metadata"]["name"], pod);
  }
}
BENCHMARK(BM_StoreUpdatePod)->Unit(benchmark::kMicrosecond);

// A Deployment with 100 containers, the image of container c50 at `round`.
json Deployment100(int round) {
  json containers = json::array();
  for (int c = 0; c < 100; ++c) {
    containers.push_back({{"name", "c" + std::to_string(c)},
                          {"image", c == 50 ? "app:" + std::to_string(round) : "app:1"},
                          {"ports", {{{"containerPort", 8000 + c}}}},
                          {"env", {{{"name", "INDEX"}, {"value", std::to_string(c)}}}}});
  }
  return {
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", "big"}, {"namespace", "b"}}},
      {"spec",
       {{"replicas", 1},
        {"selector", {{"matchLabels", {{"app", "big"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "big"}}}}}, {"spec", {{"containers", containers}}}}}}}};
}

struct DeploymentStore {
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
  Store store{registry};
  ResourceInfo deployments = *registry->Find("apps", "v1", "deployments");
  DeploymentStore() {
    store.Create(*registry->Find("", "v1", "namespaces"), "", {{"metadata", {{"name", "b"}}}});
  }
};

// The same change — container c50's image — by server-side apply (the whole configuration, as
// `kubectl apply --server-side` sends it) and by strategic-merge patch (the difference, as
// client-side `kubectl apply` sends it): compare the two lines for the ratio.
void BM_StoreApplyDeployment100Containers(benchmark::State& state) {
  DeploymentStore d;
  kubedouble::fake::WriteOptions apply;
  apply.field_manager = "bench";
  try {
    d.store.Patch(d.deployments, "b", "big", kubedouble::fake::PatchType::kApply,
                  Deployment100(0).dump(), apply);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  int i = 1;
  for (auto _ : state) {
    d.store.Patch(d.deployments, "b", "big", kubedouble::fake::PatchType::kApply,
                  Deployment100(i++).dump(), apply);
  }
}
BENCHMARK(BM_StoreApplyDeployment100Containers)->Unit(benchmark::kMicrosecond);

void BM_StoreStrategicPatchDeployment100Containers(benchmark::State& state) {
  DeploymentStore d;
  d.store.Create(d.deployments, "b", Deployment100(0));
  int i = 1;
  for (auto _ : state) {
    json patch = {
        {"spec",
         {{"template",
           {{"spec",
             {{"containers", {{{"name", "c50"}, {"image", "app:" + std::to_string(i++)}}}}}}}}}}};
    d.store.Patch(d.deployments, "b", "big", kubedouble::fake::PatchType::kStrategicMerge,
                  patch.dump());
  }
}
BENCHMARK(BM_StoreStrategicPatchDeployment100Containers)->Unit(benchmark::kMicrosecond);

// The garbage collector: an owner deleted in the background with 10,000 dependents; the time
// until none of them is left (the collector runs within the DELETE that removes the owner).
void BM_StoreCollect10kDependents(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto registry = std::make_shared<Registry>();
    auto store = std::make_unique<Store>(registry);
    auto configmaps = *registry->Find("", "v1", "configmaps");
    store->Create(*registry->Find("", "v1", "namespaces"), "", {{"metadata", {{"name", "gc"}}}});
    json owner = store->Create(configmaps, "gc", {{"metadata", {{"name", "owner"}}}});
    json ref = {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"name", "owner"},
                {"uid", owner["metadata"]["uid"]}};
    for (int i = 0; i < kPods; ++i) {
      store->Create(
          configmaps, "gc",
          {{"metadata", {{"name", "dep-" + std::to_string(i)}, {"ownerReferences", {ref}}}}});
    }
    state.ResumeTiming();
    store->Delete(configmaps, "gc", "owner");
    state.PauseTiming();
    if (!store->List(configmaps, "gc", {})["items"].empty()) state.SkipWithError("dependents left");
    store.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_StoreCollect10kDependents)->Unit(benchmark::kMillisecond)->Iterations(3);

// One write, 500 watches each blocked in Next(): the time until every one has the event.
void BM_StoreWatchFanout500(benchmark::State& state) {
  constexpr int kWatches = 500;
  auto registry = std::make_shared<Registry>();
  Store store(registry);
  auto pods = *registry->Find("", "v1", "pods");
  store.Create(*registry->Find("", "v1", "namespaces"), "", {{"metadata", {{"name", "w"}}}});
  ListOptions from_now;
  from_now.resource_version = std::to_string(store.resource_version());
  std::vector<std::unique_ptr<kubedouble::fake::Watch>> watches;
  for (int i = 0; i < kWatches; ++i) watches.push_back(store.StartWatch(pods, "w", from_now));
  std::mutex mu;
  std::condition_variable cv;
  int received = 0;
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int i = 0; i < kWatches; ++i) {
    readers.emplace_back([&, i] {
      while (!done) {
        if (watches[i]->Next(std::chrono::milliseconds(200))) {
          std::lock_guard lock(mu);
          if (++received == kWatches) cv.notify_one();
        }
      }
    });
  }
  int n = 0;
  for (auto _ : state) {
    {
      std::lock_guard lock(mu);
      received = 0;
    }
    store.Create(pods, "w", MakePod(n++));
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return received == kWatches; });
  }
  done = true;
  for (auto& w : watches) w->Stop();
  for (auto& r : readers) r.join();
}
BENCHMARK(BM_StoreWatchFanout500)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--rss-report") == 0) {
    long before = RssKb();
    Fixture();
    std::printf("store_rss_after_10000_pods %.1f MB\n", static_cast<double>(RssKb()) / 1024.0);
    std::printf("store_rss_growth_10000_pods %.1f MB\n",
                static_cast<double>(RssKb() - before) / 1024.0);
    malloc_trim(0);
    std::printf("store_rss_after_10000_pods_trimmed %.1f MB\n",
                static_cast<double>(RssKb()) / 1024.0);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
