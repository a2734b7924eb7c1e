// The server's side of a StreamWaker (exchange.h): whether a streamed answer runs on a worker or
// is parked without one, and the hand-over between the two without losing a wake-up.
//
// A worker calls the provider between BeginCall() and Park(). Park() parks the answer when the
// provider went idle and no Wake() came meanwhile; otherwise the worker calls again. A Wake() of
// a parked answer unparks it and runs `resume` (which gives it to a worker); its `until` is handed
// to `timer` once, as the loop's wake-up at that time.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "kubedouble/net/exchange.h"

namespace kubedouble::net {

class Parking : public StreamWaker, public std::enable_shared_from_this<Parking> {
 public:
  using Clock = std::chrono::steady_clock;
  using Timer = std::function<void(Clock::time_point when, std::weak_ptr<Parking> parking)>;

  // Before the first call: how a parked answer goes back to a worker, and how it asks the loop to
  // wake it at a time.
  void Attach(std::function<void()> resume, Timer timer);

  void Wake() override;
  void Idle(Clock::time_point until) override;

  // On the worker, around one call of the provider.
  void BeginCall();
  // After a call that wrote nothing: true when the answer is parked now (the worker leaves it);
  // false when it is to be called again (not idle, or woken meanwhile).
  bool Park();
  // The loop's timer for `when` is due.
  void TimerDue(Clock::time_point when);

 private:
  std::mutex mu_;
  std::function<void()> resume_;
  Timer timer_;
  bool parked_ = false;
  bool woken_ = false;
  bool idle_ = false;
  Clock::time_point until_{};
  std::optional<Clock::time_point> armed_;  // the earliest timer asked of the loop, not yet due
};

}  // namespace kubedouble::net
