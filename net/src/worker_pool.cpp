// A bounded pool of handler threads that grows with demand (see worker_pool.h).
#include "worker_pool.h"

#include <pthread.h>

#include <algorithm>

namespace kubedouble::net {

WorkerPool::WorkerPool(size_t max_workers, size_t max_starved, std::chrono::milliseconds starved,
                       std::chrono::seconds idle_exit)
    : max_workers_(std::max<size_t>(max_workers, 1)),
      max_starved_(std::max(max_starved, max_workers_)),
      starved_(starved),
      idle_exit_(idle_exit) {}

WorkerPool::~WorkerPool() { Shutdown(); }

void WorkerPool::Grow(bool wanted) {
  for (auto id : exited_) {  // reap the workers that left on their own
    auto it = std::find_if(threads_.begin(), threads_.end(),
                           [&](const std::thread& t) { return t.get_id() == id; });
    if (it != threads_.end()) {
      it->join();
      threads_.erase(it);
    }
  }
  exited_.clear();
  if (wanted && !shutdown_) {
    ++live_;
    threads_.emplace_back([this] { Work(); });
  }
}

void WorkerPool::Submit(std::function<void()> job) {
  std::unique_lock lock(mu_);
  const auto now = Clock::now();
  jobs_.emplace_back(now, std::move(job));
  const bool short_of_workers = idle_ < jobs_.size();
  Grow(short_of_workers &&
       (live_ < max_workers_ || (live_ < max_starved_ && now - jobs_.front().first >= starved_)));
  lock.unlock();
  cv_.notify_one();
}

void WorkerPool::Unstick() {
  std::lock_guard lock(mu_);
  if (jobs_.empty() || idle_ >= jobs_.size() || live_ >= max_starved_) return;
  if (Clock::now() - jobs_.front().first < starved_) return;
  Grow(true);
}

void WorkerPool::Work() {
  pthread_setname_np(pthread_self(), "kd-worker");
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    const bool got = cv_.wait_for(lock, idle_exit_, [&] { return !jobs_.empty() || shutdown_; });
    --idle_;
    if (jobs_.empty()) {  // idle too long, or shut down with nothing left
      --live_;
      if (!got) exited_.push_back(std::this_thread::get_id());
      return;
    }
    auto job = std::move(jobs_.front().second);
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;
    lock.lock();
  }
}

void WorkerPool::Shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    threads.swap(threads_);
    exited_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

size_t WorkerPool::workers() const {
  std::lock_guard lock(mu_);
  return live_;
}

}  // namespace kubedouble::net
