// The event loop, the hand-over of connections to workers and back, limits and stop
// (see http_server.h), and the parked answers (a watch waiting without a thread). Over 600
// lines because the loop, both protocols' hand-overs, the parked answers and Stop() share the
// Impl's connection table, its lock and its worker pool; the way to split it is an internal
// header for Impl, with the parked answers (StartParked, Pump, EndParked) and the HTTP/2
// hand-overs (DispatchStream, ServeStream, SendHanded) in files of their own.
#include "kubedouble/net/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "alpn.h"
#include "answer.h"
#include "connection.h"
#include "http1.h"
#include "http2_session.h"
#include "http2_stream.h"
#include "parking.h"
#include "provider_calls.h"
#include "timer_queue.h"
#include "worker_pool.h"

namespace kubedouble::net {

namespace {

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

bool IsIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

// "ip" and port of the peer or the local end of `fd`.
void Endpoint(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  int rc = peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len)
                : getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  if (rc != 0 || (sa.ss_family != AF_INET && sa.ss_family != AF_INET6)) return;  // unix: none
  char host[INET6_ADDRSTRLEN] = "";
  if (sa.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&sa);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&sa);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  }
  ip = host;
}

// What a request knows of its connection: the TLS session and both ends.
void Identify(const Connection& conn, httplib::Request& req) {
  req.ssl = conn.ssl();
  req.remote_addr = conn.remote_ip;
  req.remote_port = conn.remote_port;
  req.local_addr = conn.local_ip;
  req.local_port = conn.local_port;
}

bool EqualsIgnoreCase(const std::string& a, const char* b) { return strcasecmp(a.c_str(), b) == 0; }

// The bytes after 101 Switching Protocols, over the connection.
class ConnectionStream : public UpgradedStream {
 public:
  explicit ConnectionStream(Connection& c) : c_(c) {}
  ssize_t Read(char* data, size_t size) override { return c_.ReadSome(data, size); }
  bool Write(const char* data, size_t size) override { return c_.Write(data, size); }
  void Close() override { c_.Shutdown(); }

 private:
  Connection& c_;
};

}  // namespace

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

int HttpServer::Impl::Bind() {
  if (options.listener >= 0) return Listening(options.listener);
  const int family = IsIpv6(options.address) ? AF_INET6 : AF_INET;
  const std::string where = options.address + ":" + std::to_string(options.port);
  // The kernel's reason travels as the error's code (a caller may word it its own way).
  auto failed = [&] {
    throw std::system_error(errno, std::generic_category(), "cannot listen on " + where);
  };
  listen_fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd < 0) failed();
  int yes = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);  // never SO_REUSEPORT
  int rc;
  if (family == AF_INET6) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(static_cast<uint16_t>(options.port));
    if (inet_pton(AF_INET6, options.address.c_str(), &sa.sin6_addr) != 1) {
      throw std::runtime_error("cannot listen on " + where + ": not an IP address");
    }
    rc = ::bind(listen_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(options.port));
    if (inet_pton(AF_INET, options.address.c_str(), &sa.sin_addr) != 1) {
      throw std::runtime_error("cannot listen on " + where + ": not an IP address");
    }
    rc = ::bind(listen_fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
  if (rc != 0 || ::listen(listen_fd, SOMAXCONN) != 0) failed();
  return Listening(listen_fd);
}

int HttpServer::Impl::Listening(int fd) {
  listen_fd = fd;
  fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
  std::string ip;
  Endpoint(listen_fd, false, ip, port);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerId;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
  ev.data.u64 = kWakeId;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev);
  return port;
}

void HttpServer::Impl::Accept() {
  for (;;) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {  // until a connection closes
        accept_paused = true;
        epoll_event ev{};
        ev.data.u64 = kListenerId;
        epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
      }
      return;
    }
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    SSL* ssl = nullptr;  // none on a plain-HTTP listener
    if (ctx != nullptr) {
      ssl = SSL_new(ctx);
      if (ssl == nullptr) {
        ::close(fd);
        continue;
      }
      SSL_set_fd(ssl, fd);
      SSL_set_accept_state(ssl);
      SSL_set_read_ahead(ssl, 1);  // whatever the socket holds in one read (SSL_has_pending)
      // A connection waiting (idle, or a parked watch) keeps no TLS record buffer (measured:
      // 16 KB a connection, 240 MB of 15,000).
      SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_RELEASE_BUFFERS);
    }
    auto conn = std::make_shared<Connection>(next_id++, fd, ssl, options.io_timeout, epoll_fd);
    Endpoint(fd, true, conn->remote_ip, conn->remote_port);
    Endpoint(fd, false, conn->local_ip, conn->local_port);
    conn->head_timing = true;  // the handshake and the first head share one deadline
    conn->head_started = conn->since;
    {
      std::lock_guard lock(conns_mu);
      conns.emplace(conn->id(), conn);
    }
    Watch(*conn, kWaitForBytes, EPOLL_CTL_ADD);
  }
}

void HttpServer::Impl::Forget(uint64_t id) {
  std::shared_ptr<Connection> conn;
  {
    std::lock_guard lock(conns_mu);
    auto it = conns.find(id);
    if (it == conns.end()) return;
    conn = std::move(it->second);
    conns.erase(it);
  }
  conn->Close();
  if (conn->h2) {  // its streams' handlers hear of the end
    std::lock_guard session(conn->h2->mu);
    conn->h2->Abort();
  }
  {
    std::lock_guard lock(conn->mu);
    conn->state = Connection::State::kClosed;
    if (conn->has_place) {
      conn->has_place = false;
      --places;
    }
  }
  if (accept_paused && !stopping) {
    accept_paused = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenerId;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
  }
}

void HttpServer::Impl::Dispatch(const std::shared_ptr<Connection>& conn) {
  conn->state = Connection::State::kActive;
  conn->head_timing = false;
  conn->hang_up_armed = false;  // the loop does not listen while a worker has it, unless asked
  pool.Submit([this, conn] { Serve(conn); });
}

// On the loop: a connection waiting for a head has bytes (or an end).
void HttpServer::Impl::ReadHead(const std::shared_ptr<Connection>& conn) {
  const Connection::Fill f = conn->ReadNow();
  if (!conn->head_timing && (conn->InHead() || !conn->input().empty())) {
    conn->head_timing = true;
    conn->head_started = Connection::Clock::now();
  }
  if (conn->HeadReady()) return Dispatch(conn);
  if (f != Connection::Fill::kEnd) return;
  if (conn->rejected()) {  // the framing refused the head: its answer, then the end
    const std::string& answer = conn->rejection();
    int status = answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0;
    Refuse(conn, httplib::Request{}, status, answer);
    conn->EndWrites();
    conn->state = Connection::State::kDraining;
    conn->since = Connection::Clock::now();
    conn->Listen(EPOLLIN | EPOLLRDHUP);
    return;
  }
  conn->state = Connection::State::kClosed;
}

void HttpServer::Impl::OnEvent(const std::shared_ptr<Connection>& conn, uint32_t events) {
  using State = Connection::State;
  std::unique_lock lock(conn->mu);
  switch (conn->state) {
    case State::kHandshake: {
      const int rc = conn->Handshake();
      if (rc < 0) {
        conn->state = State::kClosed;
        break;
      }
      if (rc == 0) {
        conn->Listen(kWaitForBytes);
        return;
      }
      if (NegotiatedHttp2(conn->ssl())) {
        conn->state = State::kHttp2;
        conn->head_timing = false;
        lock.unlock();
        return StartHttp2(conn);
      }
      conn->state = State::kIdle;
      ReadHead(conn);  // the first request may have come with the handshake's end
      break;
    }
    case State::kIdle:
      ReadHead(conn);
      break;
    case State::kActive:
    case State::kUpgraded:
      lock.unlock();
      conn->FireHangUp();  // the client went away (EPOLLRDHUP, HUP or ERR)
      return;
    case State::kHttp2:
      lock.unlock();
      return Http2Step(conn, [](http2::Session& s) { return s.OnEvent(); });
    case State::kDraining: {
      char sink[16 * 1024];
      for (;;) {
        const ssize_t n = ::recv(conn->fd(), sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0) {
          conn->drained += static_cast<size_t>(n);
          if (conn->drained > kDrainBytes) {
            conn->state = State::kClosed;
            break;
          }
          continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || (events & EPOLLHUP)) {
          conn->state = State::kClosed;
        }
        break;
      }
      break;
    }
    case State::kClosed:
      break;
  }
  const bool closed = conn->state == State::kClosed;
  if (conn->state == State::kIdle) conn->Listen(kWaitForBytes);  // a head not whole yet
  lock.unlock();
  if (closed) Forget(conn->id());
}

void HttpServer::Impl::Sweep() {
  using State = Connection::State;
  const auto now = Connection::Clock::now();
  std::vector<uint64_t> ended;
  std::vector<std::shared_ptr<Connection>> gone;  // to be told of their hang-up, locks released
  std::vector<std::shared_ptr<Connection>> h2;    // HTTP/2 connections, looked at locks released
  {
    std::lock_guard lock(conns_mu);
    for (auto& [id, conn] : conns) {
      std::lock_guard c(conn->mu);
      if (conn->state == State::kHttp2) {
        h2.push_back(conn);
        continue;
      }
      const bool waiting = conn->state == State::kHandshake || conn->state == State::kIdle;
      if (stopping && conn->state == State::kUpgraded) conn->Shutdown();  // its taker's reads end
      // Someone waits for the client to go: asked of the socket itself as well, so that no
      // interleaving of the one-shot arming, reads and TLS read-ahead can lose the signal for
      // longer than a sweep. At a stop, a stream ends as kube-apiserver ends its open watches.
      if (conn->state == State::kActive && conn->hang_up_armed && !conn->hung_up &&
          ((stopping && conn->streaming) || conn->PeerGone())) {
        gone.push_back(conn);
      }
      if (stopping && (waiting || conn->state == State::kDraining)) {
        ended.push_back(id);
      } else if (waiting && conn->head_timing && now - conn->head_started > options.head_timeout) {
        ended.push_back(id);
      } else if (conn->state == State::kIdle && !conn->head_timing &&
                 now - conn->since > options.idle_timeout) {
        ended.push_back(id);
      } else if (conn->state == State::kDraining && now - conn->since > kDrainTime) {
        ended.push_back(id);
      }
    }
  }
  for (auto& conn : gone) conn->FireHangUp();
  for (uint64_t id : ended) Forget(id);
  for (auto& conn : h2) {
    bool idle;
    {
      http2::Session& session = *conn->h2;
      std::lock_guard lock(session.mu);
      idle = session.streams() == 0 && now - session.idle_since() > options.idle_timeout;
    }
    if (!stopping && idle) {
      Forget(conn->id());
      continue;
    }
    Http2Step(conn, [this](http2::Session& session) {
      if (stopping) {  // GOAWAY; open watches end as over HTTP/1.1
        session.Shutdown();
        session.HangUpStreaming();
      }
      return session.Pump();
    });
  }
}

void HttpServer::Impl::Loop() {
  pthread_setname_np(pthread_self(), "kd-loop");
  const auto period = std::clamp<std::chrono::milliseconds>(
      options.head_timeout / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  auto next_sweep = Connection::Clock::now() + period;
  std::vector<epoll_event> events(256);
  bool listening = true;
  for (;;) {
    if (stopping && listening) {
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      ::close(listen_fd);
      listen_fd = -1;
      listening = false;
      Sweep();  // idle connections, handshakes and heads end at once
    }
    if (stopping) {
      std::lock_guard lock(conns_mu);
      if (conns.empty()) break;
    }
    // While stopping, connections answered in flight close at the next sweep: sweep often.
    if (stopping) next_sweep = std::min(next_sweep, Connection::Clock::now() + kStopSweep);
    auto until = next_sweep;
    if (auto timer = timers.Next()) until = std::min(until, *timer);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - Connection::Clock::now() + std::chrono::microseconds(999));
    const int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                             std::max<int>(0, static_cast<int>(wait.count())));
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenerId) {
        if (listening) Accept();
        continue;
      }
      if (id == kWakeId) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(wake_fd, &count, sizeof count);
        std::vector<uint64_t> ids;
        std::vector<uint64_t> news;
        {
          std::lock_guard lock(posted_mu);
          ids.swap(posted);
          news.swap(h2_news);
        }
        for (uint64_t closed : ids) Forget(closed);
        for (uint64_t with_news : news) {
          std::shared_ptr<Connection> conn;
          {
            std::lock_guard lock(conns_mu);
            auto it = conns.find(with_news);
            if (it == conns.end()) continue;
            conn = it->second;
          }
          if (conn->h2) Http2Step(conn, [](http2::Session& s) { return s.Pump(); });
        }
        continue;
      }
      std::shared_ptr<Connection> conn;
      {
        std::lock_guard lock(conns_mu);
        auto it = conns.find(id);
        if (it == conns.end()) continue;
        conn = it->second;
      }
      OnEvent(conn, events[i].events);
    }
    timers.RunDue(Connection::Clock::now());
    pool.Unstick();
    if (Connection::Clock::now() >= next_sweep) {
      Sweep();
      next_sweep = Connection::Clock::now() + period;
    }
  }
}

// On a worker: the requests of a connection whose head is whole, until it goes back to the loop.
void HttpServer::Impl::Serve(const std::shared_ptr<Connection>& conn) {
  for (;;) {
    httplib::Request req;
    const int bad = http1::ParseHead(*conn, req);
    if (bad != 0) {
      Refuse(conn, req, bad, http1::Refusal(bad));
      return Drain(conn);
    }
    Identify(*conn, req);
    const bool over = !TakePlace(*conn);
    auto ex = std::make_unique<Exchange>(conn, over);
    ex->request = std::move(req);
    auto body = std::make_shared<http1::Body>(http1::BodyOf(ex->request));
    Connection* c = conn.get();
    const size_t max_body = options.max_body;
    ex->SetBody(body->present, std::make_unique<httplib::ContentReader>(
                                   [c, body, max_body](const httplib::ContentReceiver& receiver) {
                                     return http1::ReadBody(*c, *body, max_body, receiver);
                                   },
                                   [](const httplib::MultipartContentHeader&,
                                      const httplib::ContentReceiver&) { return false; }));
    RunHandler(*ex);
    if (ex->upgraded() && !conn->ended()) {
      if (ex->response.status == -1) ex->response.status = 101;
      const std::string head = http1::Head(ex->response);
      {
        std::lock_guard lock(conn->mu);
        conn->state = Connection::State::kUpgraded;
      }
      if (conn->Write(head.data(), head.size())) {
        ConnectionStream stream(*conn);
        ex->taker()(stream);
      }
      conn->Shutdown();
      return Post(conn->id());
    }
    if (conn->ended()) return Post(conn->id());  // reset or closed by the handler
    const std::string& version = ex->request.version;
    const std::string connection = ex->request.get_header_value("Connection");
    bool close = stopping || over || !body->done || EqualsIgnoreCase(connection, "close") ||
                 (version == "HTTP/1.0" && !EqualsIgnoreCase(connection, "keep-alive")) ||
                 EqualsIgnoreCase(ex->response.get_header_value("Connection"), "close");
    if (ex->response.content_provider_) {  // a stream stops when its client goes
      std::lock_guard lock(conn->mu);
      conn->streaming = true;
      conn->ListenForHangUp();
    }
    if (ex->waker() && ex->response.content_provider_ &&
        ex->response.is_chunked_content_provider_ && ex->request.method != "HEAD") {
      return StartParked(conn, nullptr, std::move(ex), close);  // waits without this thread
    }
    const bool written = http1::WriteAnswer(*conn, ex->request, ex->response, close,
                                            [this] { return stopping.load(); });
    ex.reset();
    if (AfterAnswer(conn, close, written) == Next::kDone) return;
  }
}

HttpServer::Impl::Next HttpServer::Impl::AfterAnswer(const std::shared_ptr<Connection>& conn,
                                                     bool close, bool written) {
  bool hung_up;
  {
    std::lock_guard lock(conn->mu);
    conn->on_hang_up.clear();
    conn->streaming = false;
    hung_up = conn->hung_up;
  }
  if (!written || conn->ended()) {
    conn->Close();
    Post(conn->id());
    return Next::kDone;
  }
  if (close || hung_up) {
    Drain(conn);
    return Next::kDone;
  }
  if (conn->HeadReady()) return Next::kServe;  // the client sent its next request already
  // A busy client sends its next request within moments: waited for here, it needs no trip
  // through the loop (a wake-up and a hand-over less per request).
  if (!conn->rejected() && conn->WaitBriefly(kKeepServing) &&
      conn->ReadNow() != Connection::Fill::kEnd && conn->HeadReady()) {
    return Next::kServe;
  }
  if (conn->rejected()) {
    const std::string& answer = conn->rejection();
    Refuse(conn, httplib::Request{}, answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0,
           answer);
    Drain(conn);
    return Next::kDone;
  }
  // Back to the loop, to wait for the next head.
  conn->ReleaseInput();
  std::lock_guard lock(conn->mu);
  conn->state = Connection::State::kIdle;
  conn->since = Connection::Clock::now();
  conn->head_timing = !conn->input().empty();
  conn->head_started = conn->since;
  conn->Listen(kWaitForBytes);
  return Next::kDone;
}

void HttpServer::Impl::StartParked(const std::shared_ptr<Connection>& conn,
                                   const std::shared_ptr<http2::Stream>& stream,
                                   std::unique_ptr<Exchange> ex, bool close) {
  auto p = std::make_shared<Parked>();
  p->conn = conn;
  p->stream = stream;
  p->close = close;
  p->parking = std::static_pointer_cast<Parking>(ex->waker());
  httplib::Response& res = ex->response;
  Connection* c = conn.get();
  http2::Stream* s = stream.get();
  std::unique_ptr<httplib::detail::compressor> compressor;
  ProviderCalls::Out out;
  ProviderCalls::End end;
  ProviderCalls::Writable writable;
  if (stream) {
    compressor = PrepareAnswer(ex->request, res);
    stream->SetStreaming();
    stream->Respond(res.status, res.headers, true);
    out = [s](const char* data, size_t n) { return s->Write(data, n); };
    end = [s] {
      s->End();
      return true;
    };
    writable = [s] { return !s->closed() && !s->hung_up(); };
  } else {
    bool written = false;
    compressor = http1::WriteStreamHead(*conn, ex->request, res, close, written);
    if (!written) {
      ex.reset();
      AfterAnswer(conn, close, false);
      return;
    }
    out = [c](const char* data, size_t n) {
      const std::string chunk = http1::Chunk(data, n);
      return c->Write(chunk.data(), chunk.size());
    };
    end = [c] { return c->Write(http1::kLastChunk.data(), http1::kLastChunk.size()); };
    writable = [c] { return !c->ended() && !c->HungUp(); };
  }
  // While the answer waits, neither the head's headers (sent) nor the request's input are kept:
  // about 1 KB a parked watch.
  httplib::Headers().swap(res.headers);
  if (!stream) conn->ReleaseInput();
  p->calls =
      std::make_unique<ProviderCalls>(std::move(res.content_provider_), std::move(compressor),
                                      std::move(out), std::move(end), std::move(writable));
  p->ex = std::move(ex);
  // While parked, the answer is owned by its wake-up (until EndParked lets go).
  p->parking->Attach([this, p] { pool.Submit([this, p] { Pump(p); }); },
                     [this](Parking::Clock::time_point when, std::weak_ptr<Parking> parking) {
                       if (timers.Add(when, std::move(parking))) Wake();
                     });
  std::weak_ptr<Parking> weak = p->parking;
  p->ex->OnHangUp([weak] {  // a gone client wakes its answer, which then ends
    if (auto parking = weak.lock()) parking->Wake();
  });
  Pump(p);
}

void HttpServer::Impl::Pump(const std::shared_ptr<Parked>& p) {
  using Step = ProviderCalls::Step;
  for (;;) {
    p->parking->BeginCall();
    Step step;
    try {
      step = p->calls->Call();
    } catch (...) {
      step = Step::kFailed;
    }
    if (step == Step::kWrote) continue;
    if (step == Step::kQuiet) {
      const bool gone = p->stream ? p->stream->hung_up() || p->stream->closed()
                                  : p->conn->ended() || p->conn->HungUp();
      if (!gone) {
        if (p->parking->Park()) return;  // no thread until a wake-up
        continue;
      }
      step = Step::kFailed;  // idle with its client gone: the answer ends
    }
    return EndParked(p, step == Step::kDone);
  }
}

void HttpServer::Impl::EndParked(const std::shared_ptr<Parked>& p, bool done) {
  p->parking->Attach({}, {});  // the wake-up lets go of the answer
  p->calls.reset();            // the provider (and what it holds: a watch) goes now
  p->ex.reset();
  const std::shared_ptr<Connection> conn = p->conn;
  if (p->stream) {
    // A provider that gives up ends its answer, as a Go handler's return ends its stream.
    if (!p->stream->closed()) p->stream->End();
    p->stream->ForgetHangUp();
    if (conn->ended()) Post(conn->id());
    return;
  }
  if (AfterAnswer(conn, p->close, done) == Next::kServe) Serve(conn);
}

bool HttpServer::Impl::TakePlace(Connection& conn) {
  std::lock_guard lock(conn.mu);
  if (conn.has_place) return true;
  size_t n = places.load();
  bool over;
  do {
    over = n >= options.max_connections;
  } while (!over && !places.compare_exchange_weak(n, n + 1));
  conn.has_place = !over;
  return !over;
}

void HttpServer::Impl::RunHandler(Exchange& ex) {
  try {
    handler(ex);
  } catch (const std::exception& e) {
    ex.response = httplib::Response();
    ex.response.status = 500;
    ex.response.set_content(std::string("internal error: ") + e.what(), "text/plain");
  } catch (...) {
    ex.response = httplib::Response();
    ex.response.status = 500;
    ex.response.set_content("internal error", "text/plain");
  }
}

// On the loop: the handshake chose "h2".
void HttpServer::Impl::StartHttp2(const std::shared_ptr<Connection>& conn) {
  http2::Session::Hooks hooks;
  std::weak_ptr<Connection> weak = conn;
  hooks.dispatch = [this, weak](const std::shared_ptr<http2::Stream>& stream) {
    auto c = weak.lock();
    return c ? DispatchStream(c, stream) : true;
  };
  const uint64_t id = conn->id();
  hooks.wake = [this, id] { PostHttp2(id); };
  hooks.refused = refused;
  auto session = std::make_unique<http2::Session>(*conn, std::move(hooks), options.max_body,
                                                  options.io_timeout);
  {
    std::lock_guard lock(conn->mu);
    conn->h2 = std::move(session);
    conn->since = Connection::Clock::now();
  }
  // The client's preface may have come with the handshake's end.
  Http2Step(conn, [](http2::Session& s) { return s.Start() && s.OnEvent(); });
}

bool HttpServer::Impl::Http2Listen(Connection& conn, bool ok) {
  if (!ok || conn.h2->Over()) return false;
  conn.Listen(EPOLLIN | EPOLLRDHUP | EPOLLONESHOT |
              (conn.h2->WantsWrite() ? uint32_t{EPOLLOUT} : 0u));
  return true;
}

// On the loop: a stream's request head is whole.
bool HttpServer::Impl::DispatchStream(const std::shared_ptr<Connection>& conn,
                                      const std::shared_ptr<http2::Stream>& stream) {
  Identify(*conn, stream->request);
  const bool over = !TakePlace(*conn);
  if (!over && !stream->has_body && options.answers_at_once &&
      options.answers_at_once(stream->request)) {
    conn->h2_quick.push_back(stream);
    return false;
  }
  pool.Submit([this, conn, stream, over] { ServeStream(conn, stream, over); });
  return over;
}

// On a worker: one HTTP/2 stream's request, handled and answered.
void HttpServer::Impl::ServeStream(const std::shared_ptr<Connection>& conn,
                                   const std::shared_ptr<http2::Stream>& stream, bool over,
                                   bool send) {
  auto ex = std::make_unique<Exchange>(conn, stream, over);
  ex->request = std::move(stream->request);
  http2::Stream* s = stream.get();
  const size_t max_body = options.max_body;
  ex->SetBody(stream->has_body, std::make_unique<httplib::ContentReader>(
                                    [s, max_body](const httplib::ContentReceiver& receiver) {
                                      return s->ReadBody(max_body, receiver);
                                    },
                                    [](const httplib::MultipartContentHeader&,
                                       const httplib::ContentReceiver&) { return false; }));
  RunHandler(*ex);
  if (conn->ended()) return Post(conn->id());  // reset or closed by the handler (a fault)
  bool whole = false;
  if (ex->upgraded()) {
    stream->Reset(NGHTTP2_HTTP_1_1_REQUIRED);  // 101 is HTTP/1.1's
  } else if (ex->waker() && ex->response.content_provider_ &&
             ex->response.is_chunked_content_provider_ && ex->request.method != "HEAD") {
    return StartParked(conn, stream, std::move(ex), false);  // waits without this thread
  } else if (!http2::WriteAnswer(
                 *stream, ex->request, ex->response, [this] { return stopping.load(); }, whole)) {
    stream->Reset(NGHTTP2_INTERNAL_ERROR);
  }
  ex.reset();
  stream->ForgetHangUp();  // the handler's callbacks die with it
  if (whole) {             // sent from here (or by the session's holder): no wake-up of the loop
    conn->h2->Hand(stream->id());
    if (send) SendHanded(conn);
  }
  if (conn->ended()) Post(conn->id());
}

void HttpServer::Impl::SendHanded(const std::shared_ptr<Connection>& conn) {
  http2::Session& session = *conn->h2;
  while (session.Handed() && session.mu.try_lock()) {
    const bool goes_on = Http2Listen(*conn, session.Pump());
    session.mu.unlock();
    if (!goes_on) return Post(conn->id());  // the loop forgets it
  }
}

void HttpServer::Impl::Stop() {
  if (stopping.exchange(true)) return;
  if (loop.joinable()) {
    Wake();
    loop.join();
  }
  pool.Shutdown();
}

HttpServer::HttpServer(HttpServerOptions options, SSL_CTX* tls, Handler handler,
                       RefusedHook refused)
    : impl_(
          std::make_unique<Impl>(std::move(options), tls, std::move(handler), std::move(refused))) {
  // A write to a connection the client has closed must fail, not end the process.
  signal(SIGPIPE, SIG_IGN);
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::Bind() { return impl_->Bind(); }

void HttpServer::Start() {
  if (impl_->epoll_fd < 0) Bind();
  impl_->loop = std::thread([this] { impl_->Loop(); });
}

void HttpServer::Stop() { impl_->Stop(); }

int HttpServer::port() const { return impl_->port; }

HttpServer::Counts HttpServer::counts() const {
  Counts c;
  {
    std::lock_guard lock(impl_->conns_mu);
    c.connections = impl_->conns.size();
    for (const auto& [id, conn] : impl_->conns) {
      std::lock_guard l(conn->mu);
      switch (conn->state) {
        case Connection::State::kActive:
          ++c.active;
          break;
        case Connection::State::kUpgraded:
          ++c.upgraded;
          break;
        case Connection::State::kHttp2: {
          ++c.http2;
          const size_t streams = conn->h2 ? conn->h2->streams() : 0;
          c.streams += streams;
          ++(streams > 0 ? c.active : c.idle);
          break;
        }
        default:
          ++c.idle;
      }
    }
  }
  c.workers = impl_->pool.workers();
  return c;
}

}  // namespace kubedouble::net
