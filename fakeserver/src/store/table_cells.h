// The Table cells kube-apiserver's printers compute from an object (kubectl get's READY, STATUS,
// PORT(S), ...): one small function per computation the schema's printer columns name
// (schema::CellRule::kComputed), and the JSON path reading the other rules use.
#pragma once

#include <chrono>
#include <string_view>

#include "store_core.h"

namespace kubedouble::fake {

using TimePoint = std::chrono::system_clock::time_point;

// The value at a printer path: "spec.type", "spec.clusterIPs[0]", "status.podIPs[0].ip"; a null
// value when any step is missing.
const json& AtPath(const json& object, std::string_view path);

// The age of a timestamp as kubectl prints it, "<unknown>" when `timestamp` is not one.
std::string AgeOf(const json& timestamp, TimePoint now);

// The cell the computation `function` gives for `object` (`path`: the column's path, where the
// function takes one); nullopt for a name kubedouble does not compute.
std::optional<json> ComputedCell(std::string_view function, const json& object,
                                 std::string_view path, TimePoint now);

}  // namespace kubedouble::fake
