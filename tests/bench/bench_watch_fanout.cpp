// 500 concurrent watches over real TLS connections to a TestServer: the time from a write until
// every watcher has the event (p50, p99), and a list loop's latency while they watch, beside its
// idle figure.
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <kubedouble/fakeserver/server.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kWatchers = 500;

std::unique_ptr<httplib::SSLClient> Client(kubedouble::fake::TestServer& s) {
  auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", s.port());
  c->set_ca_cert_path(s.paths().ca_crt.string().c_str());
  c->set_bearer_token_auth(s.paths().admin_token.c_str());
  c->set_read_timeout(120, 0);
  c->set_keep_alive(true);  // the list loop measures requests, not TLS handshakes
  // As kubectl, curl and the official clients do. Without it the writer's POST body (a second
  // write after the headers) waited for the server's delayed ACK: 40 ms before any watcher could
  // hear of the change.
  c->set_tcp_nodelay(true);
  return c;
}

double ListMicros(httplib::SSLClient& c) {
  auto t0 = Clock::now();
  auto r = c.Get("/api/v1/namespaces/default/pods");
  if (!r || r->status != 200) return -1;
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void BM_WatchFanOut500(benchmark::State& state) {
  kubedouble::fake::TestServer server;
  // Each watcher counts its lines; when its count reaches `target` (the event just written) it
  // records the time and adds itself to `reached`; the writer wakes once all have. (Scanning
  // every watcher on every line would make the benchmark measure itself.)
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::atomic<int>> seen(kWatchers);
  std::atomic<int> target{1 << 30};
  std::atomic<int> reached{0};
  std::atomic<int> connected{0};
  std::atomic<bool> stop{false};
  std::vector<Clock::time_point> last(kWatchers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWatchers; ++i) {
    threads.emplace_back([&, i] {
      auto c = Client(server);
      bool counted = false;
      c->Get(
          "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=600",
          [&](const char* data, size_t n) {
            if (!counted) {
              counted = true;
              connected++;
            }
            int lines = static_cast<int>(std::count(data, data + n, '\n'));
            int now_seen = seen[i] += lines;
            if (now_seen >= target.load() && now_seen - lines < target.load()) {
              last[i] = Clock::now();
              if (++reached == kWatchers) {
                std::lock_guard lock(mu);
                cv.notify_all();
              }
            }
            return !stop.load();
          });
    });
  }
  // Wait until every watcher has its initial events (the kube-root-ca.crt config map).
  while (connected.load() < kWatchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  int initial = seen[0].load();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  auto lister = Client(server);
  std::vector<double> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(ListMicros(*lister));

  std::atomic<bool> listing{true};
  std::vector<double> busy;
  std::thread list_loop([&] {
    auto c = Client(server);
    while (listing) busy.push_back(ListMicros(*c));
  });

  auto writer = Client(server);
  std::vector<double> fanout;
  int n = 0;
  for (auto _ : state) {
    reached = 0;
    target = initial + n + 1;
    auto t0 = Clock::now();
    std::string body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fan-)" +
                       std::to_string(n++) + R"("}})";
    auto r = writer->Post("/api/v1/namespaces/default/configmaps", body, "application/json");
    if (!r || r->status != 201) {
      state.SkipWithError("create failed");
      break;
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return reached.load() == kWatchers; });
    auto done = *std::max_element(last.begin(), last.end());
    double ms = std::chrono::duration<double, std::milli>(done - t0).count();
    fanout.push_back(ms);
    state.SetIterationTime(ms / 1000.0);
  }
  listing = false;
  list_loop.join();
  state.counters["fanout_p50_ms"] = Percentile(fanout, 0.50);
  state.counters["fanout_p99_ms"] = Percentile(fanout, 0.99);
  state.counters["list_idle_p50_us"] = Percentile(idle, 0.50);
  state.counters["list_idle_p99_us"] = Percentile(idle, 0.99);
  state.counters["list_busy_p50_us"] = Percentile(busy, 0.50);
  state.counters["list_busy_p99_us"] = Percentile(busy, 0.99);
  stop = true;
  server.server().Stop();
  for (auto& t : threads) t.join();
}
BENCHMARK(BM_WatchFanOut500)->UseManualTime()->Iterations(100)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
