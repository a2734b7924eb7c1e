// POST pods/NAME/eviction: deleting a pod unless a PodDisruptionBudget forbids it, as
// kube-apiserver's eviction subresource does (what `kubectl drain` uses).
#pragma once

#include <kubedouble/fakeserver/store.h>

#include <chrono>
#include <string>

namespace kubedouble::fake {

// Evicts pod `ns`/`name` as `eviction` (a policy/v1 or policy/v1beta1 Eviction: metadata.name,
// deleteOptions) asks, at `now`:
// - a pod that is Pending, Succeeded, Failed or already being deleted is deleted without a
//   budget check;
// - else the one PodDisruptionBudget of its namespace whose selector matches the pod (policy/v1:
//   an empty selector matches every pod, a missing one none) must allow a disruption: its
//   status.disruptionsAllowed is decremented and the pod recorded in status.disruptedPods (the
//   disruption controller counts it out until it is gone). An unready pod passes when the
//   budget's unhealthyPodEvictionPolicy is AlwaysAllow, or the budget is met without it.
// The pod gets the DisruptionTarget condition (EvictionByEvictionAPI) and is deleted with the
// eviction's deleteOptions (its grace period, as any delete of a pod on a node).
// Returns the Success Status (code 201). Throws StatusError as upstream: 400 for a body of
// another kind or name ("name in URL does not match name in Eviction object"), 404 for no such
// pod, 429 TooManyRequests "Cannot evict pod as it would violate the pod's disruption budget."
// with a DisruptionBudget cause ("The disruption budget web-pdb needs 2 healthy pods and has 2
// currently", or "... is still being processed by the server." with retryAfterSeconds 10 while
// the budget's status is older than its spec), 500 for a pod under several budgets.
json EvictPod(Store& store, const std::string& ns, const std::string& name, const json& eviction,
              std::chrono::system_clock::time_point now, bool dry_run);

}  // namespace kubedouble::fake
