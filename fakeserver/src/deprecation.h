// The `Warning` header kube-apiserver adds to every request of a deprecated API version:
// built-in kinds by their release lifecycle (1.32 serves one: `v1 ComponentStatus is deprecated
// in v1.19+`), custom resources by their CRD version's `deprecated` and `deprecationWarning`
// (default: `example.com/v1alpha1 CronTab is deprecated; use example.com/v1 CronTab`, naming the
// newest served version that is not deprecated, by Kubernetes' version order).
#pragma once

#include <optional>
#include <string>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

// The warning text for requests of `res` (its CRD read from `store` for a custom resource), or
// nullopt when its version is not deprecated.
std::optional<std::string> DeprecationWarning(const Store& store, const Registry& registry,
                                              const ResourceInfo& res);

// Kubernetes' order of version names ("v1" > "v1beta2" > "v1beta1" > "v1alpha1" > "foo"):
// negative when a sorts before b, 0 when equal, positive after.
int CompareKubeAwareVersions(const std::string& a, const std::string& b);

}  // namespace kubedouble::fake
