// The event loop (accepts, handshakes, heads, idle and draining connections, sweeps), limits
// and stop (see http_server.h). The server's state is in http_server_impl.h; the HTTP/1.1
// hand-over is in http1_handover.cpp, the parked answers in parked_answers.cpp and the HTTP/2
// hand-overs in http2_handover.cpp.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "answer.h"
#include "http1.h"
#include "http_server_impl.h"

namespace kubedouble::net {

namespace {

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

}  // namespace

size_t ConnectionsTheFileLimitAllows() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY) {
    files.rlim_cur = 1 << 20;  // no limit known: as many as Linux allows by default
  }
  return std::max<size_t>(1, static_cast<size_t>(files.rlim_cur) / 8 * 7);
}

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
  const size_t n =
      options.loops != 0 ? options.loops : std::max<size_t>(1, std::thread::hardware_concurrency());
  for (size_t i = 0; i < n; ++i) {
    auto loop = std::make_unique<Loop>(i);
    loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeId;
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->wake_fd, &ev);
    loops.push_back(std::move(loop));
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenerId;
  epoll_ctl(loops[0]->epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
  return port;
}

void HttpServer::Impl::ListenOn(bool on) {
  epoll_event ev{};
  ev.events = on ? uint32_t{EPOLLIN} : 0u;
  ev.data.u64 = kListenerId;
  epoll_ctl(loops[0]->epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
}

void HttpServer::Impl::Accept() {
  while (!stopping) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {  // until a connection closes
        accept_paused = true;
        ListenOn(false);
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
    // The loops take the connections in turn.
    Loop& loop = *loops[accepted % loops.size()];
    const uint64_t id = 2 + loop.index + loops.size() * (accepted++ / loops.size());
    auto conn = std::make_shared<Connection>(id, fd, ssl, options.io_timeout, loop.epoll_fd);
    Endpoint(fd, true, conn->remote_ip, conn->remote_port);
    Endpoint(fd, false, conn->local_ip, conn->local_port);
    conn->head_timing = true;  // the handshake and the first head share one deadline
    conn->head_started = conn->since;
    {
      std::lock_guard lock(loop.conns_mu);
      loop.conns.emplace(conn->id(), conn);
    }
    epoll_event ev{};
    ev.events = kWaitForBytes;
    ev.data.u64 = id;
    epoll_ctl(loop.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
}

void HttpServer::Impl::Forget(uint64_t id) {
  std::shared_ptr<Connection> conn;
  {
    Loop& loop = LoopOf(id);
    std::lock_guard lock(loop.conns_mu);
    auto it = loop.conns.find(id);
    if (it == loop.conns.end()) return;
    conn = std::move(it->second);
    loop.conns.erase(it);
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
  if (accept_paused && !stopping && accept_paused.exchange(false)) ListenOn(true);
}

bool HttpServer::Impl::Dispatch(const std::shared_ptr<Connection>& conn) {
  conn->state = Connection::State::kActive;
  conn->head_timing = false;
  conn->hang_up_armed = false;  // the loop does not listen while a worker has it, unless asked
  if (options.answers_at_once) return true;  // the loop looks at the request first
  pool.Submit([this, conn] { Serve(conn); });
  return false;
}

// On the loop: a connection waiting for a head has bytes (or an end).
bool HttpServer::Impl::ReadHead(const std::shared_ptr<Connection>& conn) {
  const Connection::Fill f = conn->ReadNow();
  if (!conn->head_timing && (conn->InHead() || !conn->input().empty())) {
    conn->head_timing = true;
    conn->head_started = Connection::Clock::now();
  }
  if (conn->HeadReady()) return Dispatch(conn);
  if (f != Connection::Fill::kEnd) return false;
  if (conn->rejected()) {  // the framing refused the head: its answer, then the end
    const std::string& answer = conn->rejection();
    int status = answer.size() > 12 ? std::atoi(answer.c_str() + 9) : 0;
    Refuse(conn, httplib::Request{}, status, answer);
    conn->EndWrites();
    conn->state = Connection::State::kDraining;
    conn->since = Connection::Clock::now();
    conn->Listen(EPOLLIN | EPOLLRDHUP);
    return false;
  }
  conn->state = Connection::State::kClosed;
  return false;
}

void HttpServer::Impl::OnEvent(const std::shared_ptr<Connection>& conn, uint32_t events) {
  using State = Connection::State;
  std::unique_lock lock(conn->mu);
  bool serve = false;  // a head is whole: ServeOnLoop
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
      serve = ReadHead(conn);  // the first request may have come with the handshake's end
      break;
    }
    case State::kIdle:
      serve = ReadHead(conn);
      break;
    case State::kActive:
    case State::kUpgraded:
      lock.unlock();
      conn->FireHangUp();  // the client went away (EPOLLRDHUP, HUP or ERR)
      return;
    case State::kWriting: {
      std::string unsent = std::move(conn->unsent);
      const size_t from = conn->unsent_pos;
      const bool close = conn->close_after;
      lock.unlock();
      if (SendOnLoop(conn, std::move(unsent), from, close) == Next::kServe) ServeOnLoop(conn);
      return;
    }
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
  if (serve) ServeOnLoop(conn);
}

void HttpServer::Impl::Sweep(Loop& loop) {
  using State = Connection::State;
  const auto now = Connection::Clock::now();
  std::vector<uint64_t> ended;
  std::vector<std::shared_ptr<Connection>> gone;  // to be told of their hang-up, locks released
  std::vector<std::shared_ptr<Connection>> h2;    // HTTP/2 connections, looked at locks released
  {
    std::lock_guard lock(loop.conns_mu);
    for (auto& [id, conn] : loop.conns) {
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
      } else if (conn->state == State::kWriting && now - conn->since > options.io_timeout) {
        ended.push_back(id);  // the client took none of its answer for so long
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

void HttpServer::Impl::Run(Loop& loop) {
  pthread_setname_np(pthread_self(), "kd-loop");
  const auto period = std::clamp<std::chrono::milliseconds>(
      options.head_timeout / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  auto next_sweep = Connection::Clock::now() + period;
  std::vector<epoll_event> events(256);
  bool listening = loop.index == 0;  // the first loop accepts for all
  bool swept_at_stop = false;
  for (;;) {
    if (stopping && listening) {
      epoll_ctl(loop.epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      ::close(listen_fd);
      listen_fd = -1;
      listening = false;
    }
    if (stopping && !swept_at_stop) {
      swept_at_stop = true;
      Sweep(loop);  // idle connections, handshakes and heads end at once
    }
    if (stopping) {
      std::lock_guard lock(loop.conns_mu);
      if (loop.conns.empty()) break;
    }
    // While stopping, connections answered in flight close at the next sweep: sweep often.
    if (stopping) next_sweep = std::min(next_sweep, Connection::Clock::now() + kStopSweep);
    auto until = next_sweep;
    if (auto timer = loop.timers.Next()) until = std::min(until, *timer);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - Connection::Clock::now() + std::chrono::microseconds(999));
    const int n = epoll_wait(loop.epoll_fd, events.data(), static_cast<int>(events.size()),
                             std::max<int>(0, static_cast<int>(wait.count())));
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenerId) {
        if (listening) Accept();
        continue;
      }
      if (id == kWakeId) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = ::read(loop.wake_fd, &count, sizeof count);
        std::vector<uint64_t> ids;
        std::vector<uint64_t> news;
        {
          std::lock_guard lock(loop.posted_mu);
          ids.swap(loop.posted);
          news.swap(loop.h2_news);
        }
        for (uint64_t closed : ids) Forget(closed);
        for (uint64_t with_news : news) {
          std::shared_ptr<Connection> conn;
          {
            std::lock_guard lock(loop.conns_mu);
            auto it = loop.conns.find(with_news);
            if (it == loop.conns.end()) continue;
            conn = it->second;
          }
          if (conn->h2) Http2Step(conn, [](http2::Session& s) { return s.Pump(); });
        }
        continue;
      }
      std::shared_ptr<Connection> conn;
      {
        std::lock_guard lock(loop.conns_mu);
        auto it = loop.conns.find(id);
        if (it == loop.conns.end()) continue;
        conn = it->second;
      }
      OnEvent(conn, events[i].events);
    }
    loop.timers.RunDue(Connection::Clock::now());
    pool.Unstick();
    if (Connection::Clock::now() >= next_sweep) {
      Sweep(loop);
      next_sweep = Connection::Clock::now() + period;
    }
  }
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

void HttpServer::Impl::Stop() {
  if (stopping.exchange(true)) return;
  for (auto& loop : loops) {
    if (!loop->thread.joinable()) continue;
    Wake(*loop);
    loop->thread.join();
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
  if (impl_->loops.empty()) Bind();
  for (auto& loop : impl_->loops) {
    Impl::Loop* l = loop.get();
    l->thread = std::thread([this, l] { impl_->Run(*l); });
  }
}

void HttpServer::Stop() { impl_->Stop(); }

int HttpServer::port() const { return impl_->port; }

HttpServer::Counts HttpServer::counts() const {
  Counts c;
  for (const auto& loop : impl_->loops) {
    std::lock_guard lock(loop->conns_mu);
    c.connections += loop->conns.size();
    for (const auto& [id, conn] : loop->conns) {
      std::lock_guard l(conn->mu);
      switch (conn->state) {
        case Connection::State::kActive:
        case Connection::State::kWriting:
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
