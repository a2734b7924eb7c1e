// A task queue for cpp-httplib that grows with demand, with a limit on connections.
//
// cpp-httplib keeps one worker busy per open keep-alive connection, so a fixed pool of N threads
// lets N idle connections starve every new client. This queue starts a new worker whenever no
// worker is idle, and lets workers that stay idle for a while exit, so an idle server stays
// small. Every task is one connection (cpp-httplib enqueues nothing else):
//  - up to `max_connections` are served at once;
//  - the next `reject_slots` get a worker too, marked OverLimit(): the server answers their
//    requests 429 (with Retry-After), so a client learns that the server is full — no hang;
//  - beyond both, new connections wait in the queue (and in the kernel's listen backlog).
// shutdown() ends the keep-alive wait of every connection between two requests (as told by
// RequestStarted/RequestAnswered), so that a stopping server does not wait out idle clients'
// keep-alive timeouts, while the requests in flight are answered.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kubedouble::fake {

class GrowingTaskQueue : public httplib::TaskQueue {
 public:
  explicit GrowingTaskQueue(size_t max_connections = 2048, size_t reject_slots = 64,
                            std::chrono::seconds idle_exit = std::chrono::seconds(30));
  ~GrowingTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  // Ends the keep-alive wait of the connections between two requests (shuts down their read
  // side), runs every queued task, then joins every worker.
  void shutdown() override;

  // On a worker: true when its connection is beyond max_connections (answer it 429).
  static bool OverLimit();
  // On a worker: a request on the connection with socket `fd` is being answered ...
  static void RequestStarted(int fd);
  // ... and its answer was written: the connection waits for the next request.
  static void RequestAnswered();

 private:
  void Work();

  const size_t max_connections_;
  const size_t max_threads_;
  const std::chrono::seconds idle_exit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // workers that left on their own, to join
  struct Socket {
    std::string id;  // both ends' addresses
    bool busy = false;
  };
  std::map<int, Socket> sockets_;  // connections that had a request: fd -> state
  size_t idle_ = 0;
  size_t live_ = 0;
  size_t serving_ = 0;  // connections within max_connections
  bool shutdown_ = false;
};

// The socket under a request's TLS session (-1 when there is none).
int ConnectionSocket(const httplib::Request& req);

// True when the peer of `fd` has closed its side or reset the connection (no waiting).
bool PeerHungUp(int fd);

}  // namespace kubedouble::fake
