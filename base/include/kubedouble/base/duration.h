// Durations as Go writes and reads them (time.ParseDuration, time.Duration.String):
// "1h30m", "250ms", "1.5h", "-2m3.5s", "0".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::base {

// The duration of `text`, exact to the nanosecond: an optional sign, then one or more numbers
// (with an optional fraction) each followed by a unit: ns, us (or µs), ms, s, m, h. "0" alone
// needs no unit. nullopt for anything else or past ±292 years; then `*error`, when given, says
// why in Go's words:
//   time: invalid duration "x"
//   time: missing unit in duration "5"
//   time: unknown unit "d" in duration "5d"
std::optional<std::chrono::nanoseconds> ParseGoDuration(std::string_view text,
                                                        std::string* error = nullptr);

// The shortest text that reads back as `d`, as Go's String writes it: "1h30m0s", "45s",
// "1.5s", "250ms", "10µs", "0s", "-2m0s".
std::string FormatGoDuration(std::chrono::nanoseconds d);

}  // namespace kubedouble::base
