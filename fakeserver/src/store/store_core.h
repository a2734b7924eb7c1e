// The state shared by Store and its watches: objects, the event log and the revision counter.
#pragma once

#include <kubedouble/base/compact_json.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kubedouble/fakeserver/store.h"
#include "lifecycle_state.h"
#include "list_cache.h"
#include "selectors.h"

namespace kubedouble::fake {

// One committed state of an object: immutable, shared by the bucket, the event log, lists and
// watches. Its JSON text is made once, on first use, and then reused by every list, get and
// watch event that sends the object unchanged (a watch event reaches hundreds of watchers).
class ObjectPtr {
 public:
  ObjectPtr() = default;
  ObjectPtr(std::nullptr_t) {}  // NOLINT: as a shared_ptr would
  static ObjectPtr Make(json value) {
    ObjectPtr p;
    p.p_ = std::make_shared<const Stored>(std::move(value));
    return p;
  }
  const json& operator*() const { return p_->value; }
  const json* operator->() const { return &p_->value; }
  const json* get() const { return p_ ? &p_->value : nullptr; }
  explicit operator bool() const { return p_ != nullptr; }
  // The object as compact JSON (invalid UTF-8 replaced, as every answer is sent).
  const std::string& Text() const {
    std::call_once(p_->once, [s = p_.get()] { s->text = base::CompactJson(s->value); });
    return p_->text;
  }
  // Text(), sharing ownership of this state.
  std::shared_ptr<const std::string> SharedText() const {
    Text();
    return std::shared_ptr<const std::string>(p_, &p_->text);
  }

 private:
  struct Stored {
    explicit Stored(json v) : value(std::move(v)) {}
    json value;
    mutable std::once_flag once;
    mutable std::string text;
  };
  std::shared_ptr<const Stored> p_;
};
// Wakes the watches waiting for a change. Waiters sleep on a futex word that every change bumps,
// so a wake-up takes no lock: with a condition variable, 500 woken watches re-took its mutex one
// after another, each hand-over a context switch, and the last watch heard of a change tens of
// milliseconds after the first. Listeners (parked watches, Watch::OnChange) are called only for
// the changes that can concern them: their resource, in their namespace.
class ChangeSignal {
 public:
  // Read under the store's lock, before looking at the log; a later change makes it differ.
  uint32_t Current() const { return word_.load(std::memory_order_acquire); }
  // A change of `bucket` in `ns` ("" cluster-scoped) was committed; called under the store's
  // unique lock, before NotifyChanged.
  void Touch(const std::string& bucket, const std::string& ns);
  // After changes: wakes the sleepers, and the listeners of what was touched since the last
  // notification.
  void NotifyChanged();
  // Wakes the sleepers and every listener (Clear, compaction, the store going away).
  void NotifyAll();
  // Wakes the sleepers and one listener (a watch stopping).
  void NotifyOne(uint64_t listener);
  // Sleeps until the word is no longer `seen` or `until` passes (may wake early).
  void WaitUntil(uint32_t seen, std::chrono::steady_clock::time_point until) const;
  // Readers that do not sleep on the word (Watch::OnChange): `fn` runs at every notification
  // that concerns `bucket` in `ns` ("": every namespace) from now until Forget(id) returns
  // (Forget waits for a run under way).
  uint64_t Listen(std::function<void()> fn, std::string bucket, std::string ns);
  void Forget(uint64_t id);

 private:
  struct Listener {
    std::function<void()> fn;
    std::string bucket, ns;
  };
  void WakeSleepers();

  std::atomic<uint32_t> word_{0};
  std::mutex listeners_mu_;  // the listeners and the touched pairs
  std::map<uint64_t, Listener> listeners_;
  std::vector<std::pair<std::string, std::string>> touched_;  // bucket, namespace
  uint64_t next_listener_ = 0;
};

// Objects of one resource (all versions), keyed "ns/name" (namespaced) or "name", in etcd order.
using Bucket = std::map<std::string, ObjectPtr>;

enum class EventType { kAdded, kModified, kDeleted };

// One change. For DELETED, `after` is the last state carrying the deletion's resourceVersion.
struct Event {
  int64_t rv;
  EventType type;
  std::string bucket;
  std::string ns;
  std::string key;
  ObjectPtr before;  // null for ADDED
  ObjectPtr after;
  size_t bytes = 0;  // after's JSON text: what the event counts against the history's bytes
  std::chrono::system_clock::time_point at{};  // when it was committed, by the store's clock
};

struct Core {
  std::shared_ptr<Registry> registry;
  NowFn now;
  size_t window;         // changes kept in `log` at most
  size_t history_bytes;  // and bytes of their objects' JSON text at most (the newest always kept)
  // Changes older than this (by `now`) are compacted; zero: only the bounds above apply.
  std::atomic<int64_t> history_age_ns{0};
  // The commit time of the log's oldest change (ns since the epoch; INT64_MAX when the log is
  // empty): lets a reader see without the lock that nothing is old enough to compact.
  std::atomic<int64_t> oldest_at_ns{INT64_MAX};

  // Readers take it shared; every change takes it unique through WriteLock (below).
  mutable std::shared_mutex mu;
  // Moved on by every WriteLock: two reads that see the same value saw the same objects,
  // history and revisions.
  std::atomic<uint64_t> state{0};
  ListCache lists;        // ListJson's recent answers, for `state` (list_cache.h)
  ChangeSignal changed;   // notified after every change, Clear and Stop
  int64_t rv = 1;         // the last assigned resourceVersion
  int64_t compacted = 1;  // states at revisions >= compacted can be rebuilt
  uint64_t epoch = 0;     // bumped by Clear: older watches end with 410
  std::unordered_map<std::string, Bucket> buckets;
  std::deque<Event> log;  // rv strictly increasing
  // The revision of the last change of each bucket ("bucket") and of each of its namespaces
  // ("bucket\nns"): a watch whose resource has not changed since it looked needs nothing of the
  // log, however much of it was compacted meanwhile by other resources' changes.
  std::unordered_map<std::string, int64_t> last_change;
  size_t log_bytes = 0;  // the sum of the log's Event::bytes
  std::mt19937_64 rng{std::random_device{}()};
  std::set<std::pair<std::string, std::string>> crd_resources;            // group, plural from CRDs
  std::unordered_map<std::string, std::vector<StoreObserver>> observers;  // by bucket
  LifecycleState life;  // owners, dependents and pending deletion work (lifecycle.h)
  // Durability (persist.cpp), called under the unique lock: before a change is applied (a throw
  // leaves the store as it was) and after a Clear.
  std::function<void(const Event&)> on_commit;
  std::function<void()> on_clear;

  // Records a change under the unique lock: assigns the next resourceVersion, updates the
  // bucket, appends to the log and trims it to the window (count and bytes). Returns the stored
  // object. Keeps `life` up to date (lifecycle.h: TrackChange).
  ObjectPtr Commit(EventType type, const std::string& bucket, const std::string& ns,
                   const std::string& key, ObjectPtr before, json after);
  // Index of the first log event with rv > r.
  size_t FirstAfter(int64_t r) const;
  // The revision of the last change of `bucket` in `ns` ("": any namespace); 0 when none.
  int64_t LastChange(const std::string& bucket, const std::string& ns) const;
  // Drops the log's changes up to revision `r` (compacted becomes r, when it was lower). Caller
  // holds the unique lock.
  void CompactTo(int64_t r);
  // Drops the changes older than history_age_ns, as of now. Caller holds the unique lock.
  void CompactAged();
  // CompactAged when the oldest change may be old enough: takes the unique lock only then.
  // Caller holds no lock.
  void MaybeCompactAged();
  std::string NewUid();
  std::string RandomSuffix(size_t n);
};

// The store's lock taken for a change (unique). Every change of a Core takes it. When it is let
// go after a write that changed what a read can see (a revision committed, the history compacted
// or emptied, the store cleared), it moves Core::state on first, so that what was made from the
// state before (ListCache) is not used again; a write that was refused or changed nothing leaves
// the state, and the answers kept for it, as they were.
class WriteLock {
 public:
  explicit WriteLock(Core& c) : c_(c), lock_(c.mu), before_(Mark::Of(c)) {}
  ~WriteLock() {
    if (!(Mark::Of(c_) == before_)) c_.state.fetch_add(1, std::memory_order_acq_rel);
  }
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

 private:
  // What a read depends on, in a few numbers: every change of an object commits a revision.
  struct Mark {
    int64_t rv, compacted;
    uint64_t epoch;
    size_t log_size;
    int64_t oldest_rv;
    static Mark Of(const Core& c) {
      return {c.rv, c.compacted, c.epoch, c.log.size(), c.log.empty() ? 0 : c.log.front().rv};
    }
    bool operator==(const Mark&) const = default;
  };
  Core& c_;
  std::unique_lock<std::shared_mutex> lock_;  // let go after the destructor's body
  const Mark before_;
};

struct Store::Impl {
  std::shared_ptr<Core> core;
};

std::string BucketKey(const ResourceInfo& res);
std::string ObjectKey(const ResourceInfo& res, const std::string& ns, const std::string& name);
// [lo, hi) of the keys of namespace `ns` (everything when ns is empty).
std::pair<std::string, std::string> NamespaceRange(const ResourceInfo& res, const std::string& ns);

std::string FormatTime(std::chrono::system_clock::time_point t);
std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& s);

// Validates list/watch options (422 on ListOptions) and parses the selectors (400).
Selectors ParseSelectors(const ResourceInfo& res, const ListOptions& options);
void ValidateListOptions(const ListOptions& options, bool watch);

const std::string& MetaString(const json& object, const char* field);

// Whether the object carries the kind and apiVersion of `res`.
bool SameKind(const ResourceInfo& res, const json& obj);
// Appends `obj` as compact JSON with the kind and apiVersion of `res` (the stored text when they
// already match).
void AppendObject(std::string& out, const ResourceInfo& res, const ObjectPtr& obj);

// Patch application (patch.cpp): returns the patched object or throws StatusError.
json ApplyPatch(const json& original, PatchType type, const std::string& body);

// CustomResourceDefinitions (crd.cpp): validates a CRD object (422) and fills its status;
// returns the resources it serves.
std::vector<ResourceInfo> PrepareCrd(json& crd, const std::string& now);
bool IsCrdResource(const ResourceInfo& res);
// The openAPIV3Schema of the CRD version serving custom resource `res` (under the lock);
// nullptr for built-in kinds, resources from --resources files and versions without one.
const json* CustomResourceSchema(const Core& c, const ResourceInfo& res);
// A custom resource about to be stored: pruned, defaulted and validated by its CRD's schema
// (crd_schema.h); throws the 422 Invalid. Nothing happens for other kinds.
void PrepareCustomResource(const Core& c, const ResourceInfo& res, json& object);
// After an update of `crd`: its stored custom resources get the defaults its storage version's
// schema now declares, as upstream applies them when reading from etcd (no new
// resourceVersion, no watch event).
void RedefaultCustomResources(Core& c, const json& crd);

}  // namespace kubedouble::fake
