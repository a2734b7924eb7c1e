// Small readers and builders of Kubernetes objects that several controllers share: label
// selectors, owner references, conditions, pod states, quantities and generated names.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace kubedouble::controlplane {

using json = nlohmann::json;

// The value at a dotted path ("spec.template.metadata"), or null.
const json& At(const json& object, const std::string& path);
std::string Str(const json& object, const std::string& path);  // "" unless a string
int64_t Int(const json& object, const std::string& path, int64_t fallback);

// A metav1.LabelSelector (matchLabels, matchExpressions with In, NotIn, Exists, DoesNotExist)
// against `labels`. A null or empty selector matches nothing when `empty_matches_all` is false.
bool SelectorMatches(const json& selector, const json& labels, bool empty_matches_all = false);
// A plain map selector (a Service's spec.selector, a pod's nodeSelector): every pair present.
bool MapMatches(const json& selector, const json& labels);

// An ownerReference to `owner` (controller and blockOwnerDeletion true).
json ControllerRef(const json& owner);

// Sets condition `type` in `conditions` (an array, made if null). lastTransitionTime changes only
// when the status does. Returns whether anything changed.
bool SetCondition(json& conditions, const std::string& type, const std::string& status,
                  const std::string& reason, const std::string& message, const std::string& now,
                  bool probe_time = false);
// The status of condition `type` ("" when absent).
std::string ConditionStatus(const json& object, const std::string& type);

// Pods.
bool PodTerminating(const json& pod);  // has a deletionTimestamp
bool PodFinished(const json& pod);     // Succeeded or Failed
bool PodActive(const json& pod);       // neither finished nor terminating
bool PodReady(const json& pod);        // condition Ready True

// A resource quantity in base units ("100m" -> 0.1, "1Gi" -> 1073741824); 0 when unreadable.
double Quantity(const json& value);

// Five characters of [bcdfghjklmnpqrstvwxz2456789] derived from `seed` (a generated name's
// suffix, the same for the same seed).
std::string NameSuffix(const std::string& seed);
// The pod-template-hash of a pod template: a hash of its JSON (with any pod-template-hash label
// removed) and the collision count, spelled with the same letters as NameSuffix.
std::string TemplateHash(const json& pod_template, int64_t collision_count = 0);
// The template as upstream compares it: without the pod-template-hash label and without values
// Go leaves out (null, false, 0, "", {}, []), so `kubectl rollout undo` finds its ReplicaSet.
json WithoutHashLabel(json pod_template);

}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
// 64 hex digits derived from `seed` (container ids, image digests).
std::string Hex64(const std::string& seed);
}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
// Whether a pod's `tolerations` tolerate a node's `taint` (key, value, effect; Exists/Equal).
bool Tolerates(const json& tolerations, const json& taint);
}  // namespace kubedouble::controlplane
