// Inside HttpServer (see http_server.h): the server's state shared by the event loop
// (http_server.cpp), the HTTP/1.1 serving on workers (http1_handover.cpp), the parked answers
// (parked_answers.cpp) and the HTTP/2 hand-overs (http2_handover.cpp).
#pragma once

#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <unistd.h>

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
      : options(std::move(o)),
        ctx(tls),
        handler(std::move(h)),
        refused(std::move(r)),
        pool(options.max_workers != 0 ? options.max_workers : kDefaultWorkers,
             std::max(options.max_workers, options.max_connections + 64)) {
    if (ctx != nullptr) {
      SSL_CTX_up_ref(ctx);
      OfferProtocols(ctx, options.http2);
    }
  }
  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    SSL_CTX_free(ctx);
  }

  int Bind();
  // Serves `fd`, a socket bound and listening; returns its port (0 for a unix socket).
  int Listening(int fd);
  void Loop();
  void Stop();
  void Serve(const std::shared_ptr<Connection>& conn);
  // `send`: the answer is sent at once (else handed, for the caller's SendHanded).
  void ServeStream(const std::shared_ptr<Connection>& conn,
                   const std::shared_ptr<http2::Stream>& stream, bool over, bool send = true);

  // A streamed answer that waits without a thread (exchange.h: StreamWaker): what it needs
  // between its provider's calls, owned by its wake-up while parked.
  struct Parked {
    std::shared_ptr<Connection> conn;
    std::shared_ptr<http2::Stream> stream;  // null over HTTP/1.1
    std::unique_ptr<Exchange> ex;
    std::shared_ptr<Parking> parking;
    std::unique_ptr<ProviderCalls> calls;
    bool close = false;  // HTTP/1.1: the connection ends after the answer
  };
  // On a worker: hands the answer of `ex`'s chunked provider over to Pump.
  void StartParked(const std::shared_ptr<Connection>& conn,
                   const std::shared_ptr<http2::Stream>& stream, std::unique_ptr<Exchange> ex,
                   bool close);
  // On a worker: calls the provider until it goes idle (the answer parks, the worker leaves) or
  // the answer ends.
  void Pump(const std::shared_ptr<Parked>& p);
  void EndParked(const std::shared_ptr<Parked>& p, bool done);
  // HTTP/1.1, after an answer: what becomes of the connection. kServe: its next request is
  // here already, serve it on this worker.
  enum class Next { kServe, kDone };
  Next AfterAnswer(const std::shared_ptr<Connection>& conn, bool close, bool written);

  const HttpServerOptions options;
  SSL_CTX* const ctx;
  const Handler handler;
  const RefusedHook refused;
  WorkerPool pool;
  TimerQueue timers;  // of parked answers
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  int port = 0;
  std::thread loop;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> places{0};
  uint64_t next_id = 2;
  bool accept_paused = false;

  mutable std::mutex conns_mu;  // conns: changed by the loop only; read by counts()
  std::unordered_map<uint64_t, std::shared_ptr<Connection>> conns;
  std::mutex posted_mu;
  std::vector<uint64_t> posted;   // connections a worker closed, to forget
  std::vector<uint64_t> h2_news;  // HTTP/2 connections whose streams have news (Pump)

 private:
  void Watch(Connection& c, uint32_t events, int op = EPOLL_CTL_MOD) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id();
    epoll_ctl(epoll_fd, op, c.fd(), &ev);
  }
  void Accept();
  void OnEvent(const std::shared_ptr<Connection>& conn, uint32_t events);
  void ReadHead(const std::shared_ptr<Connection>& conn);
  void Dispatch(const std::shared_ptr<Connection>& conn);
  void Forget(uint64_t id);
  void Sweep();
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
    if (!quick.empty()) {  // one worker answers them in turn, and sends the answers together
      pool.Submit([this, conn, quick = std::move(quick)] {
        for (const auto& stream : quick) ServeStream(conn, stream, false, false);
        SendHanded(conn);
      });
    }
    if (!goes_on) return Forget(conn->id());
    SendHanded(conn);
  }
  // After the session's lock was released: the answers workers handed meanwhile, sent unless
  // another thread holds the lock now (it sends them when it releases it).
  void SendHanded(const std::shared_ptr<Connection>& conn);
  void PostHttp2(uint64_t id) {
    {
      std::lock_guard lock(posted_mu);
      h2_news.push_back(id);
    }
    Wake();
  }
  void Wake() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd, &one, sizeof one);
  }
  // From a worker: the connection is closed, the loop forgets it.
  void Post(uint64_t id) {
    {
      std::lock_guard lock(posted_mu);
      posted.push_back(id);
    }
    Wake();
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
