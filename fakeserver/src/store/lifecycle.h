// The deletion lifecycle of stored objects, as kube-apiserver and kube-controller-manager run it:
//
//  - DELETE of an object with finalizers marks it (deletionTimestamp, deletionGracePeriodSeconds
//    0) and keeps it until its last finalizer is removed; propagationPolicy Orphan and Foreground
//    add the garbage collector's `orphan` and `foregroundDeletion` finalizers, Background drops
//    them;
//  - a pod bound to a node is deleted gracefully: deletionTimestamp = now + grace period (the
//    request's, else the pod's terminationGracePeriodSeconds, else 30 s) and removed when the
//    period ends by the server's clock, as a kubelet confirms it; an unbound or finished pod, or
//    a grace period of 0, goes at once;
//  - the garbage collector deletes dependents whose owners (by uid) are all gone, drops
//    references to owners that are gone while others remain, removes the references of an
//    orphaning owner's dependents, and deletes the blocking dependents of a foreground deletion
//    before the owner;
//  - a deleted namespace turns Terminating, its content is deleted (objects with finalizers
//    stay until they are released), its status conditions say what remains, and once it is
//    empty its `kubernetes` finalizer is removed and the namespace with it.
//
// Everything here runs under the store's unique lock, within the write that caused it, so a
// client that reads after its write sees the outcome and the outcome never depends on timing.
#pragma once

#include <string>

#include "store_core.h"

namespace kubedouble::fake {

// Keeps the lifecycle indexes of `c.life` up to date for a change of the object at `bucket`/
// `key`: `before` is null for an addition, `after` null for a removal.
void TrackChange(Core& c, const std::string& bucket, const std::string& key, const json* before,
                 const json* after);

// 422 for delete options kube-apiserver refuses (an unknown propagationPolicy, orphanDependents
// together with propagationPolicy).
void ValidateDeleteOptions(const DeleteOptions& options);

// DELETE of the stored object `current` at `bucket`/`key`. Returns the state the client is sent:
// the object as marked when it stays (then *removed is false), or its last state when it is
// gone. A terminating namespace deleted again is a 409 Conflict, worded as upstream.
ObjectPtr DeleteLocked(Core& c, const std::string& bucket, const std::string& key,
                       const ObjectPtr& current, const DeleteOptions& options, bool* removed);

// Removes the object at once, `last` being its final state (for a CustomResourceDefinition, its
// custom resources and their registration go too).
ObjectPtr RemoveLocked(Core& c, const std::string& bucket, const std::string& key,
                       const ObjectPtr& current, json last);

// Runs the work the changes so far have left: garbage collection, finalizer steps, namespaces.
void ReconcileLocked(Core& c);

// Ends the grace periods that are over by c.now() (the kubelet's confirmation), then
// ReconcileLocked. True when anything changed.
bool EndGracePeriodsLocked(Core& c);

// The causes for an update of an object that is being deleted: no new finalizers.
json DeletionUpdateCauses(const json& old, const json& updated);

// A create in a terminating namespace is refused (403, the NamespaceTerminating cause).
void CheckNamespaceOpen(const Core& c, const ResourceInfo& res, const std::string& ns,
                        const std::string& name);

}  // namespace kubedouble::fake
