// The API server's open TLS connections and what each is doing, so that connections that have
// not sent a whole request never keep a worker from a client that has.
//
// cpp-httplib gives each connection a worker thread from its first byte to its close, and the
// server has a bounded number of them (--max-connections plus the 429 slots, task_queue.h).
// Without more, a few thousand idle sockets or slowloris clients (a header byte now and then)
// hold every worker and no authenticated client is served. ConnectionSlots knows the phase of
// each connection and
//  - ends a connection that spends longer than the head timeout (32 s, kube-apiserver's
//    ReadHeaderTimeout) in its TLS handshake or in a request head;
//  - ends, when every worker is taken and a new connection waits (EvictOne), the connection that
//    has waited longest without a request being answered: handshakes and unfinished heads first,
//    then idle keep-alive connections. A request being answered is never ended.
// A connection is ended with shutdown(2): its worker's read returns, cpp-httplib closes it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace kubedouble::fake {

class ConnectionSlots {
 public:
  enum class Phase {
    kHandshake,  // accepted, TLS handshake under way
    kHead,       // a request's head (or a discarded body) is being read
    kActive,     // a request is being answered (its body read, its answer written)
    kIdle,       // keep-alive: waiting for the next request
  };
  using Id = uint64_t;
  using SteadyClock = std::chrono::steady_clock;

  explicit ConnectionSlots(std::chrono::milliseconds head_timeout = std::chrono::seconds(32));
  ~ConnectionSlots();
  ConnectionSlots(const ConnectionSlots&) = delete;
  ConnectionSlots& operator=(const ConnectionSlots&) = delete;

  // A connection on socket `fd` begins its handshake. Call Close before the socket is closed.
  Id Open(int fd);
  // The connection enters `phase`. kHead counts from the first byte of a request: entering it
  // from kHead again keeps the time.
  void Enter(Id id, Phase phase);
  // The connection's socket is about to be closed: it is never touched again.
  void Close(Id id);

  // Ends the connection that has waited longest without a request in progress; false when
  // every open connection is answering a request.
  bool EvictOne();
  // Ends every connection that is not answering a request (a stopping server): idle keep-alive
  // ones, handshakes and unfinished heads.
  void EndWaiting();

  // How many connections are in `phase` (tests, the journal).
  size_t Count(Phase phase) const;
  // How many connections were ended for their head timeout or to make room, since the start.
  uint64_t timed_out() const;
  uint64_t evicted() const;

 private:
  struct Conn {
    int fd;
    Phase phase;
    SteadyClock::time_point since;
    bool ended;
  };
  void Watch();
  void End(Conn& c);

  const std::chrono::milliseconds head_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<Id, Conn> conns_;
  Id next_ = 1;
  uint64_t timed_out_ = 0;
  uint64_t evicted_ = 0;
  bool stop_ = false;
  std::thread watchdog_;  // started with the first connection
};

}  // namespace kubedouble::fake
