// metadata.generation and the status subresource: which kinds count spec changes, and what a
// write of the main resource or of …/status may change.
#pragma once

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

// Whether objects of `res` carry metadata.generation, as upstream sets it: the workloads
// (deployments, replicasets, statefulsets, daemonsets, replicationcontrollers, jobs, cronjobs),
// ingresses, ingressclasses, networkpolicies, poddisruptionbudgets, the admission and flow-control
// configurations, CustomResourceDefinitions and every custom resource. Pods, Services,
// ConfigMaps and the rest have none.
bool TracksGeneration(const ResourceInfo& res);

// Whether `res` has a status subresource (then its main resource never changes status).
bool HasStatusSubresource(const ResourceInfo& res);

// Whether the generation of an object of `res` moves from `before` to `after`: a change outside
// metadata and status (or outside metadata alone, for a kind without a status subresource).
bool GenerationMoves(const ResourceInfo& res, const json& before, const json& after);

}  // namespace kubedouble::fake
