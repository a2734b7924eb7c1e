// Faults from the clients' side and the server's end: clients that vanish in the middle of an
// answer or of a watch; SIGTERM while clients write, watch and idle; a restart on the same
// state folder. Each against `kubedouble serve` as a user runs it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "common/shell.h"
#include "common/temp_dir.h"
#include "raw_tls.h"
#include "serve_process.h"

namespace kubedouble::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<httplib::SSLClient> Client(int port, const fs::path& dir) {
  auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
  c->set_ca_cert_path((dir / "pki" / "ca.crt").c_str());
  c->enable_server_certificate_verification(true);
  c->set_bearer_token_auth(AdminToken(dir).c_str());
  c->set_keep_alive(true);
  c->set_connection_timeout(10);
  c->set_read_timeout(30);
  return c;
}

std::string Get(const std::string& target, const std::string& token) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
         "\r\n\r\n";
}

json ConfigMap(const std::string& ns, const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"v", value}}}};
}

// Waits up to `limit` for `cond`; true when it held.
template <typename F>
bool Eventually(F cond, milliseconds limit = seconds(10)) {
  auto until = Clock::now() + limit;
  while (!cond()) {
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return true;
}

// 50 watchers and 50 readers of a 2 MB list hang up (half with a TCP reset) after the first
// bytes, three times over. The server keeps serving, closes their sockets, and does not keep a
// thread per vanished client: a watch on a quiet namespace ends as soon as its client is gone.
TEST(ShutdownTest, ClientsVanishingMidResponseAndMidWatchLeakNothing) {
  test::TempDir tmp;
  fs::path dir = tmp / "vanish";
  // Counts the config maps it made: without the control plane's kube-root-ca.crt in "big".
  ServeProcess serve(dir, {"--controllers", "none"});
  ASSERT_TRUE(serve.ok()) << serve.log();
  auto admin = Client(serve.port(), dir);
  const std::string token = AdminToken(dir);
  const std::string ca = (dir / "pki" / "ca.crt").string();
  ASSERT_EQ(admin
                ->Post("/api/v1/namespaces",
                       R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"big"}})",
                       "application/json")
                ->status,
            201);
  const std::string blob(20000, 'x');
  for (int i = 0; i < 100; ++i) {
    auto r =
        admin->Post("/api/v1/namespaces/big/configmaps",
                    ConfigMap("big", "cm-" + std::to_string(i), blob).dump(), "application/json");
    ASSERT_TRUE(r && r->status == 201);
  }

  auto round = [&] {
    std::vector<std::thread> clients;
    std::atomic<int> heads{0};
    for (int i = 0; i < 100; ++i) {
      clients.emplace_back([&, i] {
        RawConn c(serve.port());
        if (!c.Handshake(ca)) return;
        bool watch = i % 2 == 0;
        c.Send(Get(watch ? "/api/v1/namespaces/quiet/configmaps?watch=1"
                         : "/api/v1/namespaces/big/configmaps",
                   token));
        if (c.ReadHead(10).status == 200) ++heads;
        if (i % 4 < 2) {
          c.Reset();
        } else {
          c.Close();
        }
      });
    }
    for (auto& t : clients) t.join();
    return heads.load();
  };

  const int fds_before = serve.OpenFiles();
  EXPECT_EQ(round(), 100);
  // Every vanished client's socket is closed soon (a list answer fails to write; a watch sees
  // the hang-up within its 500 ms poll).
  EXPECT_TRUE(Eventually([&] { return serve.OpenFiles() <= fds_before + 2; }))
      << "open files: " << serve.OpenFiles() << " (before: " << fds_before << ")";
  const int threads_after_first = serve.Threads();
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(round(), 100);
    EXPECT_TRUE(Eventually([&] { return serve.OpenFiles() <= fds_before + 2; }))
        << "open files: " << serve.OpenFiles() << " (before: " << fds_before << ")";
  }
  // The workers freed by vanished clients serve the next ones: no thread per vanished client
  // (that would be 200 more). A few more may start when a round's 100 connections arrive while
  // the last workers are still going back to idle, more so on a loaded machine.
  EXPECT_LE(serve.Threads(), threads_after_first + 50);

  auto list = admin->Get("/api/v1/namespaces/big/configmaps");
  ASSERT_TRUE(list && list->status == 200);
  EXPECT_EQ(json::parse(list->body)["items"].size(), 100u);
  auto version = Client(serve.port(), dir)->Get("/version");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200);
  EXPECT_EQ(serve.Signal(SIGTERM, seconds(10)), 0) << serve.log();
  fs::remove_all(dir);
}

// SIGTERM while 20 clients write, 5 watch and 20 keep idle keep-alive connections, with one
// slow request (a 2 s delay rule) in flight: the slow request is answered, every answer a
// client got is whole, the process exits 0 within seconds, and the state folder is intact. A
// restart on the same folder and port reuses the CA and tokens: old kubeconfigs still work.
TEST(ShutdownTest, SigtermUnderLoadFinishesInFlightAndRestartReusesPki) {
  test::TempDir tmp;
  fs::path dir = tmp / "sigterm";
  fs::create_directories(dir.string() + "-in");
  fs::path faults = dir.string() + "-in/faults.yaml";
  std::ofstream(faults) << "faults:\n- name: slow\n  match: {method: GET, path: "
                           "\"/api/v1/namespaces/default/configmaps/slow\"}\n  delay: 2s\n";
  auto serve = std::make_unique<ServeProcess>(dir, std::vector<std::string>{"--faults", faults});
  ASSERT_TRUE(serve->ok()) << serve->log();
  const int port = serve->port();
  const std::string token = AdminToken(dir);
  const std::string ca_before = Slurp(dir / "pki" / "ca.crt");
  const std::string tokens_before = Slurp(dir / "tokens.csv");
  // What a user keeps: copies of the kubeconfigs.
  fs::path kept = dir.string() + "-in/kubeconfigs";
  fs::create_directories(kept);
  fs::copy_file(dir / "kubeconfig", kept / "kubeconfig");
  fs::copy_file(dir / "kubeconfigs" / "token.yaml", kept / "token.yaml");
  auto admin = Client(port, dir);
  ASSERT_EQ(admin
                ->Post("/api/v1/namespaces/default/configmaps",
                       ConfigMap("default", "slow", "1").dump(), "application/json")
                ->status,
            201);

  std::atomic<bool> stop{false};
  std::atomic<int> written{0}, broken{0};
  std::vector<std::string> bad_answers;
  std::mutex bad_mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto c = Client(port, dir);
      for (int n = 0; !stop; ++n) {
        auto r = c->Post("/api/v1/namespaces/default/configmaps",
                         ConfigMap("default", fmt::format("w-{}-{}", i, n), "v").dump(),
                         "application/json");
        if (!r) {  // the server has gone: no answer at all is fine, a broken one is not
          ++broken;
          return;
        }
        if (r->status != 201 || json::parse(r->body, nullptr, false).is_discarded()) {
          std::lock_guard lock(bad_mu);
          bad_answers.push_back(fmt::format("{}: {}", r->status, r->body.substr(0, 200)));
          return;
        }
        ++written;
      }
    });
  }
  std::atomic<int> watch_events{0};
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&] {
      auto c = Client(port, dir);
      c->Get("/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=60",
             [&](const char*, size_t) {
               ++watch_events;
               return true;
             });
    });
  }
  std::vector<std::unique_ptr<RawConn>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<RawConn>(port));
    ASSERT_TRUE(idle.back()->Handshake((dir / "pki" / "ca.crt").string()));
    idle.back()->Send(Get("/version", token));
    ASSERT_EQ(idle.back()->Read().status, 200);
  }
  std::this_thread::sleep_for(seconds(1));

  int slow_status = 0;
  std::string slow_error;
  std::atomic<bool> slow_sent{false};
  std::thread slow([&] {
    auto c = Client(port, dir);
    ASSERT_EQ(c->Get("/version")->status, 200);  // connected and trusted
    slow_sent = true;
    auto r = c->Get("/api/v1/namespaces/default/configmaps/slow");
    slow_status = r ? r->status : -1;
    if (!r) slow_error = httplib::to_string(r.error());
  });
  while (!slow_sent) std::this_thread::sleep_for(milliseconds(10));
  std::this_thread::sleep_for(milliseconds(700));  // the slow request is in its delay
  auto t0 = Clock::now();
  int code = serve->Signal(SIGTERM, seconds(30));
  double exit_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  stop = true;
  slow.join();
  for (auto& t : threads) t.join();
  std::printf("sigterm: exit %d after %.2f s; %d writes answered before it, %d watch chunks\n",
              code, exit_seconds, written.load(), watch_events.load());
  EXPECT_EQ(code, 0) << serve->log();
  EXPECT_LT(exit_seconds, 5.0) << "the server waited for idle keep-alive clients";
  EXPECT_EQ(slow_status, 200) << "the request in flight at SIGTERM was not answered: "
                              << slow_error;
  EXPECT_TRUE(bad_answers.empty()) << bad_answers.front();
  EXPECT_GT(written.load(), 0);
  EXPECT_NE(serve->log().find("SIGTERM received"), std::string::npos) << serve->log();

  // The state folder is as it was, and a restart on it reuses the PKI and the tokens.
  EXPECT_EQ(Slurp(dir / "pki" / "ca.crt"), ca_before);
  EXPECT_EQ(Slurp(dir / "tokens.csv"), tokens_before);
  EXPECT_EQ(Slurp(dir / "kubeconfig"), Slurp(kept / "kubeconfig"));
  serve.reset();
  ServeProcess again(dir, {}, port);
  ASSERT_TRUE(again.ok()) << again.log();
  EXPECT_EQ(Slurp(dir / "pki" / "ca.crt"), ca_before);
  EXPECT_EQ(Slurp(dir / "tokens.csv"), tokens_before);
  auto version = Client(port, dir)->Get("/version");
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 200);
  fs::path cache = dir.string() + "-in/kubecache";
  for (const char* kc : {"kubeconfig", "token.yaml"}) {
    auto r = test::Bash(fmt::format("KUBECACHEDIR={} kubectl --kubeconfig {} get namespaces",
                                    test::ShellQuote(cache.string()),
                                    test::ShellQuote((kept / kc).string())));
    EXPECT_EQ(r.code, 0) << kc << ": " << r.output;
    EXPECT_NE(r.output.find("default"), std::string::npos) << kc << ": " << r.output;
  }
  EXPECT_EQ(again.Signal(SIGTERM, seconds(10)), 0) << again.log();
  fs::remove_all(dir);
  fs::remove_all(dir.string() + "-in");
}

}  // namespace
}  // namespace kubedouble::testing
