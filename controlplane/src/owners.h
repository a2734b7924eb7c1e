// Finding the owner of an object among a cached resource by uid, for the controllers that hear
// about a pod and must reconcile the ReplicaSet or Job that controls it.
#pragma once

#include <map>
#include <string>

#include "cache.h"

namespace kubedouble::controlplane {

class OwnerIndex {
 public:
  // Follows the owners themselves (the resource's own changes).
  void Track(const json& owner, bool deleted);
  // The key of the tracked owner that controls `dependent` ("" when none).
  std::string ControllerKey(const json& dependent) const;

 private:
  std::map<std::string, std::string> by_uid_;
};

// Generated pod names for an owner: `prefix` + five letters from the owner's key and a counter,
// skipping names the cache already holds — the same names in the same order for the same owner.
std::string NextPodName(const Cache& pods, const std::string& ns, const std::string& prefix,
                        std::map<std::string, uint64_t>& counters);

}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
// A pod named `name` made from `owner`'s spec.template (labels, annotations, spec), in the
// owner's namespace, with a controller ownerReference to it.
json PodFromTemplate(const json& owner, const std::string& name);
}  // namespace kubedouble::controlplane
