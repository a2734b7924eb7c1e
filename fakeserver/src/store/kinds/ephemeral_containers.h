// A write of a pod's …/ephemeralcontainers (kubectl debug): what the pod becomes. Only the
// body's spec.ephemeralContainers is taken, the rest of the pod stays as stored; ephemeral
// containers may be added, never removed or changed (a 422 naming them).
#pragma once

#include <nlohmann/json.hpp>

namespace kubedouble::fake::kinds {

// The stored pod `old` with the ephemeral containers of `body`. Throws StatusError (Invalid)
// when `body` leaves out or changes one the pod has.
nlohmann::json EphemeralContainersOnly(const nlohmann::json& old, const nlohmann::json& body);

}  // namespace kubedouble::fake::kinds
