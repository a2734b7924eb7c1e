// The event loop's timers for parked answers (parking.h): each due time wakes its answer once.
// Add() from any thread; the loop sleeps until Next() and then runs RunDue().
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "parking.h"

namespace kubedouble::net {

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // True when `when` is now the earliest (the loop is to wake up and sleep less).
  bool Add(Clock::time_point when, std::weak_ptr<Parking> parking);
  std::optional<Clock::time_point> Next() const;
  // Wakes every answer whose time has come (outside the lock).
  void RunDue(Clock::time_point now);
  // Wakes every answer at once (the server stops).
  void RunAll();
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::multimap<Clock::time_point, std::weak_ptr<Parking>> timers_;
};

}  // namespace kubedouble::net
