#include "ticker.h"

namespace kubedouble::fake {

ClockTicker::ClockTicker(ServerClock& clock, std::chrono::milliseconds period,
                         std::function<void()> task)
    : state_(std::make_shared<State>()) {
  state_->task = std::move(task);
  clock.OnAdvance([weak = std::weak_ptr<State>(state_)] {
    auto s = weak.lock();
    if (!s) return;
    std::lock_guard lock(s->mu);
    if (!s->stopping) s->task();
  });
  thread_ = std::thread([s = state_, period] {
    std::unique_lock lock(s->mu);
    while (!s->cv.wait_for(lock, period, [&] { return s->stopping; })) s->task();
  });
}

ClockTicker::~ClockTicker() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace kubedouble::fake
