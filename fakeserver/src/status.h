// Kubernetes Status objects, worded as a real API server words them (wire-format.md).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "kubedouble/base/status.h"

namespace kubedouble::fake {

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":..,
//  "reason":..,"details":..,"code":..}; details omitted when null.
using base::MakeStatus;

nlohmann::json UnauthorizedStatus();
// "the server could not find the requested resource"
nlohmann::json NotFoundStatus();
nlohmann::json MethodNotAllowedStatus();
nlohmann::json BadRequestStatus(const std::string& message);
nlohmann::json InternalErrorStatus(const std::string& why);

}  // namespace kubedouble::fake
