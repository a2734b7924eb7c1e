// Validation of the common kinds' contents, as a Kubernetes 1.32 API server answers it: 422
// Invalid with upstream's field paths and wording ("spec.containers: Required value",
// "spec.selector: Invalid value: ...: field is immutable"). Runs after defaulting, so it sees
// what would be stored; an object with causes is never stored.
#pragma once

#include <string>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake::kinds {

// The causes (validation.h's cause objects) for `object` of `res`; `old` is the stored state on
// update, nullptr on create. Empty for valid objects and for kinds without checks here.
json Causes(const ResourceInfo& res, const json& object, const json* old);

// Appends to `causes` the problems of the PodSpec at `path` ("spec", "spec.template.spec").
void PodSpecCauses(const json& spec, const std::string& path, json& causes);
// Appends the problems of a workload's selector and pod template: selector required and not
// empty (`kind` names it: "empty selector is invalid for deployment"), template labels matching
// it, the template's PodSpec.
void SelectorAndTemplateCauses(const json& spec, const std::string& kind, json& causes);
// Whether the stored selector and the new one differ ("field is immutable").
void ImmutableCause(const json& now, const json& before, const std::string& path,
                    const std::string& go_value, json& causes);
// A cause for a negative count ("must be greater than or equal to 0").
void NonNegativeCause(const json& spec, const char* field, const std::string& path, json& causes);

// Go's %#v form of values shown in messages: v1.LabelSelector{MatchLabels:map[string]string{...},
// MatchExpressions:...} and map[string]string{"app":"web"}.
std::string GoLabelSelector(const json& selector);
std::string GoStringMap(const json& map);
std::string GoStrings(const json& list);  // []string{"a", "b"}
// Whether the labels (a map) satisfy the selector (matchLabels and matchExpressions).
bool SelectorMatches(const json& selector, const json& labels);

void PodCauses(const json& pod, json& causes);
// An update of a Pod (`old`: as stored) that changes more of its spec than images,
// activeDeadlineSeconds, added tolerations or a negative grace period to 1: upstream's
// "spec: Forbidden: pod updates may not change fields other than ..." with a diff of the specs.
void PodUpdateCauses(const json& pod, const json& old, json& causes);
void ServiceCauses(const json& svc, const json* old, json& causes);
void WorkloadCauses(const std::string& kind, const json& obj, const json* old, json& causes);
void JobCauses(const json& job, const json* old, json& causes);
void CronJobCauses(const json& cronjob, const json* old, json& causes);
// Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (rbac.authorization.k8s.io/v1): the
// rules' verbs, groups, resources and URLs; a binding's roleRef (immutable) and subjects.
void RbacCauses(const std::string& kind, const json& obj, const json* old, json& causes);

}  // namespace kubedouble::fake::kinds
