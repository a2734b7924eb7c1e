// What the store keeps to run the deletion lifecycle: who owns whom, and the work a change
// leaves for the garbage collector, the finalizer steps and the namespace controller.
// Kept up to date by Core::Commit (lifecycle.cpp: TrackChange) under the store's unique lock.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

namespace kubedouble::fake {

// Where an object lives: its bucket ("apps/deployments") and key ("ns/name" or "name").
struct ObjectRef {
  std::string bucket;
  std::string key;
  bool operator<(const ObjectRef& o) const {
    return std::tie(bucket, key) < std::tie(o.bucket, o.key);
  }
  bool operator==(const ObjectRef& o) const { return bucket == o.bucket && key == o.key; }
};

struct LifecycleState {
  std::unordered_map<std::string, ObjectRef> by_uid;
  // Owner uid -> the objects whose ownerReferences name it (the owner may be gone).
  std::unordered_map<std::string, std::set<ObjectRef>> dependents;
  // Objects with ownerReferences to check for owners that are gone or being deleted.
  std::set<ObjectRef> to_collect;
  // Objects being deleted (deletionTimestamp set) whose deletion may move on, and namespaces
  // whose content changed.
  std::set<ObjectRef> to_finalize;
  // Pods in their grace period, and when it ends (by the server's clock).
  std::map<ObjectRef, std::chrono::system_clock::time_point> grace_ends;
};

}  // namespace kubedouble::fake
