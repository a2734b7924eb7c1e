// A task queue for cpp-httplib that grows with demand.
//
// cpp-httplib keeps one worker busy per open keep-alive connection, so a fixed pool of N threads
// lets N idle connections starve every new client. This queue starts a new worker whenever no
// worker is idle (up to `max_threads`), and lets workers that stay idle for a while exit, so an
// idle server stays small.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kubedouble::fake {

class GrowingTaskQueue : public httplib::TaskQueue {
 public:
  explicit GrowingTaskQueue(size_t max_threads = 4096,
                            std::chrono::seconds idle_exit = std::chrono::seconds(30));
  ~GrowingTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;  // runs every queued task, then joins every worker

 private:
  void Work();

  const size_t max_threads_;
  const std::chrono::seconds idle_exit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // workers that left on their own, to join
  size_t idle_ = 0;
  size_t live_ = 0;
  bool shutdown_ = false;
};

}  // namespace kubedouble::fake
