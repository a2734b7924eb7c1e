// Answer encoding of a 10,000-pod list: JSON (nlohmann's dump) against protobuf (EncodeProtobuf,
// fakeserver/src/protobuf_encode.h), from the same JSON objects. The protobuf figure carries its
// ratio to the JSON one of the same run (a "vs" label); `body_mb` is the answer's size. (The
// server's JSON list answer is cheaper still: the store joins each object's stored text,
// bench_store's BM_StoreFullList10kPodsSerialized; a protobuf one starts from Store::List.)
#include <benchmark/benchmark.h>

#include <string>

#include "pods.h"
#include "protobuf_encode.h"

namespace {

using json = nlohmann::json;

constexpr int kPods = 10000;

const json& PodList() {
  static const json* list = [] {
    json items = json::array();
    for (int i = 0; i < kPods; ++i) {
      json pod = kubedouble::bench::MakePod(i);
      pod["metadata"]["namespace"] = "ns-" + std::to_string(i % 10);
      pod["metadata"]["uid"] = "0b5a5e1c-7f2e-4f5e-9b7a-" + std::to_string(100000000000 + i);
      pod["metadata"]["resourceVersion"] = std::to_string(1000 + i);
      pod["metadata"]["creationTimestamp"] = "2026-01-02T03:04:05Z";
      items.push_back(std::move(pod));
    }
    return new json{{"apiVersion", "v1"},
                    {"kind", "PodList"},
                    {"metadata", {{"resourceVersion", "20000"}}},
                    {"items", std::move(items)}};
  }();
  return *list;
}

void BM_ListEncodeJson10kPods(benchmark::State& state) {
  const json& list = PodList();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = list.dump(-1, ' ', false, json::error_handler_t::replace);
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_mb"] = static_cast<double>(bytes) / 1e6;
}
BENCHMARK(BM_ListEncodeJson10kPods)->Unit(benchmark::kMillisecond);

void BM_ListEncodeProtobuf10kPods(benchmark::State& state) {
  const json& list = PodList();
  size_t bytes = 0;
  for (auto _ : state) {
    std::optional<std::string> body = kubedouble::fake::EncodeProtobuf(list);
    bytes = body->size();
    benchmark::DoNotOptimize(body);
  }
  state.counters["body_mb"] = static_cast<double>(bytes) / 1e6;
  state.SetLabel("vs BM_ListEncodeJson10kPods");
}
BENCHMARK(BM_ListEncodeProtobuf10kPods)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
