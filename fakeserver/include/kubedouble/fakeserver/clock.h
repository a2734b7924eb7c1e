// kubedouble::fake::ServerClock — the fake API server's sense of time.
//
// A real clock follows the system clock. A fake clock starts at the real "now" and then stands
// still: it moves only when told (Advance, or POST /__kubedouble/clock). Everything that reads
// the time in the server follows it — creationTimestamps, token issue and expiry checks
// (service-account JWTs and TokenRequest tokens) and the rotation of the state folder's
// service-account token — so a test can jump past an expiry in a millisecond.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace kubedouble::fake {

class ServerClock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  explicit ServerClock(bool fake = false);
  // "real" or "fake"; throws std::invalid_argument naming the value otherwise.
  static ServerClock FromName(const std::string& name);

  TimePoint Now() const;
  bool fake() const { return fake_; }
  // Moves a fake clock forward by `by` and returns the new time. Throws std::logic_error for a
  // real clock and std::invalid_argument for a negative duration.
  TimePoint Advance(std::chrono::nanoseconds by);
  // `fn` runs (on the advancing thread) after every Advance.
  void OnAdvance(std::function<void()> fn);

  ServerClock(const ServerClock& other);
  ServerClock& operator=(const ServerClock&) = delete;

 private:
  bool fake_;
  mutable std::mutex mu_;
  TimePoint fake_now_;
  std::vector<std::function<void()>> listeners_;
};

// A Go duration (base/duration.h): "90s", "1h30m", "1.5h", "250ms", "2m", "10us"; a bare number
// means seconds. Throws std::invalid_argument saying what is wrong with `text` in Go's words
// (`time: unknown unit "d" in duration "5d"`); a negative duration is refused too.
std::chrono::nanoseconds ParseDuration(const std::string& text);
// The inverse, as short as possible: "1h30m", "45s", "250ms".
std::string FormatDuration(std::chrono::nanoseconds d);

}  // namespace kubedouble::fake
