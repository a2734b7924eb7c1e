// net::HttpServer and its connections, without the fake server: keep-alive answers, bodies read on
// demand, the connection limit, the hang-up signal (and a stop ending a stream), a reset, an
// upgrade handing the bytes to an UpgradedStream, plain HTTP (no TLS), a listener given by the
// caller (a unix socket), a failed bind's reason, and the requests answered at once by the
// event loops (no worker; connections spread over the loops; a slow reader holds no thread), and
// the whole answers of handlers run on workers, which a slow reader does not hold either.
#include <gtest/gtest.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/net/http_server.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <thread>

#include "common/h2_client.h"
#include "counting_text.h"
#include "counts_become.h"
#include "reliability/raw_tls.h"
#include "server_context.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;

// A handler streaming one byte, then waiting for its client to go (Exchange::OnHangUp), as a
// watch with no event does; woken by the signal, not by polling. The handler and its provider
// share the state: the provider returns on a worker after the test's body has returned, and the
// server stops (joining that worker) only in TearDown.
class StreamUntilHangUp {
 public:
  net::HttpServer::Handler Handler() const {
    return [state = state_](net::Exchange& ex) {
      ex.OnHangUp([state] {
        std::lock_guard lock(state->mu);
        state->gone = true;
        state->cv.notify_all();
      });
      ex.response.set_chunked_content_provider("text/plain",
                                               [state](size_t, httplib::DataSink& sink) {
                                                 sink.write("x", 1);
                                                 std::unique_lock lock(state->mu);
                                                 state->cv.wait(lock, [&] { return state->gone; });
                                                 return false;
                                               });
    };
  }
  bool WaitForHangUp() const {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, std::chrono::seconds(10), [&] { return state_->gone; });
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    bool gone = false;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// The name of the thread running the caller: "kd-loop" or "kd-worker" inside the server.
std::string ThreadName() {
  char name[32] = "";
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(net::HttpServer::Handler handler, net::HttpServerOptions o = {}) {
    bundle_ = certs::MintBundle();
    dir_ = fs::temp_directory_path() / ("kd-net-" + std::to_string(::getpid()));
    certs::SaveBundle(bundle_, dir_);
    SSL_CTX* ctx = kubedouble::testing::ServerContext(bundle_);
    server_ = std::make_unique<net::HttpServer>(
        o, ctx, std::move(handler),
        [this](const httplib::Request&, int status) { refused_.push_back(status); });
    SSL_CTX_free(ctx);
    server_->Bind();
    server_->Start();
  }
  // A plain-HTTP server (no TLS context), as `kubedouble proxy` runs.
  void StartPlain(net::HttpServer::Handler handler, net::HttpServerOptions o = {}) {
    server_ = std::make_unique<net::HttpServer>(o, nullptr, std::move(handler));
    server_->Bind();
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }
  std::unique_ptr<RawConn> Connect() {
    auto c = std::make_unique<RawConn>(server_->port());
    EXPECT_TRUE(c->Handshake((dir_ / "ca.crt").string()));
    return c;
  }

  certs::Bundle bundle_;
  fs::path dir_;
  std::unique_ptr<net::HttpServer> server_;
  std::vector<int> refused_;
};

TEST_F(HttpServerTest, AnswersOnOneKeepAliveConnectionAndReadsBodiesOnDemand) {
  StartServer([](net::Exchange& ex) {
    std::string body;
    if (ex.has_body()) {
      ex.body()([&](const char* d, size_t n) {
        body.append(d, n);
        return true;
      });
    }
    ex.response.set_content(ex.request.method + " " + ex.request.path + " " + body, "text/plain");
  });
  auto c = Connect();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->Send("GET /a?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
    RawReply r = c->Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /a ");
  }
  ASSERT_TRUE(
      c->Send("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  EXPECT_EQ(c->Read().body, "POST /b abcde");
  EXPECT_EQ(server_->counts().connections, 1u);
}

TEST_F(HttpServerTest, UnreadBodyEndsTheConnectionAfterTheAnswer) {
  StartServer([](net::Exchange& ex) { ex.response.set_content("no", "text/plain"); });
  auto c = Connect();
  ASSERT_TRUE(c->Send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  RawReply r = c->Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos) << r.head;
  EXPECT_TRUE(c->Read(5).closed);
}

TEST_F(HttpServerTest, OverTheConnectionLimitTheHandlerIsTold) {
  net::HttpServerOptions o;
  o.max_connections = 1;
  StartServer([](net::Exchange& ex) { ex.response.status = ex.over_limit() ? 429 : 200; }, o);
  auto first = Connect();
  ASSERT_TRUE(first->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(first->Read().status, 200);
  auto second = Connect();
  ASSERT_TRUE(second->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(second->Read().status, 429);
  EXPECT_TRUE(second->Read(5).closed);
}

TEST_F(HttpServerTest, HangUpSignalReachesAStreamingHandler) {
  StreamUntilHangUp stream;
  StartServer(stream.Handler());
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c->ReadHead().status, 200);
  c->Close();
  EXPECT_TRUE(stream.WaitForHangUp());
}

TEST_F(HttpServerTest, StopEndsAStreamWhoseClientStaysConnected) {
  StreamUntilHangUp stream;  // a watch with no event: only the hang-up ends it
  StartServer(stream.Handler());
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /watch HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c->ReadHead().status, 200);
  // The client stays: the stop itself must end the stream, and then return.
  auto stopped = std::make_shared<std::promise<void>>();
  std::thread stopper([this, stopped] {
    server_->Stop();
    stopped->set_value();
  });
  if (stopped->get_future().wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "Stop() still waits for the stream";
    stopper.detach();
    server_.release();  // still inside Stop on the other thread
    return;
  }
  stopper.join();
  // The stream ended (its provider told of the hang-up, or not called again) and so did the
  // connection: the client reads to its end.
  char buf[256];
  int n = 0;
  for (int reads = 0;
       reads < 100 && (n = c->ReadSome(buf, sizeof buf, std::chrono::seconds(5))) > 0; ++reads) {
  }
  EXPECT_LE(n, 0);
}

TEST_F(HttpServerTest, ResetEndsTheConnectionWithoutAnAnswer) {
  StartServer([](net::Exchange& ex) { ex.Reset(); });
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = c->Read(5);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.closed);
}

// Echoes the upgraded bytes back until the client closes.
void EchoUpgrade(net::Exchange& ex) {
  ex.response.status = 101;
  ex.response.set_header("Upgrade", "echo");
  ex.response.set_header("Connection", "Upgrade");
  ex.Upgrade([](net::UpgradedStream& s) {
    char buf[64];
    for (;;) {
      ssize_t n = s.Read(buf, sizeof buf);
      if (n <= 0) return;
      if (!s.Write(buf, static_cast<size_t>(n))) return;
    }
  });
}

TEST_F(HttpServerTest, UpgradeHandsTheBytesToTheTaker) {
  StartServer(EchoUpgrade);
  auto c = Connect();
  ASSERT_TRUE(
      c->Send("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"));
  RawReply head = c->ReadHead();
  EXPECT_EQ(head.status, 101) << head.head;
  ASSERT_TRUE(c->Send("hello"));
  char buf[16];
  int n = c->ReadSome(buf, sizeof buf, std::chrono::milliseconds(5000));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "hello");
  EXPECT_EQ(server_->counts().upgraded, 1u);
}

TEST_F(HttpServerTest, UnparsableHeadIsRefusedAndTold) {
  StartServer([](net::Exchange& ex) { ex.response.status = 200; });
  auto c = Connect();
  ASSERT_TRUE(c->Send("FOO / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(c->Read().status, 400);
  ASSERT_EQ(refused_.size(), 1u);
  EXPECT_EQ(refused_[0], 400);
}

TEST_F(HttpServerTest, PlainListenerAnswersWithoutTls) {
  StartPlain([](net::Exchange& ex) {
    if (ex.request.path == "/echo") return EchoUpgrade(ex);
    std::string body;
    if (ex.has_body()) {
      ex.body()([&](const char* d, size_t n) {
        body.append(d, n);
        return true;
      });
    }
    ex.response.set_content(ex.request.method + " " + body, "text/plain");
  });
  RawConn c(server_->port());
  ASSERT_TRUE(c.SendPlain("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = c.Read();
  EXPECT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.body, "GET ");
  ASSERT_TRUE(c.SendPlain("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
  EXPECT_EQ(c.Read().body, "POST abc");
  EXPECT_EQ(server_->counts().connections, 1u);  // keep-alive

  RawConn u(server_->port());
  ASSERT_TRUE(
      u.SendPlain("GET /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"));
  EXPECT_EQ(u.ReadHead().status, 101);
  ASSERT_TRUE(u.SendPlain("hello"));
  char buf[16];
  int n = u.ReadSome(buf, sizeof buf, std::chrono::milliseconds(5000));
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "hello");
}

TEST_F(HttpServerTest, ServesTheListenerItIsGiven) {
  const std::string path =
      (fs::temp_directory_path() / ("kd-net-" + std::to_string(::getpid()) + ".sock")).string();
  ::unlink(path.c_str());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  net::HttpServerOptions o;
  o.listener = fd;
  StartPlain([](net::Exchange& ex) { ex.response.set_content("over unix", "text/plain"); }, o);
  EXPECT_EQ(server_->port(), 0);
  int c = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(c, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  ::close(c);
  ::unlink(path.c_str());
  EXPECT_EQ(answer.substr(0, answer.find("\r\n")), "HTTP/1.1 200 OK");
  EXPECT_EQ(answer.substr(answer.find("\r\n\r\n") + 4), "over unix");
}

TEST_F(HttpServerTest, AFailedBindCarriesTheKernelsReason) {
  StartPlain([](net::Exchange&) {});
  net::HttpServerOptions o;
  o.port = server_->port();
  net::HttpServer second(o, nullptr, [](net::Exchange&) {});
  try {
    second.Bind();
    FAIL() << "a second server bound a busy port";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EADDRINUSE);
    EXPECT_EQ(std::string(e.what()),
              "cannot listen on 127.0.0.1:" + std::to_string(o.port) + ": Address already in use");
  }
}

// A request the caller answers at once is answered by the loop that read it: no worker is
// needed, so it is answered even while the only worker is held by a slow request, and the pool
// never grows for it.
TEST_F(HttpServerTest, AQuickRequestIsAnsweredByTheLoopWhileTheWorkerIsHeld) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> slow_started;
  net::HttpServerOptions o;
  o.max_workers = 1;
  o.answers_at_once = [](const httplib::Request& req) { return req.path == "/quick"; };
  StartServer(
      [&](net::Exchange& ex) {
        if (ex.request.path == "/slow") {
          slow_started.set_value();
          released.wait();
        }
        ex.response.set_content(ThreadName(), "text/plain");
      },
      o);
  auto slow = Connect();
  ASSERT_TRUE(slow->Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  slow_started.get_future().wait();
  auto quick = Connect();
  for (int i = 0; i < 3; ++i) {  // keep-alive: each request is the loop's
    ASSERT_TRUE(quick->Send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n"));
    RawReply r = quick->Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "kd-loop");
  }
  EXPECT_EQ(server_->counts().workers, 1u);
  release.set_value();
  RawReply r = slow->Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "kd-worker");
}

// Connections are given to the loops in turn: two connections are answered by two threads.
TEST_F(HttpServerTest, ConnectionsAreSpreadOverTheLoops) {
  std::mutex mu;
  std::set<std::thread::id> threads;
  net::HttpServerOptions o;
  o.loops = 2;
  o.answers_at_once = [](const httplib::Request&) { return true; };
  StartServer(
      [&](net::Exchange& ex) {
        std::lock_guard lock(mu);
        threads.insert(std::this_thread::get_id());
        ex.response.set_content("ok", "text/plain");
      },
      o);
  auto a = Connect();
  auto b = Connect();
  for (auto* c : {a.get(), b.get()}) {
    ASSERT_TRUE(c->Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    EXPECT_EQ(c->Read().status, 200);
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(threads.size(), 2u);
}

// A quick answer larger than the socket's buffers, to a client that does not read it, holds
// no loop and no worker (the loop writes on as the client reads): with one loop, another
// connection is still answered, and the big answer arrives whole once its client reads.
TEST_F(HttpServerTest, AClientNotReadingABigQuickAnswerHoldsNoLoopNorWorker) {
  const std::string big(16 << 20, 'b');
  net::HttpServerOptions o;
  o.loops = 1;
  o.answers_at_once = [](const httplib::Request&) { return true; };
  StartServer(
      [&](net::Exchange& ex) {
        ex.response.set_content(ex.request.path == "/big" ? big : "small", "text/plain");
      },
      o);
  auto reader = Connect();
  ASSERT_TRUE(reader->Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto other = Connect();
  ASSERT_TRUE(other->Send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = other->Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "small");
  EXPECT_EQ(server_->counts().workers, 0u);
  RawReply whole = reader->Read();
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body.size(), big.size());
}

// A client that takes none of a quick answer for the I/O timeout loses its connection, as a
// worker's write would end it.
TEST_F(HttpServerTest, AQuickAnswerNotTakenForTheIoTimeoutEndsItsConnection) {
  const std::string big(16 << 20, 'b');
  net::HttpServerOptions o;
  o.loops = 1;
  o.io_timeout = std::chrono::milliseconds(200);
  o.head_timeout = std::chrono::seconds(1);  // sweeps 250 ms apart
  o.answers_at_once = [](const httplib::Request&) { return true; };
  StartServer([&](net::Exchange& ex) { ex.response.set_content(big, "text/plain"); }, o);
  auto reader = Connect();
  ASSERT_TRUE(reader->Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(CountsBecome(*server_, [](const auto& c) { return c.active == 1; }));
  EXPECT_TRUE(CountsBecome(*server_, [](const auto& c) { return c.connections == 0; }));
}

// A handler run on a worker whose whole answer the client does not read yet: /big (16 MiB, more
// than the socket buffers hold) and its handler's calls counted; anything else answers the name
// of the thread that ran it.
class BigAnswers {
 public:
  net::HttpServer::Handler Handler() const {
    return [state = state_](net::Exchange& ex) {
      if (ex.request.path != "/big") return ex.response.set_content(ThreadName(), "text/plain");
      ex.response.set_content(state->big, "text/plain");
      ++state->bigs;
    };
  }
  size_t size() const { return state_->big.size(); }
  // Waits until the handler has answered /big `n` times (the answer may still be leaving), then a
  // moment more: a worker holding on to the answer would still hold it then.
  bool Answered(int n) const {
    for (int i = 0; i < 500 && state_->bigs < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return state_->bigs >= n;
  }

 private:
  struct State {
    const std::string big = std::string(16 << 20, 'b');
    std::atomic<int> bigs{0};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// With one worker, a client that reads nothing of a worker's big answer leaves that worker free:
// another connection's request is answered by it (had the worker been held, the pool would have
// started a second one after 100 ms), the big answer arrives whole once its client reads, and
// its connection is kept alive for the next request.
TEST_F(HttpServerTest, AClientNotReadingAWorkersBigAnswerHoldsNoWorker) {
  BigAnswers answers;
  net::HttpServerOptions o;
  o.max_workers = 1;
  StartServer(answers.Handler(), o);
  auto reader = Connect();
  ASSERT_TRUE(reader->Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(answers.Answered(1));
  auto other = Connect();
  ASSERT_TRUE(other->Send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = other->Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "kd-worker");
  EXPECT_EQ(server_->counts().workers, 1u);
  RawReply whole = reader->Read();
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body.size(), answers.size());
  EXPECT_EQ(whole.head.find("Connection: close"), std::string::npos) << whole.head;
  ASSERT_TRUE(reader->Send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply after = reader->Read();
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, "kd-worker");
  EXPECT_EQ(server_->counts().workers, 1u);
}

// A client that takes none of a worker's answer for the I/O timeout loses its connection.
TEST_F(HttpServerTest, AWorkersAnswerNotTakenForTheIoTimeoutEndsItsConnection) {
  BigAnswers answers;
  net::HttpServerOptions o;
  o.io_timeout = std::chrono::milliseconds(200);
  o.head_timeout = std::chrono::seconds(1);  // sweeps 250 ms apart
  StartServer(answers.Handler(), o);
  auto reader = Connect();
  ASSERT_TRUE(reader->Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(CountsBecome(*server_, [](const auto& c) { return c.active == 1; }));
  EXPECT_TRUE(CountsBecome(*server_, [](const auto& c) { return c.connections == 0; }));
}

// Stop() finishes a worker's answer whose client reads slowly: the client gets all of it, then
// the end of the connection, and Stop() returns.
TEST_F(HttpServerTest, StopFinishesAWorkersAnswerToASlowReader) {
  BigAnswers answers;
  StartServer(answers.Handler());
  auto reader = Connect();
  ASSERT_TRUE(reader->Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(answers.Answered(1));
  std::thread stopper([this] { server_->Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the stop under way
  RawReply whole = reader->Read();
  stopper.join();
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body.size(), answers.size());
  EXPECT_TRUE(reader->Read(5).closed);
}

// HTTP/2: a worker's whole answer to a client whose flow-control windows are closed (it reads
// nothing, so it sends no WINDOW_UPDATE) is handed to the connection's session, which sends it
// as the windows open: the worker is free at once.
TEST_F(HttpServerTest, AnH2ClientWithClosedWindowsHoldsNoWorker) {
  BigAnswers answers;
  net::HttpServerOptions o;
  o.http2 = true;
  o.max_workers = 1;
  StartServer(answers.Handler(), o);
  H2Client h2(server_->port(), (dir_ / "ca.crt").string());
  ASSERT_TRUE(h2.ok());
  const int32_t big = h2.Get("/big");
  ASSERT_TRUE(answers.Answered(1));
  auto other = Connect();  // HTTP/1.1 (no ALPN)
  ASSERT_TRUE(other->Send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = other->Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "kd-worker");
  EXPECT_EQ(server_->counts().workers, 1u);
  ASSERT_TRUE(h2.RunUntil([&] { return h2.reply(big).done; }, std::chrono::seconds(30)));
  EXPECT_EQ(h2.reply(big).status, 200);
  EXPECT_EQ(h2.reply(big).body.size(), answers.size());
}

// By default a server serves as many connections as its open-file limit allows (an idle
// connection costs memory, not a thread): seven eighths of the soft limit, the rest for files.
TEST(ConnectionLimit, FollowsTheOpenFileLimit) {
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  EXPECT_EQ(net::ConnectionsTheFileLimitAllows(), files.rlim_cur / 8 * 7);
  if (files.rlim_max < 1024) GTEST_SKIP() << "hard open-file limit under 1024";
  rlimit lower = files;
  lower.rlim_cur = 1024;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lower), 0);
  EXPECT_EQ(net::ConnectionsTheFileLimitAllows(), 896u);
  setrlimit(RLIMIT_NOFILE, &files);
}

// An answer whose body is shared (Exchange::ShareBody: a kept list answer) arrives byte for byte
// with its Content-Length, from the loop (a quick request) and from a worker alike; HEAD gets the
// head only; a body the handler sets itself wins; a client that accepts gzip gets it compressed.
TEST_F(HttpServerTest, ASharedBodyArrivesAsItIsWithItsLength) {
  auto text = std::make_shared<const std::string>(Counting(100000));
  net::HttpServerOptions o;
  o.answers_at_once = [](const httplib::Request& req) { return req.path.rfind("/quick", 0) == 0; };
  StartServer(
      [text](net::Exchange& ex) {
        ex.response.set_header("Content-Type", "application/json");
        ex.ShareBody(text);
        if (ex.request.path.find("/own") != std::string::npos) ex.response.body = "own";
      },
      o);
  auto c = Connect();
  for (const std::string path : {"/quick", "/worker"}) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(c->Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    RawReply r = c->Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.body == *text) << r.body.size() << " bytes";
    EXPECT_NE(r.head.find("\r\nContent-Length: 100000"), std::string::npos) << r.head;
    EXPECT_NE(r.head.find("\r\nContent-Type: application/json"), std::string::npos) << r.head;

    ASSERT_TRUE(c->Send("HEAD " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    r = c->ReadHead();
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.head.find("\r\nContent-Length: 100000"), std::string::npos) << r.head;
    char after[64];
    EXPECT_EQ(c->ReadSome(after, sizeof after, std::chrono::milliseconds(300)), 0);

    ASSERT_TRUE(c->Send("GET " + path + "/own HTTP/1.1\r\nHost: x\r\n\r\n"));
    r = c->Read();
    EXPECT_EQ(r.body, "own");
    EXPECT_NE(r.head.find("\r\nContent-Length: 3"), std::string::npos) << r.head;

    ASSERT_TRUE(c->Send("GET " + path + " HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n"));
    r = c->Read();
    EXPECT_NE(r.head.find("\r\nContent-Encoding: gzip"), std::string::npos) << r.head;
    EXPECT_NE(r.head.find("\r\nContent-Length: " + std::to_string(r.body.size())),
              std::string::npos)
        << r.head;
    std::string plain;
    httplib::detail::gzip_decompressor gunzip;
    ASSERT_TRUE(gunzip.decompress(r.body.data(), r.body.size(), [&](const char* d, size_t n) {
      plain.append(d, n);
      return true;
    }));
    EXPECT_TRUE(plain == *text) << plain.size() << " bytes";
  }
  EXPECT_EQ(*text, Counting(100000));  // never written to
}

// A shared body far larger than the socket's buffers, to a client that starts reading late,
// arrives whole: from the loop (written on as the client reads) and from a worker.
TEST_F(HttpServerTest, ABigSharedBodyReachesASlowReaderWhole) {
  auto big = std::make_shared<const std::string>(Counting(8 << 20));
  net::HttpServerOptions o;
  o.answers_at_once = [](const httplib::Request& req) { return req.path == "/quick"; };
  StartServer([big](net::Exchange& ex) { ex.ShareBody(big); }, o);
  for (const std::string path : {"/quick", "/worker"}) {
    SCOPED_TRACE(path);
    auto c = Connect();
    ASSERT_TRUE(c->Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    RawReply r = c->Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body.size(), big->size());
    EXPECT_TRUE(r.body == *big);
  }
}

}  // namespace
}  // namespace kubedouble::testing
