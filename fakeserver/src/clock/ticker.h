// Runs a task whenever the server's clock may have passed a deadline: every `period` of real
// time, and at once (on the advancing thread) after every advance of a fake clock, so a test that
// moves the clock sees what falls due before its request returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "kubedouble/fakeserver/clock.h"

namespace kubedouble::fake {

class ClockTicker {
 public:
  ClockTicker(ServerClock& clock, std::chrono::milliseconds period, std::function<void()> task);
  ~ClockTicker();  // stops; `task` never runs after it returns
  ClockTicker(const ClockTicker&) = delete;
  ClockTicker& operator=(const ClockTicker&) = delete;

 private:
  // Shared with the clock's advance listener, which may outlive the ticker.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    std::function<void()> task;
  };
  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace kubedouble::fake
