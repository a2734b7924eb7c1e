// Start-up of `kubedouble serve`: from posix_spawn to the first 200 on /readyz over verified TLS,
// with an existing PKI, with a fresh one, and restarted on the port it had (the state folder
// left as it is), beside two references measured in the same run:
//   - `openssl s_server -www` with the same serving certificate and key, started and answering
//     its first GET through the same client — the least any TLS server pays to start and answer
//     (exec, libcrypto and libssl, loading a certificate and key, one handshake);
//   - `kubedouble version`, to its exit — the same program and shared libraries doing nothing.
// The client is OpenSSL in this process (the CA, the host-name check, one request); its own
// start-up (a TLS context; decoding a CA it already trusts) is kept out of the figures. Repetitions
// are interleaved at random so that a slow minute of the machine falls on every figure alike.
// Loopback only; every child is stopped.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/free_port.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The program under test: $KUBEDOUBLE, or the one built beside this benchmark.
std::string Bin() {
  const char* env = std::getenv("KUBEDOUBLE");
  return env != nullptr && *env != '\0' ? env : KUBEDOUBLE_BIN;
}

// A child process, stopped (SIGTERM, then waited for) when it goes out of scope, whatever happened.
struct Child {
  pid_t pid = -1;
  int out = -1;  // the read end of its stdout, or -1
  Child() = default;
  Child(Child&& o) noexcept : pid(std::exchange(o.pid, -1)), out(std::exchange(o.out, -1)) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child& operator=(Child&&) = delete;
  ~Child() { Stop(); }
  void Stop() {
    if (out >= 0) close(out);
    out = -1;
    if (pid > 0) kill(pid, SIGTERM);
    Wait();
  }
  void Wait() {
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    pid = -1;
  }
};

Child Spawn(const std::vector<std::string>& args, bool capture_stdout) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  int pipefd[2] = {-1, -1};
  if (capture_stdout) {
    if (pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  Child c;
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (capture_stdout) {
    close(pipefd[1]);
    c.out = pipefd[0];
  }
  if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  c.pid = pid;
  return c;
}

// Reads the child's stdout up to a line containing `marker`; returns that line.
std::string ReadLineWith(int fd, const std::string& marker) {
  std::string buf;
  char chunk[512];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) throw std::runtime_error("no ready line within 10 s");
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("the server exited before its ready line: " + buf);
    buf.append(chunk, static_cast<size_t>(n));
    for (size_t start = 0, nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = buf.substr(start, nl - start);
      if (line.find(marker) != std::string::npos) return line;
    }
  }
}

// The client's context, made once: OpenSSL's SSL_CTX_new costs about a millisecond, which is the
// client's start-up, not the server's. The CA is read for every connection (a fresh PKI has a new
// one), into the connection's own verification store.
SSL_CTX* ClientContext() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
    return c;
  }();
  return ctx;
}

// Connects to 127.0.0.1:port; -1 while nothing listens there.
int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
  close(fd);
  return -1;
}

// A verification store holding the CA in file `ca`, decoded again only when the file's bytes
// change (a fresh PKI): a client trusting a CA decodes it once, not per connection. The caller
// frees the returned reference.
X509_STORE* CaStore(const fs::path& ca) {
  static std::string last_text;
  static X509_STORE* last = nullptr;
  std::ifstream in(ca, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (last == nullptr || text != last_text) {
    X509_STORE_free(last);
    last = X509_STORE_new();
    last_text = text;
    if (X509_STORE_load_file(last, ca.c_str()) != 1) {
      X509_STORE_free(last);
      last = nullptr;
      return nullptr;
    }
  }
  X509_STORE_up_ref(last);
  return last;
}

// A verified TLS handshake (CA from `ca`, the certificate must name 127.0.0.1) on a connected
// socket, then `GET path`; true on a 200. Closes the socket.
bool Get200(int fd, const fs::path& ca, const std::string& path) {
  bool ok = false;
  X509_STORE* store = CaStore(ca);
  SSL* ssl = SSL_new(ClientContext());
  if (store != nullptr && SSL_set1_verify_cert_store(ssl, store) == 1) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
      std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
      SSL_write(ssl, req.data(), static_cast<int>(req.size()));
      char head[64];
      int n = 0, got;
      while (n < 12 && (got = SSL_read(ssl, head + n, static_cast<int>(sizeof head) - n)) > 0) {
        n += got;
      }
      std::string status(head, static_cast<size_t>(n));
      ok = status.rfind("HTTP/1.1 200", 0) == 0 || status.rfind("HTTP/1.0 200", 0) == 0;
    }
  }
  SSL_free(ssl);
  X509_STORE_free(store);
  close(fd);
  ERR_clear_error();
  return ok;
}

enum class Kind { kExistingPki, kFreshPki, kSamePort };

struct World {
  fs::path dir;
  int same_port = 0;  // the restarts on one port have their own state folder
  World() {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmpdir != nullptr && *tmpdir ? tmpdir : "/tmp") + "/kd-bench-start-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp in " + tmpl);
    dir = tmpl;
    same_port = kubedouble::test::FreePort();
    // Mint the PKIs once: the existing-PKI runs and the restarts start from them.
    for (Kind kind : {Kind::kExistingPki, Kind::kSamePort}) {
      Child c = Spawn(ServeArgs(kind), true);
      ReadLineWith(c.out, "serving on");
    }
  }
  ~World() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path state(Kind kind) const {
    return dir / (kind == Kind::kSamePort ? "same-port" : "state");
  }
  std::vector<std::string> ServeArgs(Kind kind) const {
    std::vector<std::string> a = {
        Bin(),        "serve",
        "--dir",      state(kind).string(),
        "--port",     std::to_string(kind == Kind::kSamePort ? same_port : 0),
        "--anonymous"};
    if (kind == Kind::kFreshPki) a.push_back("--fresh-pki");
    return a;
  }
};

World& TheWorld() {
  static World w;
  return w;
}

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void StartKubedouble(benchmark::State& state, Kind kind) {
  try {
    World& w = TheWorld();
    for (auto _ : state) {
      auto t0 = Clock::now();
      Child c = Spawn(w.ServeArgs(kind), true);
      std::string line = ReadLineWith(c.out, "serving on");
      double ready = Seconds(t0);
      auto colon = line.rfind(':', line.find(" ("));
      int port = std::atoi(line.c_str() + colon + 1);
      int fd = Connect(port);
      bool ok = fd >= 0 && Get200(fd, w.state(kind) / "pki" / "ca.crt", "/readyz");
      double answered = Seconds(t0);
      state.SetIterationTime(answered);
      // Where the time went: to the ready line, and from it to the 200 (TLS handshake included).
      state.counters["ready_line_ms"] = ready * 1e3;
      state.counters["first_200_after_ms"] = (answered - ready) * 1e3;
      state.SetLabel("vs reference/startup_openssl_s_server");  // ci/bench prints the ratio
      if (!ok) {
        state.SkipWithError("no 200 on /readyz");
        break;
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_StartExistingPki(benchmark::State& state) { StartKubedouble(state, Kind::kExistingPki); }
void BM_StartFreshPki(benchmark::State& state) { StartKubedouble(state, Kind::kFreshPki); }
// `kubedouble serve` restarted on the port it had: the state folder's files stay as they are.
void BM_RestartSamePort(benchmark::State& state) { StartKubedouble(state, Kind::kSamePort); }

// `openssl s_server -www` with the same certificate (and no system CA store to load): connected
// to as soon as it listens (polled every 0.1 ms), then one GET.
void BM_OpensslServerFirst200(benchmark::State& state) {
  try {
    World& w = TheWorld();
    fs::path pki = w.state(Kind::kExistingPki) / "pki";
    for (auto _ : state) {
      int port = kubedouble::test::FreePort();
      auto t0 = Clock::now();
      Child c =
          Spawn({"/usr/bin/openssl", "s_server", "-quiet", "-www", "-naccept", "1", "-no-CAfile",
                 "-no-CApath", "-no-CAstore", "-accept", "127.0.0.1:" + std::to_string(port),
                 "-cert", (pki / "server.crt").string(), "-key", (pki / "server.key").string()},
                false);
      int fd = -1;
      while ((fd = Connect(port)) < 0 && Seconds(t0) < 10) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      bool ok = fd >= 0 && Get200(fd, pki / "ca.crt", "/");
      state.SetIterationTime(Seconds(t0));
      if (!ok) {
        state.SkipWithError("openssl s_server gave no 200 within 10 s");
        break;
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void BM_KubedoubleVersion(benchmark::State& state) {
  try {
    for (auto _ : state) {
      auto t0 = Clock::now();
      Child c = Spawn({Bin(), "version"}, false);
      c.Wait();
      state.SetIterationTime(Seconds(t0));
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

constexpr int kRepeats = 15;

BENCHMARK(BM_StartExistingPki)
    ->Name("fakeserver/startup_existing_pki")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(kRepeats)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_StartFreshPki)
    ->Name("fakeserver/startup_fresh_pki")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(kRepeats)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_RestartSamePort)
    ->Name("fakeserver/startup_restart_same_port")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(kRepeats)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_OpensslServerFirst200)
    ->Name("reference/startup_openssl_s_server")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(kRepeats)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_KubedoubleVersion)
    ->Name("reference/process_start_version")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(kRepeats)
    ->ReportAggregatesOnly(true);

}  // namespace

int main(int argc, char** argv) {
  // Interleave the repetitions of all five at random unless the caller says otherwise.
  std::vector<char*> args(argv, argv + argc);
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  args.insert(args.begin() + 1, interleave.data());
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
