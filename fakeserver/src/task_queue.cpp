#include "task_queue.h"

#include "connection_slots.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>

namespace kubedouble::fake {

namespace {

// The connection a worker runs: its queue, and whether it holds one of the max_connections places.
struct WorkerState {
  GrowingTaskQueue* queue = nullptr;
  bool serving = false;
};
thread_local WorkerState t_worker;

}  // namespace

GrowingTaskQueue::GrowingTaskQueue(ConnectionSlots* slots, size_t max_connections,
                                   size_t reject_slots, std::chrono::seconds idle_exit)
    : slots_(slots),
      max_connections_(max_connections == 0 ? 1 : max_connections),
      max_threads_(max_connections_ + reject_slots),
      idle_exit_(idle_exit) {}

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
  bool evict = false;
  if (idle_ < jobs_.size()) {
    if (live_ < max_threads_) {
      ++live_;
      threads_.emplace_back([this] { Work(); });
    } else {
      evict = slots_ != nullptr;  // every worker is taken: make room for the new connection
    }
  }
  lock.unlock();
  cv_.notify_one();
  if (evict) slots_->EvictOne();
}

void GrowingTaskQueue::Work() {
  pthread_setname_np(pthread_self(), "kd-conn");  // one per connection, as `top -H` shows
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
    t_worker = {this, false};
    fn();
    lock.lock();
    if (t_worker.serving) --serving_;
    t_worker = {};
  }
}

bool GrowingTaskQueue::OverLimit() {
  WorkerState& w = t_worker;
  if (w.queue == nullptr || w.serving) return false;
  std::lock_guard lock(w.queue->mu_);
  if (w.queue->serving_ >= w.queue->max_connections_) return true;
  ++w.queue->serving_;
  w.serving = true;
  return false;
}

void GrowingTaskQueue::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    threads.swap(threads_);
    exited_.clear();
  }
  // A worker waiting for a request (a keep-alive connection's next one, or the first) wakes up to
  // its end of file. (Not one that is answering: cpp-httplib writes nothing to a socket that
  // reads as closed.)
  if (slots_ != nullptr) slots_->EndWaiting();
  cv_.notify_all();
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

int ConnectionSocket(const httplib::Request& req) { return req.ssl ? SSL_get_fd(req.ssl) : -1; }

bool PeerHungUp(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace kubedouble::fake
