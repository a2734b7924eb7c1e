// A task queue for cpp-httplib that grows with demand, with a limit on connections.
//
// cpp-httplib keeps one worker busy per open keep-alive connection, so a fixed pool of N threads
// lets N idle connections starve every new client. This queue starts a new worker whenever no
// worker is idle, and lets workers that stay idle for a while exit, so an idle server stays
// small. Every task is one connection (cpp-httplib enqueues nothing else):
//  - up to `max_connections` are served at once. A connection takes its place with its first
//    whole request head (OverLimit) and keeps it until it closes: sockets that never send a
//    request (idle, slowloris) take none;
//  - a connection that sends a request when every place is taken is answered 429 (with
//    Retry-After), so a client learns that the server is full — no hang. Workers are bounded at
//    `max_connections + reject_slots`;
//  - beyond both, a new connection waits in the queue, and the connection that has waited longest
//    without a request being answered (a handshake, an unfinished head, an idle keep-alive one)
//    is ended to make room for it (ConnectionSlots::EvictOne, connection_slots.h): a few thousand
//    idle or slowloris sockets never keep an authenticated client out.
// shutdown() ends the keep-alive wait of every connection between two requests, so that a
// stopping server does not wait out idle clients' keep-alive timeouts, while the requests in
// flight are answered.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kubedouble::fake {

class ConnectionSlots;

class GrowingTaskQueue : public httplib::TaskQueue {
 public:
  // `slots` (may be null: nothing is evicted or ended) must outlive the queue.
  explicit GrowingTaskQueue(ConnectionSlots* slots, size_t max_connections = 2048,
                            size_t reject_slots = 64,
                            std::chrono::seconds idle_exit = std::chrono::seconds(30));
  ~GrowingTaskQueue() override;

  void enqueue(std::function<void()> fn) override;
  // Ends the keep-alive wait of the connections between two requests (shuts down their read
  // side), runs every queued task, then joins every worker.
  void shutdown() override;

  // On a worker, when its connection's request head is whole: takes one of the max_connections
  // places for the connection if it has none yet; true when none is left (answer it 429).
  static bool OverLimit();

 private:
  void Work();

  ConnectionSlots* const slots_;
  const size_t max_connections_;
  const size_t max_threads_;
  const std::chrono::seconds idle_exit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;  // workers that left on their own, to join
  size_t idle_ = 0;
  size_t live_ = 0;
  size_t serving_ = 0;  // connections holding one of the max_connections places
  bool shutdown_ = false;
};

// The socket under a request's TLS session (-1 when there is none).
int ConnectionSocket(const httplib::Request& req);

// True when the peer of `fd` has closed its side or reset the connection (no waiting).
bool PeerHungUp(int fd);

}  // namespace kubedouble::fake
