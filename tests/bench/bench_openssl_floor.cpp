// What OpenSSL itself keeps for a waiting server-side TLS connection: the floor under any server
// that holds one `SSL` a connection (issue 19; bench_idle_watches measures kubedouble and nginx
// holding 15,000). This process plays both ends over socket pairs, one connection at a time: a
// plain server `SSL` (an ECDSA P-256 serving certificate from the certs kit, OpenSSL's defaults,
// record buffers released while waiting, as kubedouble and nginx both do) completes a TLS 1.3
// handshake, reads a request and writes an answer, and is kept; the client end is freed. The
// figures: the growth of the live heap (glibc's mallinfo2) and of resident memory per server
// `SSL` held, for as many as the open-file limit allows up to 15,000. Takes a few seconds.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/proc_status.h"
#include "kubedouble/certs/certs.h"

namespace {

namespace kc = kubedouble::certs;

constexpr int kWanted = 15000;
constexpr char kRequest[] = "GET /version HTTP/1.1\r\nHost: localhost\r\n\r\n";
const std::string kAnswer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 256\r\n\r\n" +
    std::string(256, 'x');

struct Held {
  SSL* ssl;
  int fd;
};

// One connection through: handshake, request, answer. The server end (nullptr: it failed).
SSL* Connect(SSL_CTX* server_ctx, SSL_CTX* client_ctx, int* server_fd) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) return nullptr;
  SSL* server = SSL_new(server_ctx);
  SSL* client = SSL_new(client_ctx);
  SSL_set_fd(server, fds[0]);
  SSL_set_fd(client, fds[1]);
  SSL_set_accept_state(server);
  SSL_set_connect_state(client);
  SSL_set_mode(server, SSL_MODE_RELEASE_BUFFERS);
  bool ok = false;
  for (int round = 0; round < 20 && !ok; ++round) {
    const int c = SSL_do_handshake(client);
    const int s = SSL_do_handshake(server);
    ok = c == 1 && s == 1;
  }
  char buf[4096];
  ok = ok && SSL_write(client, kRequest, sizeof kRequest - 1) > 0 &&
       SSL_read(server, buf, sizeof buf) == static_cast<int>(sizeof kRequest - 1) &&
       SSL_write(server, kAnswer.data(), static_cast<int>(kAnswer.size())) > 0 &&
       SSL_read(client, buf, sizeof buf) == static_cast<int>(kAnswer.size());
  ERR_clear_error();
  SSL_free(client);
  ::close(fds[1]);
  if (!ok) {
    SSL_free(server);
    ::close(fds[0]);
    return nullptr;
  }
  *server_fd = fds[0];
  return server;
}

void BM_OpenSslServerFloor(benchmark::State& state) {
  const kc::KeyPair ca = kc::MakeCa();
  const kc::KeyPair serving = kc::IssueServer(ca, {.sans = {"localhost"}});
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_use_certificate(server_ctx, serving.cert.get());
  SSL_CTX_use_PrivateKey(server_ctx, serving.key.get());
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  const int wanted = static_cast<int>(std::min<rlim_t>(kWanted, files.rlim_cur - 100));
  std::vector<Held> held;
  held.reserve(static_cast<size_t>(wanted));
  for (auto _ : state) {
    int fd = -1;
    for (int i = 0; i < 10; ++i) {  // OpenSSL's first-use allocations, before the first reading
      if (SSL* warm = Connect(server_ctx, client_ctx, &fd)) {
        SSL_free(warm);
        ::close(fd);
      }
    }
    const size_t heap_before = mallinfo2().uordblks;
    const long rss_before_kb = kubedouble::test::ProcStatus(getpid(), "VmRSS:");
    for (int i = 0; i < wanted; ++i) {
      if (SSL* ssl = Connect(server_ctx, client_ctx, &fd)) held.push_back({ssl, fd});
    }
    const size_t heap = mallinfo2().uordblks;
    const long rss_kb = kubedouble::test::ProcStatus(getpid(), "VmRSS:");
    const double n = std::max<double>(1, static_cast<double>(held.size()));
    state.counters["held"] = static_cast<double>(held.size());
    state.counters["heap_bytes_per_conn"] = static_cast<double>(heap - heap_before) / n;
    state.counters["rss_bytes_per_conn"] = static_cast<double>(rss_kb - rss_before_kb) * 1024 / n;
    state.SetLabel("time: both ends of every connection, one after the other");
    if (held.empty()) state.SkipWithError("no TLS connection got through");
    for (const Held& h : held) {
      SSL_free(h.ssl);
      ::close(h.fd);
    }
    held.clear();
  }
  SSL_CTX_free(client_ctx);
  SSL_CTX_free(server_ctx);
}
BENCHMARK(BM_OpenSslServerFloor)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
