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

// The status a created object starts with, as upstream's strategies reset it: a kind with a status
// subresource drops what the body carried (a Deployment, a Service, a Job, a custom resource …),
// except that a Namespace starts Active (set by defaulting), a PersistentVolume Pending since
// `now`, and Nodes keep theirs (kubelets create them with one). Pods keep theirs too: kubedouble
// runs no kubelet, so a created Pod's phase is the only way tests get a Running pod without a
// status write (upstream would answer Pending). CRDs get theirs from PrepareCrd.
void ResetStatusOnCreate(const ResourceInfo& res, json& object, const std::string& now);

}  // namespace kubedouble::fake
