// Exhaustion before authentication: 2,500 idle TCP sockets and 2,500 slowloris TLS connections (a
// header byte per connection every second) held against one `kubedouble serve` on loopback,
// while an authenticated client asks every 200 ms on a new connection, from the first idle socket
// to the end of the hold. Every one of its requests must be answered within 2 s
// (net/http_server.h: connections without a whole head cost no worker and are ended
// after the head timeout). Bounded: 5,000 sockets, 12 s.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/proc_status.h"
#include "common/temp_dir.h"
#include "raw_tls.h"
#include "serve_process.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kIdle = 2500;
constexpr int kSlowloris = 2500;
constexpr auto kHold = 10s;
constexpr auto kAskEvery = 200ms;
constexpr auto kAnswerWithin = 2s;

TEST(ExhaustionTest, IdleAndSlowlorisSocketsNeverKeepAnAuthenticatedClientOut) {
  rlimit files{};  // 5,000 sockets here (the server raises its own limit likewise)
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  test::TempDir tmp;
  fs::path dir = tmp / "exhaust";
  ServeProcess serve(dir);
  ASSERT_TRUE(serve.ok()) << serve.log();
  const std::string ca = (dir / "pki" / "ca.crt").string();
  const std::string token = AdminToken(dir);

  // The authenticated client asks from the first idle socket to the end of the hold.
  std::vector<double> waits;
  int failed = 0;
  std::vector<std::string> failures;  // what each failed ask saw, for the report
  int peak_threads = 0;
  long peak_rss = 0;
  std::atomic<bool> stop{false};
  std::thread asker([&] {
    while (!stop) {
      auto asked = Clock::now();
      RawConn client(serve.port());
      RawReply r;
      bool shook = client.Handshake(ca);
      if (shook) {
        client.Send(
            "GET /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nAuthorization: "
            "Bearer " +
            token + "\r\n\r\n");
        r = client.Read(5);
      }
      waits.push_back(std::chrono::duration<double>(Clock::now() - asked).count());
      if (r.status != 200) {
        ++failed;
        failures.push_back(
            !shook ? std::string("the TLS handshake failed")
                   : fmt::format("status {} closed {} head {:.120}", r.status, r.closed, r.head));
      }
      peak_threads = std::max(peak_threads, serve.Threads());
      peak_rss = std::max(peak_rss, test::ProcStatus(serve.pid(), "VmRSS:"));
      std::this_thread::sleep_until(asked + kAskEvery);
    }
  });

  std::vector<std::unique_ptr<RawConn>> idle;
  for (int i = 0; i < kIdle; ++i) idle.push_back(std::make_unique<RawConn>(serve.port()));
  // Slowloris connections, opened from four threads (a handshake may wait for a worker).
  std::vector<std::unique_ptr<RawConn>> slow(kSlowloris);
  std::vector<std::thread> openers;
  for (int t = 0; t < 4; ++t) {
    openers.emplace_back([&, t] {
      for (int i = t; i < kSlowloris; i += 4) {
        auto c = std::make_unique<RawConn>(serve.port());
        if (c->Handshake(ca) && c->Send("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n")) {
          slow[i] = std::move(c);
        }
      }
    });
  }
  for (auto& t : openers) t.join();
  size_t opened =
      std::count_if(slow.begin(), slow.end(), [](const auto& c) { return c != nullptr; });

  size_t ended = 0;
  for (auto until = Clock::now() + kHold; Clock::now() < until;) {
    for (auto& c : slow) {  // one more header byte on every slowloris connection
      if (c && !c->Send("X")) {
        c.reset();
        ++ended;
      }
    }
    std::this_thread::sleep_for(1s);
  }
  stop = true;
  asker.join();
  std::sort(waits.begin(), waits.end());
  double worst = waits.back();
  std::printf(
      "exhaustion: %zu asks, %d failed, p50 %.3f s, worst %.3f s; slowloris connections the "
      "server ended: %zu of %zu opened; server peak %d threads, %ld kB RSS\n",
      waits.size(), failed, waits[waits.size() / 2], worst, ended, opened, peak_threads, peak_rss);
  EXPECT_EQ(failed, 0) << fmt::format("{}", fmt::join(failures, "\n"));
  EXPECT_LE(worst, std::chrono::duration<double>(kAnswerWithin).count());
  idle.clear();
  slow.clear();
  EXPECT_EQ(serve.Signal(SIGTERM, 15s), 0) << serve.log();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kubedouble::testing
