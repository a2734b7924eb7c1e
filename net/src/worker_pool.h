// The threads that run handlers: a worker is started when a job finds none free, up to
// `max_workers`; a worker idle for `idle_exit` leaves. Jobs beyond them wait in order.
//
// Bounded, yet no deadlock when handlers block for a while (a fault's delay, a slow body, a
// request to the server itself): when the oldest waiting job has waited `starved` and no worker
// is free, one more worker starts, up to `max_starved`; like every worker, they leave once idle for
// `idle_exit`. Unstick() looks for such a wait (the event loop calls it as it goes round), and so
// does every Submit().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace kubedouble::net {

class WorkerPool {
 public:
  using Clock = std::chrono::steady_clock;

  explicit WorkerPool(size_t max_workers, size_t max_starved = 0,
                      std::chrono::milliseconds starved = std::chrono::milliseconds(100),
                      std::chrono::seconds idle_exit = std::chrono::seconds(30));
  ~WorkerPool();  // Shutdown()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void Submit(std::function<void()> job);
  // Starts a worker beyond max_workers when the oldest job has waited too long (see above).
  void Unstick();
  // Runs every job submitted, then joins every worker.
  void Shutdown();
  size_t workers() const;

 private:
  void Work();
  // Under mu_: joins the workers that left on their own; starts one when `wanted`.
  void Grow(bool wanted);

  const size_t max_workers_;
  const size_t max_starved_;  // >= max_workers_
  const std::chrono::milliseconds starved_;
  const std::chrono::seconds idle_exit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Clock::time_point, std::function<void()>>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // workers that left on their own, to join
  size_t idle_ = 0;
  size_t live_ = 0;
  bool shutdown_ = false;
};

}  // namespace kubedouble::net
