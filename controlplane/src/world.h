// What every controller of the control plane works with: the cached objects, the time, writes
// to the store that keep the cache current, Events, and the queue of work.
//
// Work is level-triggered, as in kube-controller-manager: a change of an object makes the
// controllers that care enqueue a key ("namespace/name", or whatever key the controller chose),
// and Reconcile(key) then compares what is with what should be and writes the difference. A key
// is queued at most once; keys are handled in order, so the same inputs give the same writes.
#pragma once

#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/store.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "cache.h"

namespace kubedouble::controlplane {

using TimePoint = std::chrono::system_clock::time_point;

class World;

// Where a write's body comes from. kOwn: made whole by the control plane from nothing a client
// wrote (its nodes and their Leases and Events, the kubernetes Service, a namespace's default
// ServiceAccount and kube-root-ca.crt, a pod's binding and the kubelet's status): stored without
// the schema, metadata and content checks (fake::WriteOptions::trusted), which such a body always
// passes. kChecked: anything built from a client's objects (a pod from a template), checked as a
// client's write would be, as upstream's controllers are refused what their input makes invalid.
enum class Origin { kChecked, kOwn };

// One controller. Changed() is told about every change of every cached resource (`object` is
// the new state, or the last one for a deletion with `deleted` set) and enqueues keys;
// Reconcile() handles one of its keys.
class Controller {
 public:
  virtual ~Controller() = default;
  virtual std::string name() const = 0;
  virtual void Bootstrap(World&) {}  // at Start(): objects that must exist from the start
  virtual void Changed(World& world, const std::string& resource, const json& object,
                       bool deleted) = 0;
  virtual void Reconcile(World& world, const std::string& key) = 0;
};

// The resources the control plane caches (list + watch), by plural name.
const std::vector<std::string>& CachedResources();

class World {
 public:
  World(fake::Store& store, Options options);

  const Options& options() const { return options_; }
  fake::Store& store() { return store_; }
  // A resource by plural name ("pods", "replicasets", "leases", ...), any group.
  const fake::ResourceInfo& Resource(const std::string& plural);
  Cache& cache(const std::string& resource) { return caches_[resource]; }

  // The time the control plane acts at: the clock's, or during a fake-clock advance the time of
  // the timer being handled.
  TimePoint now() const { return now_; }
  void set_now(TimePoint t) { now_ = t; }
  std::string NowText() const;       // RFC 3339, seconds
  std::string NowMicroText() const;  // RFC 3339 with microseconds (eventTime, renewTime)

  // Writes. Each keeps the cache current and tells the controllers, as the watch event would.
  // A conflict or a vanished object is not an error: the object is read again and the key of
  // `retry_controller` queued again (when given). Other errors are logged. nullopt on failure.
  std::optional<json> Create(const std::string& resource, json object,
                             Origin origin = Origin::kChecked);
  std::optional<json> Update(const std::string& resource, json object,
                             Origin origin = Origin::kChecked);
  std::optional<json> UpdateStatus(const std::string& resource, json object,
                                   Origin origin = Origin::kChecked);
  // Replaces without the resourceVersion check (the binding of a pod to a node).
  std::optional<json> Put(const std::string& resource, json object,
                          Origin origin = Origin::kChecked);
  // Deletes (a pod bound to a node may be marked with a deletionTimestamp and kept, as the
  // store's lifecycle decides; `grace_seconds` 0 is the kubelet's final confirmation).
  bool Delete(const std::string& resource, const json& object,
              std::optional<int64_t> grace_seconds = std::nullopt);
  // Creates `object` or, when one of that name exists, replaces it if `differs(stored)` says so.
  void Upsert(const std::string& resource, json object,
              const std::function<bool(const json& stored)>& differs,
              Origin origin = Origin::kChecked);

  // A core/v1 Event about `regarding` (a Normal one unless `warning`). The same Event again
  // (same object, field, type, reason, message and source) counts up the first one.
  void Event(const json& regarding, bool warning, const std::string& reason,
             const std::string& message, const std::string& component, const std::string& host = "",
             const std::string& field_path = "");

  // Work.
  void Enqueue(const std::string& controller, const std::string& key);
  void After(TimePoint due, const std::string& controller, const std::string& key);
  // Hands an observed change to the cache and every controller (false: it was stale).
  bool Observe(const std::string& resource, const json& object, bool deleted);
  // Tells every controller about a change the cache already holds.
  void Notify(const std::string& resource, const json& object, bool deleted);

  void AddController(std::unique_ptr<Controller> c);
  Controller* Find(const std::string& name);
  const std::vector<std::unique_ptr<Controller>>& controllers() const { return controllers_; }
  // Takes the next queued key (ordered), nullopt when none.
  std::optional<std::pair<std::string, std::string>> TakeWork();
  // The earliest timer, if any; PopDue moves timers due at `t` or before into the queue.
  std::optional<TimePoint> NextTimer() const;
  void PopDue(TimePoint t);

 private:
  void Refresh(const std::string& resource, const json& object);
  fake::Store& store_;
  Options options_;
  TimePoint now_{};
  std::map<std::string, fake::ResourceInfo> resources_;
  std::map<std::string, Cache> caches_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::set<std::pair<std::string, std::string>> queue_;
  std::multimap<TimePoint, std::pair<std::string, std::string>> timers_;
  uint64_t event_seq_ = 0;
  // The Event written for each (object, field, type, reason, message, source): a repeat
  // raises its count and lastTimestamp instead of making another, as client-go's recorder does.
  std::map<std::string, std::pair<std::string, std::string>> events_;  // -> namespace, name
};

}  // namespace kubedouble::controlplane
