#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/server.h>
#include <kubedouble/fakeserver/store.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "controllers.h"
#include "world.h"

namespace kubedouble::controlplane {

namespace {

using Factory = std::unique_ptr<Controller> (*)();

// In the order they are listed to users.
const std::vector<std::pair<std::string, Factory>>& Factories() {
  static const std::vector<std::pair<std::string, Factory>> kAll = {
      {"namespace", NewNamespaceController},
      {"node", NewNodeController},
      {"scheduler", NewScheduler},
      {"kubelet", NewKubelet},
      {"replicaset", NewReplicaSetController},
      {"deployment", NewDeploymentController},
      {"job", NewJobController},
      {"statefulset", NewStatefulSetController},
      {"daemonset", NewDaemonSetController},
      {"cronjob", NewCronJobController},
      {"endpoints", NewEndpointsController},
      {"disruption", NewDisruptionController}};
  return kAll;
}

// A unit of work from a watch thread: one event, or a whole list (after a start or a 410).
struct Delivery {
  std::string resource;
  std::string type;  // ADDED, MODIFIED, DELETED, or SYNC (object holds the items)
  json object;
};

// Upper bound on keys handled in one pass, so a controller that keeps re-queueing itself
// cannot hang a clock advance.
constexpr size_t kMaxKeysPerPass = 2'000'000;

}  // namespace

std::vector<std::string> AllControllers() {
  std::vector<std::string> names;
  for (const auto& [name, make] : Factories()) names.push_back(name);
  return names;
}

std::set<std::string> ParseControllers(const std::string& text) {
  auto all = AllControllers();
  if (text.empty() || text == "all") return {all.begin(), all.end()};
  if (text == "none") return {"none"};
  std::set<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.empty()) continue;
    if (std::find(all.begin(), all.end(), item) == all.end()) {
      std::string known;
      for (const auto& n : all) known += (known.empty() ? "" : ", ") + n;
      throw std::invalid_argument("unknown controller \"" + item + "\" (known: " + known +
                                  "; or all, none)");
    }
    out.insert(item);
  }
  if (out.empty()) throw std::invalid_argument("no controller named in \"" + text + "\"");
  return out;
}

struct ControlPlane::Impl {
  Impl(fake::Store& s, fake::ServerClock& c, Options o)
      : store(s), clock(c), world(s, std::move(o)) {}

  fake::Store& store;
  fake::ServerClock& clock;

  std::mutex world_mu;  // the World: the loop thread, or the thread advancing a fake clock
  World world;
  TimePoint last_tick{};

  std::mutex inbox_mu;  // the watch threads' deliveries
  std::condition_variable inbox_cv;
  std::deque<Delivery> inbox;
  std::optional<TimePoint> next_due;  // the World's earliest timer, for the loop's wait
  bool stopping = false;
  bool busy = false;                                // the loop is handling a batch
  std::chrono::steady_clock::time_point last_work;  // when the loop last handled one
  std::vector<fake::Watch*> watches;

  std::vector<std::thread> threads;
  bool started = false;

  // The clock listener outlives us (listeners cannot be removed): it reaches us through this.
  struct Hook {
    std::mutex mu;
    Impl* impl = nullptr;
  };
  std::shared_ptr<Hook> hook = std::make_shared<Hook>();

  // Handles queued keys until none is left.
  void Drain() {
    for (size_t n = 0; n < kMaxKeysPerPass; ++n) {
      auto item = world.TakeWork();
      if (!item) return;
      if (Controller* c = world.Find(item->first)) {
        try {
          c->Reconcile(world, item->second);
        } catch (const std::exception& e) {
          spdlog::warn("controlplane: {} {}: {}", item->first, item->second, e.what());
        }
      }
    }
    spdlog::warn("controlplane: more than {} keys in one pass; the rest waits", kMaxKeysPerPass);
  }

  void Apply(Delivery& d) {
    if (d.type != "SYNC") {
      world.Observe(d.resource, d.object, d.type == "DELETED");
      return;
    }
    Sync(d.resource, std::move(d.object));
  }

  void Sync(const std::string& resource, json items) {
    auto& cache = world.cache(resource);
    std::map<std::string, json> old = cache.all();
    for (const auto& key : cache.Replace(std::move(items))) {
      if (const json* now = cache.Find(key)) {
        world.Notify(resource, *now, false);
      } else {
        world.Notify(resource, old[key], true);
      }
    }
  }

  json ListAll(const std::string& resource, int64_t* rv) {
    json list = store.List(world.Resource(resource), "", {});
    *rv = std::stoll(list["metadata"].value("resourceVersion", "0"));
    return std::move(list["items"]);
  }

  // Real clock: one thread per cached resource follows its watch.
  void WatchLoop(std::string resource, int64_t rv) {
    while (true) {
      fake::ListOptions options;
      options.resource_version = std::to_string(rv);
      std::unique_ptr<fake::Watch> watch;
      {
        std::lock_guard lock(inbox_mu);
        if (stopping) return;
        try {
          watch = store.StartWatch(world.Resource(resource), "", options);
        } catch (const std::exception& e) {
          spdlog::warn("controlplane: watch {}: {}", resource, e.what());
          return;
        }
        watches.push_back(watch.get());
      }
      bool expired = false;
      while (auto event = watch->Next(std::chrono::seconds(30))) {
        if (event->type == "ERROR") {
          expired = true;
          break;
        }
        if (event->type == "BOOKMARK") continue;
        rv = std::max(rv, VersionOf(event->object));
        std::lock_guard lock(inbox_mu);
        inbox.push_back({resource, event->type, std::move(event->object)});
        inbox_cv.notify_one();
      }
      {
        std::lock_guard lock(inbox_mu);
        watches.erase(std::find(watches.begin(), watches.end(), watch.get()));
        if (stopping) return;
      }
      if (!expired && !watch->finished()) continue;
      // Fell behind the history window: list again, as an informer does.
      json items;
      try {
        items = ListAll(resource, &rv);
      } catch (const std::exception& e) {
        spdlog::warn("controlplane: list {}: {}", resource, e.what());
        continue;
      }
      std::lock_guard lock(inbox_mu);
      inbox.push_back({resource, "SYNC", std::move(items)});
      inbox_cv.notify_one();
    }
  }

  // Real clock: the loop that hands deliveries to the World and runs what is due.
  void Loop() {
    while (true) {
      std::deque<Delivery> batch;
      {
        std::unique_lock lock(inbox_mu);
        auto ready = [&] {
          return stopping || !inbox.empty() || (next_due && *next_due <= clock.Now());
        };
        while (!ready()) {
          if (next_due) {
            inbox_cv.wait_until(lock, *next_due);
          } else {
            inbox_cv.wait(lock);
          }
        }
        if (stopping) return;
        batch.swap(inbox);
        busy = true;
      }
      std::optional<TimePoint> due;
      {
        std::lock_guard lock(world_mu);
        world.set_now(clock.Now());
        for (auto& d : batch) Apply(d);
        world.PopDue(world.now());
        Drain();
        due = world.NextTimer();
      }
      std::lock_guard lock(inbox_mu);
      next_due = due;
      busy = false;
      last_work = std::chrono::steady_clock::now();
    }
  }

  // Fake clock: everything happens here, on the thread that moved the clock.
  void Tick() {
    std::lock_guard lock(world_mu);
    for (const auto& resource : CachedResources()) {
      int64_t rv = 0;
      Sync(resource, ListAll(resource, &rv));
    }
    TimePoint end = clock.Now();
    world.set_now(last_tick);
    Drain();
    while (auto due = world.NextTimer()) {
      if (*due > end) break;
      world.set_now(std::max(*due, last_tick));
      world.PopDue(*due);
      Drain();
    }
    world.set_now(end);
    Drain();
    last_tick = end;
  }
};

ControlPlane::ControlPlane(fake::Server& server, Options options) {
  if (options.api_address.empty()) options.api_address = server.options().address;
  if (options.api_port == 0) options.api_port = server.port();
  if (options.ca_pem.empty()) options.ca_pem = server.bundle().ca.cert.Pem();
  // The stages' port rules: the first stage that selects a pod decides its ports too.
  const bool ports = std::any_of(options.stages.begin(), options.stages.end(),
                                 [](const PodStage& s) { return !s.ports.empty(); });
  if (ports) {
    server.SetPortRules([stages = options.stages](const nlohmann::json& pod) {
      for (const PodStage& stage : stages) {
        if (StageSelects(stage, pod)) return stage.ports;
      }
      return std::vector<fake::PortRule>{};
    });
  }
  impl_ = std::make_unique<Impl>(server.store(), server.clock(), std::move(options));
}

ControlPlane::ControlPlane(fake::Store& store, fake::ServerClock& clock, Options options)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options))) {}

ControlPlane::~ControlPlane() { Stop(); }

const Options& ControlPlane::options() const { return impl_->world.options(); }

void ControlPlane::Start() {
  auto& d = *impl_;
  if (d.started) return;
  d.started = true;
  std::set<std::string> wanted = d.world.options().controllers;
  if (wanted.empty()) wanted = ParseControllers("all");
  if (wanted.count("none")) return;
  for (const auto& [name, make] : Factories()) {
    if (wanted.count(name)) d.world.AddController(make());
  }
  std::map<std::string, int64_t> versions;
  {
    std::lock_guard lock(d.world_mu);
    d.world.set_now(d.clock.Now());
    d.last_tick = d.clock.Now();
    for (const auto& resource : CachedResources()) {
      d.Sync(resource, d.ListAll(resource, &versions[resource]));
    }
    for (const auto& c : d.world.controllers()) c->Bootstrap(d.world);
  }
  if (d.clock.fake()) {
    d.hook->impl = &d;
    d.clock.OnAdvance([hook = d.hook] {
      std::lock_guard lock(hook->mu);
      if (hook->impl) hook->impl->Tick();
    });
    return;
  }
  // The watches are started by a thread of their own, not this one: a thread costs tens of
  // microseconds to create, and the caller's ready line need not wait for eleven. Each resumes
  // from its list's resourceVersion, so a change made meanwhile is not missed.
  d.threads.emplace_back([&d, versions = std::move(versions)] {
    std::vector<std::thread> watchers;
    for (const auto& [resource, rv] : versions) {
      watchers.emplace_back([&d, resource, rv] { d.WatchLoop(resource, rv); });
    }
    for (auto& w : watchers) w.join();
  });
  {
    // The first pass handles what the list found, without waiting for a change to wake it.
    std::lock_guard lock(d.inbox_mu);
    d.next_due = d.clock.Now();
    d.last_work = std::chrono::steady_clock::now();
  }
  d.threads.emplace_back([&d] { d.Loop(); });
}

bool ControlPlane::WaitIdle(std::chrono::milliseconds quiet, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (d.clock.fake() || d.threads.empty()) return true;
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(d.inbox_mu);
      const bool due_now = d.next_due && *d.next_due <= d.clock.Now();
      if (d.inbox.empty() && !d.busy && !due_now && now - d.last_work >= quiet) return true;
    }
    if (now >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void ControlPlane::Stop() {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.hook->mu);
    d.hook->impl = nullptr;
  }
  {
    std::lock_guard lock(d.inbox_mu);
    d.stopping = true;
    for (auto* w : d.watches) w->Stop();
    d.inbox_cv.notify_all();
  }
  for (auto& t : d.threads) t.join();
  d.threads.clear();
}

}  // namespace kubedouble::controlplane
