// Load: 1,000 concurrent TLS clients (950 doing reads and writes, 50 watching) send 20,000
// requests in all to one `kubedouble serve` on loopback. Nothing may fail unexpectedly, every
// write must be there afterwards, and every watcher must see every event once, in order.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "common/temp_dir.h"
#include "serve_process.h"

namespace kubedouble::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr int kWorkers = 950;
constexpr int kWatchers = 50;
constexpr int kRequestsPerWorker = 21;  // 950 * 21 + 50 watches = 20,000 requests
const char kNs[] = "/api/v1/namespaces/load/configmaps";

struct Event {
  std::string type, name;
  int64_t rv = 0;
  bool operator==(const Event& o) const {
    return std::tie(type, name, rv) == std::tie(o.type, o.name, o.rv);
  }
};

std::string Describe(const Event& e) { return e.type + " " + e.name + " @" + std::to_string(e.rv); }

int64_t Rv(const json& obj) {
  return std::stoll(obj.at("metadata").at("resourceVersion").get<std::string>());
}

json ConfigMap(const std::string& name, int worker, json data) {
  std::string label = worker < 0 ? "end" : std::to_string(worker);
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "load"}, {"labels", {{"worker", label}}}}},
          {"data", std::move(data)}};
}

std::unique_ptr<httplib::SSLClient> Client(int port, const fs::path& ca, const std::string& token) {
  auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
  c->set_ca_cert_path(ca.c_str());
  c->enable_server_certificate_verification(true);
  c->set_bearer_token_auth(token.c_str());
  c->set_keep_alive(true);
  c->set_connection_timeout(30);
  c->set_read_timeout(60);
  c->set_write_timeout(60);
  return c;
}

// What went wrong, kept short: the count and the first few messages.
class Failures {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    if (messages_.size() < 20) messages_.push_back(std::move(what));
    ++count_;
  }
  int count() const { return count_; }
  std::string Summary() const {
    std::string s;
    for (const auto& m : messages_) s += "  " + m + "\n";
    return s;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
  std::atomic<int> count_{0};
};

// Waits until `n` parties arrived, or `timeout` passed (then returns false: no hang).
class Gate {
 public:
  explicit Gate(int n) : left_(n) {}
  bool ArriveAndWait(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    if (--left_ <= 0) cv_.notify_all();
    return cv_.wait_for(lock, timeout, [&] { return left_ <= 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int left_;
};

TEST(LoadTest, ThousandClientsTwentyThousandRequestsNothingLost) {
  test::TempDir tmp;
  fs::path dir = tmp / "load";
  // Its watchers must see exactly its writes: without the control plane's kube-root-ca.crt.
  ServeProcess serve(dir, {"--controllers", "none"});
  ASSERT_TRUE(serve.ok()) << serve.log();
  const fs::path ca = dir / "pki" / "ca.crt";
  const std::string token = AdminToken(dir);
  const int port = serve.port();

  auto admin = Client(port, ca, token);
  auto ns = admin->Post(
      "/api/v1/namespaces",
      json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "load"}}}}.dump(),
      "application/json");
  ASSERT_TRUE(ns && ns->status == 201) << (ns ? ns->body : httplib::to_string(ns.error()));
  auto start_list = admin->Get(kNs);
  ASSERT_TRUE(start_list && start_list->status == 200);
  const std::string rv0 = json::parse(start_list->body)["metadata"]["resourceVersion"];

  Failures failures;
  std::mutex writes_mu;
  std::vector<Event> writes;  // every successful write, as the watchers must see it
  std::atomic<int> requests{0};
  std::vector<std::vector<Event>> seen(kWatchers);
  Gate all_connected(kWorkers);
  auto t0 = std::chrono::steady_clock::now();

  std::vector<std::thread> threads;
  threads.reserve(kWorkers + kWatchers);
  for (int w = 0; w < kWatchers; ++w) {
    threads.emplace_back([&, w] {
      auto c = Client(port, ca, token);
      std::string buf;
      bool end_seen = false;
      ++requests;
      auto r =
          c->Get(std::string(kNs) + "?watch=1&resourceVersion=" + rv0 + "&timeoutSeconds=120",
                 [&](const char* data, size_t n) {
                   buf.append(data, n);
                   size_t nl;
                   while ((nl = buf.find('\n')) != std::string::npos) {
                     json ev = json::parse(buf.substr(0, nl), nullptr, false);
                     buf.erase(0, nl + 1);
                     if (ev.is_discarded() || !ev.contains("object")) {
                       failures.Add("watcher " + std::to_string(w) + ": a line that is no event");
                       continue;
                     }
                     std::string name = ev["object"]["metadata"].value("name", "");
                     if (name == "load-end") {
                       end_seen = true;
                       return false;
                     }
                     seen[w].push_back({ev.value("type", ""), name, Rv(ev["object"])});
                   }
                   return true;
                 });
      if (!end_seen) {
        failures.Add("watcher " + std::to_string(w) + ": the stream ended before load-end (" +
                     (r ? std::to_string(r->status) : httplib::to_string(r.error())) + ")");
      }
    });
  }
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&, i] {
      auto c = Client(port, ca, token);
      std::vector<Event> mine;
      std::string a = "load-" + std::to_string(i) + "-a", b = "load-" + std::to_string(i) + "-b",
                  cm = "load-" + std::to_string(i) + "-c";
      json body;  // the last answer's body
      auto path = [](const std::string& name) { return std::string(kNs) + "/" + name; };
      auto check = [&](const httplib::Result& r, int want, const char* what) -> const json* {
        ++requests;
        if (!r) {
          failures.Add(fmt::format("worker {} {}: {}", i, what, httplib::to_string(r.error())));
          return nullptr;
        }
        if (r->status != want) {
          failures.Add(fmt::format("worker {} {}: {} (want {}): {}", i, what, r->status, want,
                                   r->body.substr(0, 200)));
          return nullptr;
        }
        body = json::parse(r->body, nullptr, false);
        return &body;
      };
      // A DELETE answers a Success Status naming the object (as kube-apiserver answers it for
      // ConfigMaps), without the deletion's resourceVersion: the watchers tell it (below).
      auto wrote = [&](const json* j, const char* type) {
        if (!j) return;
        bool deleted = std::string(type) == "DELETED";
        const json& named = deleted ? (*j)["details"] : (*j)["metadata"];
        mine.push_back({type, named.value("name", ""), deleted ? 0 : Rv(*j)});
      };

      check(c->Get("/version"), 200, "GET /version");
      if (!all_connected.ArriveAndWait(std::chrono::seconds(60))) {
        failures.Add(
            fmt::format("worker {}: not all {} clients got an answer within 60 s", i, kWorkers));
      }
      wrote(check(c->Post(kNs, ConfigMap(a, i, {{"n", "0"}}).dump(), "application/json"), 201,
                  "create a"),
            "ADDED");
      wrote(check(c->Post(kNs, ConfigMap(b, i, {{"n", "0"}}).dump(), "application/json"), 201,
                  "create b"),
            "ADDED");
      const json* got = check(c->Get(path(a)), 200, "get a");
      std::string rv_a = got ? (*got)["metadata"].value("resourceVersion", "") : "";
      check(c->Get(std::string(kNs) + "?limit=50"), 200, "list limit=50");
      json upd = ConfigMap(a, i, {{"n", "1"}});
      upd["metadata"]["resourceVersion"] = rv_a;
      wrote(check(c->Put(path(a), upd.dump(), "application/json"), 200, "update a"), "MODIFIED");
      wrote(
          check(c->Patch(path(b), R"({"data":{"patched":"yes"}})", "application/merge-patch+json"),
                200, "merge-patch b"),
          "MODIFIED");
      check(c->Get(path(b)), 200, "get b");
      wrote(check(c->Delete(path(b)), 200, "delete b"), "DELETED");
      check(c->Get("/api"), 200, "GET /api");
      check(c->Get(path(b)), 404, "get deleted b");
      wrote(check(c->Post(kNs, ConfigMap(cm, i, {{"n", "0"}}).dump(), "application/json"), 201,
                  "create c"),
            "ADDED");
      check(c->Get("/api/v1/namespaces/default/pods"), 200, "list pods");
      check(c->Get("/apis"), 200, "GET /apis");
      if (const json* j = check(c->Get(path(a)), 200, "get a again")) {
        if ((*j)["data"] != json{{"n", "1"}})
          failures.Add(fmt::format("worker {}: a lost its update", i));
      }
      wrote(check(c->Patch(path(cm), R"([{"op":"add","path":"/data/j","value":"p"}])",
                           "application/json-patch+json"),
                  200, "json-patch c"),
            "MODIFIED");
      if (const json* j =
              check(c->Get(std::string(kNs) + "?labelSelector=worker%3D" + std::to_string(i)), 200,
                    "list by label")) {
        std::set<std::string> names;
        for (const auto& item : (*j)["items"]) names.insert(item["metadata"].value("name", ""));
        if (names != std::set<std::string>{a, cm}) {
          failures.Add(fmt::format("worker {}: list by label gave {} objects", i, names.size()));
        }
      }
      check(c->Get("/healthz"), 200, "GET /healthz");
      check(c->Get(path(cm)), 200, "get c");
      check(c->Get("/version"), 200, "GET /version again");
      check(c->Get("/api/v1/namespaces"), 200, "list namespaces");
      std::lock_guard lock(writes_mu);
      writes.insert(writes.end(), mine.begin(), mine.end());
    });
  }
  // The watchers stop at load-end, written once every worker is done.
  for (int i = kWatchers; i < kWatchers + kWorkers; ++i) threads[i].join();
  auto workers_done = std::chrono::steady_clock::now();
  auto end =
      Client(port, ca, token)->Post(kNs, ConfigMap("load-end", -1, {}).dump(), "application/json");
  if (!end || end->status != 201) {  // the watchers stop at their timeout
    ADD_FAILURE() << "create load-end: " << (end ? end->body : httplib::to_string(end.error()));
  }
  for (int w = 0; w < kWatchers; ++w) threads[w].join();
  auto t1 = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(t1 - t0).count();
  std::printf(
      "load: %d requests from %d clients in %.2f s (%.0f requests/s); workers done in "
      "%.2f s; server threads now %d\n",
      requests.load(), kWorkers + kWatchers, seconds, requests.load() / seconds,
      std::chrono::duration<double>(workers_done - t0).count(), serve.Threads());
  RecordProperty("seconds", std::to_string(seconds));

  EXPECT_EQ(requests.load(), kWorkers * kRequestsPerWorker + kWatchers);
  EXPECT_EQ(failures.count(), 0) << failures.Summary();

  // The deletions' resourceVersions as the first watcher saw them; every other watcher must
  // agree with it (compared below).
  std::map<std::string, int64_t> deleted_at;
  for (const auto& e : seen[0]) {
    if (e.type == "DELETED") deleted_at[e.name] = e.rv;
  }
  for (auto& e : writes) {
    if (e.type != "DELETED") continue;
    auto it = deleted_at.find(e.name);
    if (it == deleted_at.end()) {
      ADD_FAILURE() << "watcher 0 never saw the deletion of " << e.name;
    } else {
      e.rv = it->second;
    }
  }
  // Every write is there afterwards, as the last write left it.
  std::sort(writes.begin(), writes.end(), [](auto& x, auto& y) { return x.rv < y.rv; });
  EXPECT_EQ(writes.size(), size_t{kWorkers} * 7);
  std::map<std::string, int64_t> want_objects;  // name -> resourceVersion
  for (const auto& e : writes) {
    if (e.type == "DELETED") {
      want_objects.erase(e.name);
    } else {
      want_objects[e.name] = e.rv;
    }
  }
  // A new connection: `admin`'s has been idle for the whole load, which can outlast the server's
  // 30 s keep-alive timeout (under ASan the load takes ~60 s), and cpp-httplib would reuse it.
  auto final_list = Client(port, ca, token)->Get(std::string(kNs) + "?labelSelector=worker");
  ASSERT_TRUE(final_list && final_list->status == 200)
      << (final_list ? final_list->body : httplib::to_string(final_list.error()));
  std::map<std::string, int64_t> have_objects;
  const json final_items = json::parse(final_list->body)["items"];
  for (const auto& item : final_items) {
    if (item["metadata"]["name"] != "load-end") have_objects[item["metadata"]["name"]] = Rv(item);
  }
  EXPECT_EQ(have_objects.size(), size_t{kWorkers} * 2);
  EXPECT_TRUE(have_objects == want_objects) << "the objects differ from the writes' results";

  // Every watcher saw every event once, in resourceVersion order.
  for (int w = 0; w < kWatchers; ++w) {
    if (seen[w] == writes) continue;
    size_t k = 0;
    while (k < seen[w].size() && k < writes.size() && seen[w][k] == writes[k]) ++k;
    ADD_FAILURE() << "watcher " << w << " saw " << seen[w].size() << " events, want "
                  << writes.size() << "; first difference at " << k << ": "
                  << (k < seen[w].size() ? Describe(seen[w][k]) : "(none)") << " vs "
                  << (k < writes.size() ? Describe(writes[k]) : "(none)");
  }

  EXPECT_EQ(serve.Signal(SIGTERM, std::chrono::seconds(30)), 0) << serve.log();
}

}  // namespace
}  // namespace kubedouble::testing
