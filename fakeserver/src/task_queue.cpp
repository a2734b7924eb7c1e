#include "task_queue.h"

#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>

namespace kubedouble::fake {

namespace {

struct WorkerState {
  GrowingTaskQueue* queue = nullptr;
  bool over_limit = false;
  int fd = -1;  // the noted connection
};
thread_local WorkerState t_worker;

// Both ends' addresses of a socket: tells a noted socket from a later one with the same fd.
std::string SocketId(int fd) {
  sockaddr_storage local{}, peer{};
  socklen_t ll = sizeof local, pl = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &ll) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(&local), ll) +
         std::string(reinterpret_cast<const char*>(&peer), pl);
}

}  // namespace

GrowingTaskQueue::GrowingTaskQueue(size_t max_connections, size_t reject_slots,
                                   std::chrono::seconds idle_exit)
    : max_connections_(max_connections == 0 ? 1 : max_connections),
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
  if (idle_ < jobs_.size() && live_ < max_threads_) {
    ++live_;
    threads_.emplace_back([this] { Work(); });
  }
  lock.unlock();
  cv_.notify_one();
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
    bool over = serving_ >= max_connections_;
    if (!over) ++serving_;
    lock.unlock();
    t_worker = {this, over, -1};
    fn();
    lock.lock();
    if (!over) --serving_;
    if (t_worker.fd >= 0) sockets_.erase(t_worker.fd);
    t_worker = {};
  }
}

bool GrowingTaskQueue::OverLimit() { return t_worker.over_limit; }

void GrowingTaskQueue::RequestStarted(int fd) {
  if (fd < 0 || t_worker.queue == nullptr) return;
  std::string id = t_worker.fd == fd ? "" : SocketId(fd);
  std::lock_guard lock(t_worker.queue->mu_);
  auto& sockets = t_worker.queue->sockets_;
  if (t_worker.fd != fd) {
    if (t_worker.fd >= 0) sockets.erase(t_worker.fd);
    t_worker.fd = fd;
    sockets[fd].id = std::move(id);
  }
  sockets[fd].busy = true;
}

void GrowingTaskQueue::RequestAnswered() {
  if (t_worker.fd < 0 || t_worker.queue == nullptr) return;
  std::lock_guard lock(t_worker.queue->mu_);
  auto it = t_worker.queue->sockets_.find(t_worker.fd);
  if (it != t_worker.queue->sockets_.end()) it->second.busy = false;
}

void GrowingTaskQueue::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    shutdown_ = true;
    threads.swap(threads_);
    exited_.clear();
    // A worker waiting for a keep-alive connection's next request wakes up to its end of file.
    // (Not one that is answering: cpp-httplib writes nothing to a socket that reads as closed.)
    for (const auto& [fd, socket] : sockets_) {
      if (!socket.busy && !socket.id.empty() && SocketId(fd) == socket.id) {
        ::shutdown(fd, SHUT_RD);
      }
    }
  }
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
