// What a simulated container writes to its log. There is no process behind a container of the
// control plane's kubelet, so its output is derived from the pod, deterministically:
//
// 1. The program's own output, from the container's command and args (after Kubernetes'
//    `$(VAR)` expansion from the container's env):
//    - `echo WORDS...` writes one line (the words joined by spaces; `-n` and `-e` are dropped);
//    - `sh -c SCRIPT` (also bash, ash, dash, with any path) runs a tiny shell: statements split on
//      `;`, `&&`, `||` and line ends, words with '…' and "…" quoting and `$VAR` / `${VAR}` from
//      the env. `echo` writes a line, `printf` writes its format with `\n` as line ends (no
//      conversions), `sleep N` moves the time of the lines after it by N seconds, `exit` ends
//      the script; anything else (loops included) writes nothing;
//    - no command and no args (the image's own entrypoint): one start line,
//      `Started NAME (image IMAGE)`;
//    - any other command writes nothing, as `sleep 3600` would not.
//    The lines are written when the container starts (plus the sleeps before them).
// 2. Lines scripted by an annotation on the pod: `kubedouble.io/log.CONTAINER` for one container,
//    else `kubedouble.io/log` for every container. One log line per annotation line:
//    - `+DURATION TEXT` writes TEXT DURATION (Go syntax: 1s, 1m30s, 250ms) after the start;
//    - `TEXT` writes it at the time of the line before (the start for the first);
//    - `every DURATION TEXT` writes TEXT every DURATION from the time of the line before, for as
//      long as the container runs, `{n}` in TEXT counting 1, 2, 3, …; lines after it are unused.
//    A line whose duration does not parse is taken as TEXT.
//
// Lines carry the time they were written; a log holds only the lines written by the time it is
// read (the server's clock, fake or real), so a follower sees them appear as the clock moves.
// At most kMaxLogLines lines are kept per container instance (the oldest go, as a rotated log).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::fake {

using TimePoint = std::chrono::system_clock::time_point;

struct LogLine {
  TimePoint at;
  std::string text;  // without the line end
};

inline constexpr size_t kMaxLogLines = 100000;

// The annotation keys (see above).
inline constexpr char kLogAnnotation[] = "kubedouble.io/log";

// How long the program of `container` runs by itself: the sleeps of its `sh -c` script up to an
// `exit` or its end; zero for anything else (the control plane's kubelet lets a Job's container
// run at least this long before it exits 0).
std::chrono::nanoseconds ProgramRunTime(const nlohmann::json& container);

// The lines container `container` (its spec: name, image, command, args, env) of `pod` wrote in
// the instance that started at `started`, up to and including `until` (and, with `after`, only
// those written after it), in time order.
std::vector<LogLine> ContainerLogLines(const nlohmann::json& pod, const nlohmann::json& container,
                                       TimePoint started, TimePoint until,
                                       std::optional<TimePoint> after = std::nullopt);

// "2026-01-02T03:04:05.000000000Z": the timestamp the kubelet puts before a line (timestamps=true).
std::string LogTimestamp(TimePoint t);

}  // namespace kubedouble::fake
