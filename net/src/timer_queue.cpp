// Timers of parked answers (see timer_queue.h).
#include "timer_queue.h"

#include <utility>
#include <vector>

namespace kubedouble::net {

bool TimerQueue::Add(Clock::time_point when, std::weak_ptr<Parking> parking) {
  std::lock_guard lock(mu_);
  const bool earliest = timers_.empty() || when < timers_.begin()->first;
  timers_.emplace(when, std::move(parking));
  return earliest;
}

std::optional<TimerQueue::Clock::time_point> TimerQueue::Next() const {
  std::lock_guard lock(mu_);
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void TimerQueue::RunDue(Clock::time_point now) {
  std::vector<std::pair<Clock::time_point, std::weak_ptr<Parking>>> due;
  {
    std::lock_guard lock(mu_);
    auto end = timers_.upper_bound(now);
    for (auto it = timers_.begin(); it != end; ++it) due.emplace_back(it->first, it->second);
    timers_.erase(timers_.begin(), end);
  }
  for (auto& [when, weak] : due) {
    if (auto parking = weak.lock()) parking->TimerDue(when);
  }
}

void TimerQueue::RunAll() { RunDue(Clock::time_point::max()); }

size_t TimerQueue::size() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

}  // namespace kubedouble::net
