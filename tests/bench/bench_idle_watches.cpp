// `kubedouble serve` holding 10,000 idle keep-alive TLS connections and 5,000 open watches (each
// on its own TLS connection): its threads (/proc/PID/status Threads) and resident memory, a fresh
// request's latency (connect, TLS handshake, GET, whole answer) while it holds them, and the time
// from a write until every watcher has read its event (p50, p99, max over five writes).
//
// Goals (issue 19): at most 64 threads, under 150 MB, a fresh request under 100 ms, the write
// reaching every watcher (p99) under 1 s. The client is this process: one thread, non-blocking
// sockets on epoll, so the watchers' figures include reading 5,000 TLS sockets in turn.
//
// The reference, in the same run once kubedouble has stopped: nginx (nginx_reference.h) holding
// as many idle keep-alive TLS connections (15,000), each having read GET /version's bytes as
// kubedouble served them, on the same certificate and key. Memory per connection is the growth of
// resident memory (VmRSS; nginx: master and workers summed) from before the connections were
// opened to while they are held, divided by how many are held; kubedouble's is also split into
// watches (opened first) and idle connections (opened next).
//
// Loopback only, bounded: every phase has a deadline, the whole run stays within about three
// minutes, and both servers are stopped at the end whatever happened. Both processes raise their
// open-file limit to the hard one (the server does so itself at start; nginx is told to); with a
// hard limit too low for the connections, the figures say how many were held.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/proc_status.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "nginx_reference.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How many of each: 10,000 and 5,000, or $KD_BENCH_IDLE and $KD_BENCH_WATCHES (to see what
// each costs alone).
int Count(const char* env, int fallback) {
  const char* v = std::getenv(env);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}
const int kIdle = Count("KD_BENCH_IDLE", 10000);
const int kWatches = Count("KD_BENCH_WATCHES", 5000);
constexpr int kWrites = 5;
constexpr int kFreshRequests = 10;
constexpr int kInFlight = 256;  // handshakes under way at once
constexpr auto kOpenDeadline = std::chrono::seconds(60);
constexpr auto kEventDeadline = std::chrono::seconds(10);
// One name, not created before the writes: a watch's first event is the first write's.
constexpr char kWatchTarget[] =
    "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dbench-probe";

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void RaiseFileLimit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

std::string Request(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& type = {}, const std::string& body = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                  token + "\r\n";
  if (!body.empty()) {
    r += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

// Whether `in` holds one whole answer with a Content-Length body (the only kind read here besides
// a watch's head).
bool WholeAnswer(const std::string& in) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string head = in.substr(0, end);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t cl = head.find("content-length:");
  const size_t length =
      cl == std::string::npos ? 0 : std::strtoul(head.c_str() + cl + 15, nullptr, 10);
  return in.size() >= end + 4 + length;
}

// One client connection, non-blocking, driven by the epoll loop below.
struct Conn {
  enum class Phase { kConnecting, kHandshake, kAsked, kIdle, kWatching, kDead };
  int fd = -1;
  SSL* ssl = nullptr;
  Phase phase = Phase::kConnecting;
  bool watch = false;
  std::string in;
  int events = 0;             // watch events read ("}\n" at the end of each JSON line)
  char last = 0;              // the last byte read (a line end may straddle two reads)
  Clock::time_point reached;  // when `events` reached the awaited count
  ~Conn() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

class Client {
 public:
  Client(int port, const std::string& ca, std::string token)
      : port_(port), token_(std::move(token)), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ~Client() {
    conns_.clear();
    ::close(epoll_);
    SSL_CTX_free(ctx_);
  }

  // Opens `n` connections asking `target` (idle: GET /version, read whole; watch: the watch's
  // head read), at most kInFlight at once. Returns how many got there.
  int Open(int n, bool watch) {
    const auto deadline = Clock::now() + kOpenDeadline;
    int started = 0, done = 0, failed = 0;
    while (done + failed < n && Clock::now() < deadline) {
      while (started < n && started - done - failed < kInFlight) {
        if (!Start(watch)) {
          ++failed;
          ++started;
          continue;
        }
        ++started;
      }
      Poll(20, [&](Conn&, bool ok) { ++(ok ? done : failed); });
    }
    return done;
  }

  // Runs the loop until every open watcher has read `events` events or the deadline passes;
  // then the time each took from `t0` (ms).
  std::vector<double> AwaitEvents(int events, Clock::time_point t0) {
    const auto deadline = Clock::now() + kEventDeadline;
    auto behind = [&] {
      int n = 0;
      for (auto& c : conns_)
        n += c->watch && c->phase == Conn::Phase::kWatching && c->events < events;
      return n;
    };
    awaited_ = events;
    while (behind() > 0 && Clock::now() < deadline) Poll(20, [](Conn&, bool) {});
    std::vector<double> ms;
    for (auto& c : conns_) {
      if (c->watch && c->phase == Conn::Phase::kWatching && c->events >= events) {
        ms.push_back(Ms(c->reached - t0));
      }
    }
    return ms;
  }

  int Holding(bool watch) {
    Poll(0, [](Conn&, bool) {});  // notice connections the server closed
    int n = 0;
    for (auto& c : conns_) {
      n += c->watch == watch && c->phase == (watch ? Conn::Phase::kWatching : Conn::Phase::kIdle);
    }
    return n;
  }

  // A fresh connection, blocking: connect, handshake, `request`, the whole answer (its body in
  // `body` when given). Its duration (ms) and status (0: failed).
  std::pair<double, int> Fresh(const std::string& request, std::string* body = nullptr) {
    const auto t0 = Clock::now();
    Conn c;
    c.fd = Dial(false);
    if (c.fd < 0) return {Ms(Clock::now() - t0), 0};
    c.ssl = SSL_new(ctx_);
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_tlsext_host_name(c.ssl, "localhost");
    timeval tv{10, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (SSL_connect(c.ssl) != 1 ||
        SSL_write(c.ssl, request.data(), static_cast<int>(request.size())) <= 0) {
      ERR_clear_error();
      return {Ms(Clock::now() - t0), 0};
    }
    char buf[16384];
    while (!WholeAnswer(c.in)) {
      const int n = SSL_read(c.ssl, buf, sizeof buf);
      if (n <= 0) break;
      c.in.append(buf, static_cast<size_t>(n));
    }
    ERR_clear_error();
    const int status = c.in.size() > 12 ? std::atoi(c.in.c_str() + 9) : 0;
    if (const size_t end = c.in.find("\r\n\r\n"); body != nullptr && end != std::string::npos) {
      *body = c.in.substr(end + 4);
    }
    return {Ms(Clock::now() - t0), status};
  }

 private:
  int Dial(bool nonblocking) {
    const int fd =
        ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port_));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  bool Start(bool watch) {
    auto c = std::make_unique<Conn>();
    c->watch = watch;
    c->fd = Dial(true);
    if (c->fd < 0) return false;
    c->ssl = SSL_new(ctx_);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    SSL_set_connect_state(c->ssl);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
    ev.data.ptr = c.get();
    epoll_ctl(epoll_, EPOLL_CTL_ADD, c->fd, &ev);
    conns_.push_back(std::move(c));
    return true;
  }

  void Kill(Conn& c) {
    c.phase = Conn::Phase::kDead;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  }

  // One round of the loop; `settled(conn, ok)` for a connection that got where it was going or
  // failed on the way.
  template <typename Settled>
  void Poll(int wait_ms, Settled settled) {
    epoll_event events[512];
    const int n = epoll_wait(epoll_, events, 512, wait_ms);
    for (int i = 0; i < n; ++i)
      Step(*static_cast<Conn*>(events[i].data.ptr), events[i].events, settled);
  }

  template <typename Settled>
  void Step(Conn& c, uint32_t events, Settled& settled) {
    using Phase = Conn::Phase;
    if (c.phase == Phase::kDead) return;
    if (c.phase == Phase::kConnecting || c.phase == Phase::kHandshake) {
      c.phase = Phase::kHandshake;
      const int rc = SSL_do_handshake(c.ssl);
      if (rc != 1) {
        const int err = SSL_get_error(c.ssl, rc);
        ERR_clear_error();
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          Kill(c);
          settled(c, false);
        }
        return;
      }
      const std::string req = Request("GET", c.watch ? kWatchTarget : "/version", token_);
      if (SSL_write(c.ssl, req.data(), static_cast<int>(req.size())) <= 0) {  // fits the buffer
        ERR_clear_error();
        Kill(c);
        settled(c, false);
        return;
      }
      c.phase = Phase::kAsked;
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.ptr = &c;
      epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    }
    char buf[16384];
    for (;;) {
      const int n = SSL_read(c.ssl, buf, sizeof buf);
      if (n <= 0) {
        const int err = SSL_get_error(c.ssl, n);
        ERR_clear_error();
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) break;
        const bool asked = c.phase == Phase::kAsked;
        Kill(c);
        if (asked) settled(c, false);
        return;
      }
      if (c.phase == Phase::kAsked) {
        c.in.append(buf, static_cast<size_t>(n));
        const size_t end = c.in.find("\r\n\r\n");
        if (c.watch ? end != std::string::npos : WholeAnswer(c.in)) {
          const bool ok = c.in.rfind("HTTP/1.1 200", 0) == 0;
          c.phase = ok ? (c.watch ? Phase::kWatching : Phase::kIdle) : Phase::kDead;
          if (!ok) Kill(c);
          settled(c, ok);
          if (ok && c.watch) CountEvents(c, c.in.data() + end + 4, c.in.size() - end - 4);
          c.in.clear();
          c.in.shrink_to_fit();
        }
        continue;
      }
      if (c.watch) CountEvents(c, buf, static_cast<size_t>(n));
    }
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 && c.phase != Phase::kDead) Kill(c);
  }

  void CountEvents(Conn& c, const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (data[i] == '\n' && c.last == '}' && ++c.events == awaited_) c.reached = Clock::now();
      c.last = data[i];
    }
  }

  const int port_;
  const std::string token_;
  const int epoll_;
  SSL_CTX* ctx_;
  std::vector<std::unique_ptr<Conn>> conns_;
  int awaited_ = 0;
};

constexpr int kWarmUp = 10;  // fresh requests before the memory is read the first time

// Growth of resident memory per held connection (bytes); -1 when none is held.
double BytesPerConn(long from_kb, long to_kb, int held) {
  return held > 0 ? static_cast<double>(to_kb - from_kb) * 1024 / held : -1;
}

// The reference: nginx holding `n` idle connections that each read `body` from GET /version.
struct NginxFigures {
  long before_kb = -1, holding_kb = -1;
  int held = 0;
};
NginxFigures NginxHoldingIdle(const fs::path& pki, const std::string& body, int n) {
  NginxFigures f;
  kubedouble::bench::NginxReference nginx(pki, n + 1000);  // however the workers share them
  if (nginx.port() == 0) {
    fprintf(stderr, "no nginx reference: %s\n", nginx.Error().c_str());
    return f;
  }
  nginx.Serve("version", body);
  Client client(nginx.port(), (pki / "ca.crt").string(), "unused");
  const std::string request = Request("GET", "/version", "unused");
  for (int i = 0; i < kWarmUp; ++i) client.Fresh(request);
  f.before_kb = nginx.RssKb();
  client.Open(n, false);
  f.held = client.Holding(false);
  f.holding_kb = nginx.RssKb();
  return f;
}

void BM_IdleConnectionsAndWatches(benchmark::State& state) {
  RaiseFileLimit();
  for (auto _ : state) {
    kubedouble::test::TempDir tmp;
    const fs::path dir = tmp / "state";
    kubedouble::test::Process serve({KUBEDOUBLE_BIN, "serve", "--port", "0", "--dir", dir.string(),
                                     "--max-connections", std::to_string(kIdle + kWatches + 1000),
                                     "--max-watches", std::to_string(kWatches + 100)});
    const int port = kubedouble::test::ServePort(serve);
    if (port == 0) {
      state.SkipWithError(("kubedouble serve did not start: " + serve.Error()).c_str());
      return;
    }
    std::ifstream tokens(dir / "tokens.csv");
    std::string token;
    std::getline(tokens, token);
    token = token.substr(0, token.find(','));
    auto client = std::make_unique<Client>(port, (dir / "pki" / "ca.crt").string(), token);
    Client& c = *client;
    std::string version;  // the bytes nginx serves too
    for (int i = 0; i < kWarmUp; ++i) c.Fresh(Request("GET", "/version", token), &version);
    const long before_kb = kubedouble::test::ProcStatus(serve.pid(), "VmRSS:");

    const auto t_open = Clock::now();
    c.Open(kWatches, true);  // first: the idle ones must not reach the idle timeout (30 s)
    const long watches_kb = kubedouble::test::ProcStatus(serve.pid(), "VmRSS:");
    c.Open(kIdle, false);
    const double open_s = Ms(Clock::now() - t_open) / 1000;
    const int watching = c.Holding(true);
    const int idle = c.Holding(false);
    if (const char* hold = std::getenv("KD_BENCH_HOLD")) {  // to look at the server meanwhile
      fprintf(stderr, "holding: server pid %d\n", serve.pid());
      std::this_thread::sleep_for(std::chrono::seconds(std::atoi(hold)));
    }
    const long threads = kubedouble::test::ProcStatus(serve.pid(), "Threads:");
    const long rss_kb = kubedouble::test::ProcStatus(serve.pid(), "VmRSS:");

    std::vector<double> fresh;
    for (int i = 0; i < kFreshRequests; ++i) {
      auto [ms, status] = c.Fresh(Request("GET", "/api/v1/namespaces/default/configmaps", token));
      if (status == 200) fresh.push_back(ms);
    }

    std::vector<double> reach;
    for (int w = 1; w <= kWrites; ++w) {
      const std::string data = R"({"data":{"n":")" + std::to_string(w) + R"("}})";
      const auto t0 = Clock::now();
      auto [ms, status] =
          w == 1 ? c.Fresh(Request("POST", "/api/v1/namespaces/default/configmaps", token,
                                   "application/json",
                                   R"({"metadata":{"name":"bench-probe"},"data":{"n":"1"}})"))
                 : c.Fresh(Request("PATCH", "/api/v1/namespaces/default/configmaps/bench-probe",
                                   token, "application/merge-patch+json", data));
      if (status != 200 && status != 201) continue;
      std::vector<double> got = c.AwaitEvents(w, t0);
      reach.insert(reach.end(), got.begin(), got.end());
    }
    const long threads_after = kubedouble::test::ProcStatus(serve.pid(), "Threads:");
    client.reset();  // its descriptors, before nginx's connections
    serve.Stop();
    const NginxFigures nginx = NginxHoldingIdle(dir / "pki", version, kIdle + kWatches);

    state.SetIterationTime(Percentile(reach, 0.99) / 1000);
    state.counters["threads"] = static_cast<double>(std::max(threads, threads_after));
    state.counters["rss_mb"] = static_cast<double>(rss_kb) / 1024;
    state.counters["rss_before_mb"] = static_cast<double>(before_kb) / 1024;
    const double per_conn = BytesPerConn(before_kb, rss_kb, idle + watching);
    const double per_idle = BytesPerConn(watches_kb, rss_kb, idle);
    state.counters["bytes_per_conn"] = per_conn;
    state.counters["bytes_per_idle_conn"] = per_idle;
    state.counters["bytes_per_watch"] = BytesPerConn(before_kb, watches_kb, watching);
    if (nginx.held > 0) {
      const double theirs = BytesPerConn(nginx.before_kb, nginx.holding_kb, nginx.held);
      state.counters["nginx_rss_before_mb"] = static_cast<double>(nginx.before_kb) / 1024;
      state.counters["nginx_rss_mb"] = static_cast<double>(nginx.holding_kb) / 1024;
      state.counters["nginx_idle_held"] = nginx.held;
      state.counters["nginx_bytes_per_conn"] = theirs;
      state.counters["bytes_per_conn_vs_nginx"] = per_conn / theirs;
      state.counters["bytes_per_idle_conn_vs_nginx"] = per_idle / theirs;
    }
    state.counters["idle_held"] = idle;
    state.counters["watches_held"] = watching;
    state.counters["open_s"] = open_s;
    state.counters["fresh_request_p50_ms"] = Percentile(fresh, 0.5);
    state.counters["fresh_request_max_ms"] = Percentile(fresh, 1.0);
    state.counters["watch_event_p50_ms"] = Percentile(reach, 0.5);
    state.counters["watch_event_p99_ms"] = Percentile(reach, 0.99);
    state.counters["watch_event_max_ms"] = Percentile(reach, 1.0);
    state.counters["watch_events_read"] = static_cast<double>(reach.size());
    state.SetLabel("p99 of a write reaching every watcher");
  }
}
BENCHMARK(BM_IdleConnectionsAndWatches)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
