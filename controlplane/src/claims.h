// The PersistentVolumeClaims of a StatefulSet's volumeClaimTemplates.
#pragma once

#include <cstdint>

#include "world.h"

namespace kubedouble::controlplane {

// For the pod of `ordinal`: each template's claim, named TEMPLATE-STATEFULSET-ORDINAL as
// upstream names it, is created when missing and looks bound, as kind's local-path provisioner
// leaves it (status Bound, the requested capacity, a volumeName pvc-<uuid>, storageClassName
// "standard" unless the template names one); `pod`'s volume of the template's name then points
// at it. With persistentVolumeClaimRetentionPolicy.whenDeleted Delete the claim is owned by the
// StatefulSet (the garbage collector takes it along); else it outlives it, as upstream.
void EnsureClaims(World& w, const json& sts, int64_t ordinal, json& pod);

}  // namespace kubedouble::controlplane
