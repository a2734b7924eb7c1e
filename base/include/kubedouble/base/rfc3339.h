// Timestamps as the Kubernetes API writes them in objects: RFC 3339 in UTC, whole seconds
// ("2026-01-02T03:04:05Z"), as metav1.Time marshals.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace kubedouble::base {

using SysTime = std::chrono::system_clock::time_point;

// "2026-01-02T03:04:05Z" (the time truncated to whole seconds).
std::string FormatRfc3339(SysTime t);
// The date and time of "2026-01-02T03:04:05Z" (a fraction or offset after the seconds is not
// read: the time is taken as UTC); nullopt when it does not start with a date and a time.
std::optional<SysTime> ParseRfc3339(const std::string& text);

}  // namespace kubedouble::base
