// The threads that run handlers: a worker is started when a job finds none free, up to a bound;
// a worker idle for `idle_exit` leaves. Jobs beyond the bound wait in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kubedouble::net {

class WorkerPool {
 public:
  explicit WorkerPool(size_t max_workers,
                      std::chrono::seconds idle_exit = std::chrono::seconds(30));
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> job);
  // Runs every job submitted, then joins every worker.
  void Shutdown();
  size_t workers() const;

 private:
  void Work();

  const size_t max_workers_;
  const std::chrono::seconds idle_exit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // workers that left on their own, to join
  size_t idle_ = 0;
  size_t live_ = 0;
  bool shutdown_ = false;
};

}  // namespace kubedouble::net
