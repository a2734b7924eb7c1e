// Defaulting: the fields a Kubernetes 1.32 API server fills in when a client leaves them out,
// as users see them in `kubectl get -o yaml` (the types' defaulting plus what the default
// admission plugins add: ServiceAccount, Priority, DefaultTolerationSeconds).
//
// Every function sets a field only when it is absent or null; values a client sent are kept.
#pragma once

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake::defaults {

// Fills in the defaults of an object of `res` about to be stored (create and update). Kinds
// without defaults are left as they are. A new Job also gets its generated selector, from its
// metadata.uid (set before this is called).
void Apply(const ResourceInfo& res, json& object, bool creating);

// A PodSpec's defaults (restartPolicy, dnsPolicy, schedulerName, securityContext,
// terminationGracePeriodSeconds, and each container's imagePullPolicy, termination message,
// port protocols, and requests equal to the limits given without them): for Pods and for every pod
// template.
void PodSpec(json& spec);
// A pod template ({metadata, spec}) of a workload.
void PodTemplate(json& tmpl);
// A Pod: PodSpec plus what only Pods get: enableServiceLinks and, when `creating`, its
// status.qosClass and what the admission plugins add (the service account, priority,
// preemptionPolicy, the not-ready and unreachable tolerations of 300 s).
void Pod(json& pod, bool creating);
// A Service: type, sessionAffinity, port protocols and target ports, traffic policies and IP
// families (the cluster IP is allocated by the store).
void Service(json& svc);
// apps/v1 and ReplicationControllers: replicas, strategies, history limits, templates.
void Deployment(json& obj);
void ReplicaSet(json& obj);
void StatefulSet(json& obj);
void DaemonSet(json& obj);
// batch/v1. `creating`: a new Job gets its selector and template labels from its uid.
void Job(json& obj, bool creating);
void CronJob(json& obj);
// rbac.authorization.k8s.io/v1: a binding's roleRef.apiGroup, and the apiGroup of its User and
// Group subjects, default to rbac.authorization.k8s.io.
void RbacApiGroups(json& obj);

// The object at `key` of `parent`, made an (empty) object when absent or not an object.
json& Child(json& parent, const char* key);
// Sets `key` of `obj` to `value` when it is absent or null.
void Default(json& obj, const char* key, json value);

}  // namespace kubedouble::fake::defaults
