// accesslib keeps its HTTP/2 connections as client-go's transport keeps them: a connection with
// no stream open for the idle timeout is closed (GOAWAY, then the socket) and the next request
// dials anew; after the read idle timeout a PING is sent, and a server that does not acknowledge
// it within the ping timeout fails every stream on the connection ("http2: client connection
// lost"), while one that does keeps a quiet watch alive. Short timeouts stand in for client-go's
// 90 s, 30 s and 15 s. And the net server's stream limit (HttpServerOptions::
// max_concurrent_streams): streams beyond it are refused with RST_STREAM REFUSED_STREAM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/h2_client.h"
#include "goaway_server.h"
#include "kubedouble/accesslib/client.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/certs/certs.h"
#include "kubedouble/net/http_server.h"
#include "net/server_context.h"

namespace kubedouble::access {
namespace {

using namespace std::chrono_literals;
using Mode = testing::GoawayServer::Mode;
using Clock = std::chrono::steady_clock;

// Waits up to `limit` (a deadline for a failing test, not a timing assertion) for `done`.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = Clock::now() + limit;
  while (!done() && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  return done();
}

// A watch that says nothing for `ms` milliseconds, then ends with its body.
Request QuietWatch(int ms) {
  Request r;
  r.path = "/quiet?ms=" + std::to_string(ms);
  r.on_head = [](const Response&) { return true; };
  r.on_body = [](std::string_view) { return true; };
  return r;
}

TEST(Http2Upkeep, AnIdleConnectionIsClosedAndTheNextRequestDialsAnew) {
  testing::GoawayServer server(Mode::kAnswerAll);
  Config config = server.config();
  config.idle_conn_timeout = 300ms;
  Client c(MakeHttpTransport(config));
  EXPECT_EQ(c.Get("/a"), "1 /a");
  EXPECT_EQ(c.Get("/b"), "1 /b") << "within the idle timeout the connection is used again";
  const auto idle = Clock::now();
  // After the idle timeout (not before: a busy machine can only make it later) the client says
  // GOAWAY and closes the connection.
  EXPECT_TRUE(Eventually([&] { return server.ended() == 1; }));
  EXPECT_GE(Clock::now() - idle, 250ms);
  EXPECT_EQ(server.goaways(), 1);
  EXPECT_EQ(c.Get("/c"), "2 /c");
  EXPECT_EQ(server.connections(), 2);
}

TEST(Http2Upkeep, AServerThatStopsAnsweringPingsFailsTheWatchAndTheNextRequestDialsAnew) {
  testing::GoawayServer server(Mode::kFirstIgnoresPings);
  Config config = server.config();
  config.http2_read_idle_timeout = 400ms;
  config.http2_ping_timeout = 400ms;
  Client c(MakeHttpTransport(config));
  const Request watch = QuietWatch(60000);
  const auto started = Clock::now();
  try {
    c.transport().Send(watch);
    ADD_FAILURE() << "the watch ended without an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnectOther);
    EXPECT_EQ(std::string(e.what()),
              "Get \"" + config.server + watch.path + "\": http2: client connection lost");
  }
  const auto took = Clock::now() - started;
  // Nothing read for the read idle timeout, then no ACK for the ping timeout.
  EXPECT_GE(took, 800ms);
  EXPECT_LT(took, 5s);
  EXPECT_GE(server.pings(), 1);
  EXPECT_EQ(c.Get("/after"), "2 /after");
  EXPECT_EQ(server.connections(), 2);
}

TEST(Http2Upkeep, AServerThatAnswersPingsKeepsAQuietWatchAlive) {
  testing::GoawayServer server(Mode::kAnswerAll);
  Config config = server.config();
  config.http2_read_idle_timeout = 300ms;
  config.http2_ping_timeout = 300ms;
  config.idle_conn_timeout = 1s;  // a stream is open: the connection is not idle
  Client c(MakeHttpTransport(config));
  const Response answer = c.transport().Send(QuietWatch(2000));
  EXPECT_EQ(answer.status, 200);
  EXPECT_GE(server.pings(), 2) << "PINGs went while the watch was quiet";
  EXPECT_EQ(c.Get("/next"), "1 /next") << "the same connection goes on";
  EXPECT_EQ(server.connections(), 1);
}

TEST(Http2Upkeep, TheEnvironmentOverridesTheHealthCheckAsForClientGo) {
  testing::GoawayServer server(Mode::kFirstIgnoresPings);
  Config config = server.config();  // 30 s and 15 s, overridden below
  Env env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HTTP2_READ_IDLE_TIMEOUT_SECONDS") return "1";
    if (name == "HTTP2_PING_TIMEOUT_SECONDS") return "1";
    return std::nullopt;
  };
  Client c(MakeHttpTransport(config, env));
  const auto started = Clock::now();
  EXPECT_THROW(c.transport().Send(QuietWatch(60000)), Error);
  EXPECT_LT(Clock::now() - started, 6s);
  EXPECT_EQ(c.Get("/after"), "2 /after");
}

// A server with max_concurrent_streams 2 whose /slow requests wait for the test.
class LimitedServer {
 public:
  LimitedServer() : pki_(certs::MintBundle()) {
    dir_ = std::filesystem::temp_directory_path() / ("kd-h2-limit-" + std::to_string(::getpid()));
    certs::SaveBundle(pki_, dir_);
    SSL_CTX* ctx = kubedouble::testing::ServerContext(pki_);
    net::HttpServerOptions o;
    o.http2 = true;
    o.max_concurrent_streams = 2;
    server_ = std::make_unique<net::HttpServer>(o, ctx, [this](net::Exchange& ex) {
      std::unique_lock<std::mutex> lock(mu_);
      open_.wait_for(lock, 10s, [this] { return opened_; });
      ex.response.set_content("answered", "text/plain");
    });
    SSL_CTX_free(ctx);
    server_->Bind();
    server_->Start();
  }
  ~LimitedServer() {
    Open();
    server_->Stop();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    opened_ = true;
    open_.notify_all();
  }
  int port() const { return server_->port(); }
  std::string ca() const { return (dir_ / "ca.crt").string(); }

 private:
  certs::Bundle pki_;
  std::filesystem::path dir_;
  std::mutex mu_;
  std::condition_variable open_;
  bool opened_ = false;
  std::unique_ptr<net::HttpServer> server_;
};

// Four requests leave together, before the client has read the server's SETTINGS: the two beyond
// the limit are refused (REFUSED_STREAM, not processed: a client sends them again), the two
// within it are answered.
TEST(Http2ServerLimit, StreamsBeyondMaxConcurrentStreamsAreRefused) {
  LimitedServer server;
  kubedouble::testing::H2Client c(server.port(), server.ca());
  ASSERT_TRUE(c.ok());
  c.Hold();
  const int32_t ids[] = {c.Get("/slow"), c.Get("/slow"), c.Get("/slow"), c.Get("/slow")};
  c.Release();
  EXPECT_TRUE(c.RunUntil([&] { return c.reply(ids[2]).done && c.reply(ids[3]).done; }));
  EXPECT_EQ(c.reply(ids[2]).error, uint32_t{NGHTTP2_REFUSED_STREAM});
  EXPECT_EQ(c.reply(ids[3]).error, uint32_t{NGHTTP2_REFUSED_STREAM});
  EXPECT_FALSE(c.reply(ids[0]).done);
  server.Open();
  EXPECT_TRUE(c.RunUntil([&] { return c.reply(ids[0]).done && c.reply(ids[1]).done; }));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(c.reply(ids[i]).status, 200);
    EXPECT_EQ(c.reply(ids[i]).body, "answered");
  }
}

}  // namespace
}  // namespace kubedouble::access
