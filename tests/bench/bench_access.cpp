// In-process request rate and latency of the access library: GET /api against the fake server
// over one keep-alive TLS connection (bearer token, CA verification).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "kubedouble/accesslib/client.h"
#include "kubedouble/fakeserver/server.h"

namespace {

using kubedouble::access::Client;

void BM_AccessGetApiKeepAlive(benchmark::State& state) {
  kubedouble::fake::TestServer server;
  kubedouble::access::KubeconfigOptions o;
  o.explicit_path = server.paths().token_kubeconfig.string();
  Client client(kubedouble::access::LoadKubeconfig(o));
  client.Get("/api");  // connect and handshake once
  std::vector<double> latencies;
  latencies.reserve(100000);
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(client.Get("/api"));
    latencies.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(latencies.begin(), latencies.end());
  state.counters["p50_us"] = latencies.empty() ? 0 : latencies[latencies.size() / 2];
  state.counters["requests_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AccessGetApiKeepAlive)->Unit(benchmark::kMicrosecond)->UseRealTime()->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
