// A metav1.DeleteOptions body (a DELETE's, or an Eviction's deleteOptions) read into the store's
// DeleteOptions.
#pragma once

#include <kubedouble/fakeserver/store.h>

namespace kubedouble::fake {

// Overlays on `options` what `body` sets: preconditions (uid, resourceVersion),
// propagationPolicy, gracePeriodSeconds, orphanDependents and a non-empty dryRun. Fields of the
// wrong type, and a body that is not an object, are ignored.
void ReadDeleteOptions(const json& body, DeleteOptions& options);

}  // namespace kubedouble::fake
