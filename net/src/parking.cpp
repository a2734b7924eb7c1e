// A streamed answer parked between its provider's calls (see parking.h).
#include "parking.h"

namespace kubedouble::net {

void Parking::Attach(std::function<void()> resume, Timer timer) {
  std::lock_guard lock(mu_);
  resume_ = std::move(resume);
  timer_ = std::move(timer);
}

void Parking::Wake() {
  std::function<void()> resume;
  {
    std::lock_guard lock(mu_);
    if (!parked_ || !resume_) {
      woken_ = true;  // during a call, or before the first: called again
      return;
    }
    parked_ = false;
    resume = resume_;
  }
  resume();
}

void Parking::Idle(Clock::time_point until) {
  std::lock_guard lock(mu_);
  idle_ = true;
  until_ = until;
}

void Parking::BeginCall() {
  std::lock_guard lock(mu_);
  woken_ = false;  // the call sees whatever came before it
  idle_ = false;
}

bool Parking::Park() {
  Timer timer;
  Clock::time_point when;
  {
    std::lock_guard lock(mu_);
    if (!idle_ || woken_) return false;
    parked_ = true;
    // One timer at a time: a later `until` waits for the armed one (which wakes the provider
    // early, harmlessly); an earlier one is armed beside it.
    if (armed_ && *armed_ <= until_) return true;
    armed_ = until_;
    timer = timer_;
    when = until_;
  }
  if (timer) timer(when, weak_from_this());
  return true;
}

void Parking::TimerDue(Clock::time_point when) {
  {
    std::lock_guard lock(mu_);
    if (armed_ && *armed_ == when) armed_.reset();
  }
  Wake();
}

}  // namespace kubedouble::net
