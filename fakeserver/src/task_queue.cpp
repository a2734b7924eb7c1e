#include "task_queue.h"

#include <algorithm>

namespace kubedouble::fake {

GrowingTaskQueue::GrowingTaskQueue(size_t max_threads, std::chrono::seconds idle_exit)
    : max_threads_(max_threads == 0 ? 1 : max_threads), idle_exit_(idle_exit) {}

GrowingTaskQueue::~GrowingTaskQueue() { shutdown(); }

void GrowingTaskQueue::enqueue(std::function<void()> fn) {
  std::unique_lock lock(mu_);
  jobs_.push_back(std::move(fn));
  // Reap the workers that exited on their own.
  for (auto id : exited_) {
    auto it = std::find_if(threads_.begin(), threads_.end(),
                           [&](const std::thread& t) { return t.get_id() == id; });
    if (it != threads_.end()) {
      it->join();
      threads_.erase(it);
    }
  }
  exited_.clear();
  if (idle_ < jobs_.size() && live_ < max_threads_) {
    ++live_;
    threads_.emplace_back([this] { Work(); });
  }
  lock.unlock();
  cv_.notify_one();
}

void GrowingTaskQueue::Work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    bool got = cv_.wait_for(lock, idle_exit_, [&] { return !jobs_.empty() || shutdown_; });
    --idle_;
    if (!got) {  // idle too long: leave
      --live_;
      exited_.push_back(std::this_thread::get_id());
      return;
    }
    if (jobs_.empty()) {  // shut down and nothing left to do
      --live_;
      return;
    }
    auto fn = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    fn();
    lock.lock();
  }
}

void GrowingTaskQueue::shutdown() {
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

}  // namespace kubedouble::fake
