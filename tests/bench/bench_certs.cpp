// PKI kit benchmarks: minting the whole bundle of a fake cluster (what `kubedouble certs init`
// and the server's start-up pay) with ECDSA P-256 (goal: under 10 ms) and with RSA-2048, and
// writing it to disk. Each figure is the median of several repetitions.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "kubedouble/certs/certs.h"

namespace {

namespace kc = kubedouble::certs;

void MintBundle(benchmark::State& state, kc::KeyType type) {
  for (auto _ : state) {
    kc::Bundle bundle = kc::MintBundle({.key_type = type});
    benchmark::DoNotOptimize(bundle);
  }
}

void KeyGeneration(benchmark::State& state, kc::KeyType type) {
  for (auto _ : state) {
    kc::Key key = kc::Key::Generate(type);
    benchmark::DoNotOptimize(key);
  }
}

void SaveBundle(benchmark::State& state) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "bench-certs-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const kc::Bundle bundle = kc::MintBundle();
  int i = 0;
  for (auto _ : state) {
    kc::SaveBundle(bundle, std::filesystem::path(tmpl) / std::to_string(i++));
  }
  std::filesystem::remove_all(tmpl);
}

// Medians only (ci/bench prints the median of each figure).
benchmark::internal::Benchmark* Medians(benchmark::internal::Benchmark* b, int repetitions) {
  return b->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Repetitions(repetitions)
      ->ComputeStatistics(
          "min", [](const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); })
      ->ReportAggregatesOnly(true);
}

const bool registered = [] {
  Medians(benchmark::RegisterBenchmark("certs_mint_bundle/ecdsa-p256", MintBundle,
                                       kc::KeyType::kEcdsaP256),
          10);
  // RSA key generation takes hundreds of milliseconds: one mint per repetition.
  Medians(
      benchmark::RegisterBenchmark("certs_mint_bundle/rsa-2048", MintBundle, kc::KeyType::kRsa2048),
      7)
      ->Iterations(1);
  Medians(benchmark::RegisterBenchmark("certs_keygen/ecdsa-p256", KeyGeneration,
                                       kc::KeyType::kEcdsaP256),
          5);
  Medians(
      benchmark::RegisterBenchmark("certs_keygen/rsa-2048", KeyGeneration, kc::KeyType::kRsa2048),
      9)
      ->Iterations(1);
  Medians(benchmark::RegisterBenchmark("certs_save_bundle/ecdsa-p256", SaveBundle), 5);
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
