// Inside HttpServer (see http_server.h): the server's state shared by the event loop
// (http_server.cpp), the HTTP/1.1 serving on workers (http1_handover.cpp), the parked answers
// (parked_answers.cpp) and the HTTP/2 hand-overs (http2_handover.cpp).
#pragma once

#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "alpn.h"
#include "connection.h"
#include "http2_session.h"
#include "http2_stream.h"
#include "kubedouble/net/http_server.h"
#include "parking.h"
#include "provider_calls.h"
#include "timer_queue.h"
#include "worker_pool.h"

namespace kubedouble::net {

namespace http1 {
struct Body;
}  // namespace http1

constexpr uint64_t kListenerId = 0;
constexpr uint64_t kWakeId = 1;
// A connection the loop reads: reported once, then listened for again only if the loop keeps it
// (a worker taking it over needs no system call to silence it).
constexpr uint32_t kWaitForBytes = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
// After its last answer, a connection drops what the client still sends for so long (closing a
// socket with unread bytes sends a reset, which can destroy the answer before it is read).
constexpr auto kDrainTime = std::chrono::milliseconds(500);
constexpr size_t kDrainBytes = 4 << 20;
// How long a worker waits for a keep-alive connection's next request before handing it back.
constexpr auto kKeepServing = std::chrono::milliseconds(2);
// How often a stopping server looks at what is left (ended streams, drained connections).
constexpr auto kStopSweep = std::chrono::milliseconds(10);
// Workers when HttpServerOptions::max_workers is 0 (see http_server.h).
constexpr size_t kDefaultWorkers = 32;
// Threads the pool may start while jobs wait for a worker (handlers that block: a fault's delay,
// an upgraded session, a followed log), beyond 64 more: one per connection served, up to so many
// (max_connections can be the whole open-file limit, far more threads than a process should run).
constexpr size_t kMaxWorkers = 4096;

// What a request knows of its connection: the TLS session and both ends.
inline void Identify(const Connection& conn, httplib::Request& req) {
  req.ssl = conn.ssl();
  req.remote_addr = conn.remote_ip;
  req.remote_port = conn.remote_port;
  req.local_addr = conn.local_ip;
  req.local_port = conn.local_port;
}

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions o, SSL_CTX* tls, Handler h, RefusedHook r)
      : options(Resolved(std::move(o))),
        ctx(tls),
        handler(std::move(h)),
        refused(std::move(r)),
        pool(options.max_workers != 0 ? options.max_workers : kDefaultWorkers,
             std::max(options.max_workers, std::min(options.max_connections, kMaxWorkers) + 64)) {
    if (ctx != nullptr) {
      SSL_CTX_up_ref(ctx);
      OfferProtocols(ctx, options.http2);
    }
  }
  // `o` with its defaults filled in (max_connections 0: what the open-file limit allows).
  static HttpServerOptions Resolved(HttpServerOptions o) {
    if (o.max_connections == 0) o.max_connections = ConnectionsTheFileLimitAllows();
    return o;
  }
  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    SSL_CTX_free(ctx);
  }

  // One event loop: its own thread and epoll. The first accepts for all, in turn (a connection
  // stays on its loop until it closes).
  struct Loop {
    explicit Loop(size_t i) : index(i) {}
    ~Loop() {
      if (epoll_fd >= 0) ::close(epoll_fd);
      if (wake_fd >= 0) ::close(wake_fd);
    }
    const size_t index;
    int epoll_fd = -1;
    int wake_fd = -1;
    std::thread thread;
    TimerQueue timers;            // of parked answers
    mutable std::mutex conns_mu;  // conns: changed by the loop only; read by counts()
    std::unordered_map<uint64_t, std::shared_ptr<Connection>> conns;
    std::mutex posted_mu;
    std::vector<uint64_t> posted;   // connections a worker closed, to forget
    std::vector<uint64_t> h2_news;  // HTTP/2 connections whose streams have news (Pump)
  };
  // The loop of a connection: its id is 2 + the loop's index + loops.size() * n.
  Loop& LoopOf(uint64_t id) { return *loops[(id - 2) % loops.size()]; }

  int Bind();
  // Serves `fd`, a socket bound and listening; returns its port (0 for a unix socket).
  int Listening(int fd);
  void Run(Loop& loop);
  void Stop();
  // HTTP/1.1, after an answer: kServe, the connection's next request is here already.
  enum class Next { kServe, kDone };
  // An HTTP/1.1 request whose head was read: its exchange and its body's framing.
  struct Http1Call {
    std::unique_ptr<Exchange> ex;
    std::shared_ptr<http1::Body> body;
    bool over = false;  // beyond max_connections
  };
  // On a worker: the requests of a connection whose head is whole, from `first` if given (its
  // handler already run when `handled`), until the connection goes back to the loop or ends.
  void Serve(const std::shared_ptr<Connection>& conn, std::shared_ptr<Http1Call> first = nullptr,
             bool handled = false);
  // On the loop: requests the caller answers at once (HttpServerOptions::answers_at_once)
  // answered here, with no worker, while their answers leave without waiting; any other is
  // handed to a worker (Serve).
  void ServeOnLoop(const std::shared_ptr<Connection>& conn);
  // A whole answer's `bytes` (HTTP/1.1) from `from` on, as many as the socket takes now; the
  // rest waits for EPOLLOUT (kWriting, the connection's `unsent`) and leaves from the loop with
  // no thread, as the client reads. Called by the loop (a quick answer, or writing on), or by a
  // worker (`wait`: its answer; the worker is free once this returns, whoever sends the rest).
  // Once all are sent, the connection goes on as after any answer (kServe: its next request is
  // here, for the caller to serve).
  Next SendOnLoop(const std::shared_ptr<Connection>& conn, std::string bytes, size_t from,
                  bool close, bool wait = false);
  // The next request of `conn` (its head whole), or false once refused (400, 414, 431, ...).
  bool NextCall(const std::shared_ptr<Connection>& conn, Http1Call& call);
  // After the handler: the answer written (or the upgrade's taker run, or the answer parked).
  Next Answer(const std::shared_ptr<Connection>& conn, Http1Call& call);
  // Whether the connection ends after the answer to `call`.
  bool Closes(const Http1Call& call) const;
  // HTTP/2: one stream's request, handled and answered, on a worker or (a quick one) the loop.
  void ServeStream(const std::shared_ptr<Connection>& conn,
                   const std::shared_ptr<http2::Stream>& stream, bool over);
  void ServeStreamOnLoop(const std::shared_ptr<Connection>& conn,
                         const std::shared_ptr<http2::Stream>& stream);
  std::unique_ptr<Exchange> StreamExchange(const std::shared_ptr<Connection>& conn,
                                           const std::shared_ptr<http2::Stream>& stream, bool over);
  // After the handler. `send`: the answer is sent at once (else handed, for the caller's
  // SendHanded).
  void AnswerStream(const std::shared_ptr<Connection>& conn,
                    const std::shared_ptr<http2::Stream>& stream, std::unique_ptr<Exchange> ex,
                    bool send);

  // A streamed answer that waits without a thread (exchange.h: StreamWaker): what it needs
  // between its provider's calls, owned by its wake-up while parked.
  struct Parked {
    std::shared_ptr<Connection> conn;
    std::shared_ptr<http2::Stream> stream;  // null over HTTP/1.1
    std::shared_ptr<Parking> parking;
    std::unique_ptr<ProviderCalls> calls;
    bool close = false;  // HTTP/1.1: the connection ends after the answer
  };
  // On a worker: hands the answer of `ex`'s chunked provider over to Pump; `ex` goes once the
  // answer's head is out (the provider, the waker and the hang-up callback stay).
  void StartParked(const std::shared_ptr<Connection>& conn,
                   const std::shared_ptr<http2::Stream>& stream, std::unique_ptr<Exchange> ex,
                   bool close);
  // On a worker: calls the provider until it goes idle (the answer parks, the worker leaves) or
  // the answer ends.
  void Pump(const std::shared_ptr<Parked>& p);
  void EndParked(const std::shared_ptr<Parked>& p, bool done);
  // HTTP/1.1, after an answer: what becomes of the connection (kServe: serve its next request
  // on this thread).
  // `wait`: for the next request a moment, on a worker (kKeepServing).
  Next AfterAnswer(const std::shared_ptr<Connection>& conn, bool close, bool written,
                   bool wait = true);

  const HttpServerOptions options;
  SSL_CTX* const ctx;
  const Handler handler;
  const RefusedHook refused;
  WorkerPool pool;
  int listen_fd = -1;
  int port = 0;
  std::vector<std::unique_ptr<Loop>> loops;
  uint64_t accepted = 0;  // by the first loop
  std::atomic<bool> accept_paused{false};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> places{0};

 private:
  // The first loop waits for new connections (`on`) or not (at the file limit).
  void ListenOn(bool on);
  void Accept();
  void OnEvent(const std::shared_ptr<Connection>& conn, uint32_t events);
  // Under conn->mu: reads what came; true when a head is whole for ServeOnLoop.
  bool ReadHead(const std::shared_ptr<Connection>& conn);
  // Under conn->mu: a head is whole. True: the loop serves it (ServeOnLoop, after mu is
  // released); false: handed to a worker.
  bool Dispatch(const std::shared_ptr<Connection>& conn);
  void Forget(uint64_t id);
  void Sweep(Loop& loop);
  // Whether `conn` may take one of max_connections places (or holds one); false: over the limit.
  bool TakePlace(Connection& conn);
  // Runs the handler; an exception becomes a 500.
  void RunHandler(Exchange& ex);
  // HTTP/2: the session of a connection whose handshake chose "h2", its streams handed to
  // workers, and what the loop does after each step (listen again, or close).
  void StartHttp2(const std::shared_ptr<Connection>& conn);
  bool DispatchStream(const std::shared_ptr<Connection>& conn,
                      const std::shared_ptr<http2::Stream>& stream);
  // Under the session's lock: listens again after a step (`ok`: the session goes on), or false
  // when the connection is over.
  bool Http2Listen(Connection& conn, bool ok);
  // On the loop: `step` on the session (its lock held), then listen again or forget.
  template <typename Step>
  void Http2Step(const std::shared_ptr<Connection>& conn, Step step) {
    bool goes_on;
    std::vector<std::shared_ptr<http2::Stream>> quick;
    {
      std::lock_guard lock(conn->h2->mu);
      goes_on = Http2Listen(*conn, step(*conn->h2));
      quick.swap(conn->h2_quick);
    }
    // Answered here in turn, no worker: their answers leave together.
    for (const auto& stream : quick) ServeStreamOnLoop(conn, stream);
    if (!goes_on) return Forget(conn->id());
    SendHanded(conn);
  }
  // After the session's lock was released: the answers workers handed meanwhile, sent unless
  // another thread holds the lock now (it sends them when it releases it).
  void SendHanded(const std::shared_ptr<Connection>& conn);
  void PostHttp2(uint64_t id) {
    Loop& loop = LoopOf(id);
    {
      std::lock_guard lock(loop.posted_mu);
      loop.h2_news.push_back(id);
    }
    Wake(loop);
  }
  void Wake(Loop& loop) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(loop.wake_fd, &one, sizeof one);
  }
  // From a worker: the connection is closed, the loop forgets it.
  void Post(uint64_t id) {
    Loop& loop = LoopOf(id);
    {
      std::lock_guard lock(loop.posted_mu);
      loop.posted.push_back(id);
    }
    Wake(loop);
  }
  // From a worker: the answer is written and the connection ends; the loop drops what the
  // client still sends for a moment, then closes.
  void Drain(const std::shared_ptr<Connection>& conn) {
    conn->EndWrites();
    {
      std::lock_guard lock(conn->mu);
      conn->state = Connection::State::kDraining;
      conn->since = Connection::Clock::now();
    }
    conn->Listen(EPOLLIN | EPOLLRDHUP);
  }
  void Refuse(const std::shared_ptr<Connection>& conn, const httplib::Request& req, int status,
              const std::string& answer) {
    if (refused) refused(req, status);  // journaled before the client can read the answer
    if (!answer.empty()) conn->Write(answer.data(), answer.size());
  }
};

}  // namespace kubedouble::net
