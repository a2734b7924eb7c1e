// A streamed answer that waits without a thread (net::StreamWaker, exchange.h), over HTTP/1.1
// and HTTP/2: many such answers are open at once on a pool of one worker, each hears every
// wake-up, one asks to be woken at a time and then ends, a client's hang-up (a close, an
// RST_STREAM) ends its answer, Stop() ends the rest, and a parked answer keeps nothing of its
// exchange.
#include <gtest/gtest.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/net/http_server.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/h2_client.h"
#include "counts_become.h"
#include "reliability/raw_tls.h"
#include "server_context.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// What the test publishes and every open answer sends: "tick N\n" for each tick, woken by
// Tick() rather than by waiting.
class Ticker {
 public:
  void Add(std::shared_ptr<net::StreamWaker> waker) {
    std::lock_guard lock(mu_);
    wakers_.push_back(std::move(waker));
  }
  void Tick() {
    std::vector<std::shared_ptr<net::StreamWaker>> wakers;
    {
      std::lock_guard lock(mu_);
      ++ticks_;
      wakers = wakers_;
    }
    for (auto& w : wakers) w->Wake();
  }
  int ticks() {
    std::lock_guard lock(mu_);
    return ticks_;
  }
  // Something each handler leaves in its exchange (a stand-in for the request's headers and
  // parameters), and how many of them are still held.
  std::shared_ptr<int> Mark() {
    auto mark = std::make_shared<int>(0);
    std::lock_guard lock(mu_);
    marks_.push_back(mark);
    return mark;
  }
  int marks_held() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& m : marks_) n += !m.expired();
    return n;
  }
  std::atomic<int> ended{0};  // answers whose provider said it was over

 private:
  std::mutex mu_;
  int ticks_ = 0;
  std::vector<std::shared_ptr<net::StreamWaker>> wakers_;
  std::vector<std::weak_ptr<int>> marks_;
};

// /ticks: "tick N\n" for every tick, until the client goes. /ticks?for_ms=M: the same, ending
// (the last chunk) M ms after it began, woken for it by the server's timer.
net::HttpServer::Handler Handler(std::shared_ptr<Ticker> ticker) {
  return [ticker](net::Exchange& ex) {
    std::shared_ptr<net::StreamWaker> waker = ex.WakeableStream();
    ticker->Add(waker);
    ex.request.progress = [mark = ticker->Mark()](uint64_t, uint64_t) { return true; };
    std::optional<Clock::time_point> end;
    if (ex.request.has_param("for_ms")) {
      end =
          Clock::now() + std::chrono::milliseconds(std::stoi(ex.request.get_param_value("for_ms")));
    }
    auto sent = std::make_shared<int>(0);
    ex.response.set_chunked_content_provider(
        "text/plain", [ticker, waker, end, sent](size_t, httplib::DataSink& sink) {
          if (!sink.is_writable()) {
            ++ticker->ended;
            return false;
          }
          if (*sent < ticker->ticks()) {
            const std::string line = "tick " + std::to_string(++*sent) + "\n";
            return sink.write(line.data(), line.size());
          }
          if (end && Clock::now() >= *end) {
            ++ticker->ended;
            sink.done();
            return true;
          }
          waker->Idle(end.value_or(Clock::now() + std::chrono::hours(1)));
          return true;
        });
  };
}

class WakeableStreamTest : public ::testing::Test {
 protected:
  void Start(bool http2) {
    bundle_ = certs::MintBundle();
    dir_ = fs::temp_directory_path() / ("kd-wake-" + std::to_string(::getpid()));
    certs::SaveBundle(bundle_, dir_);
    SSL_CTX* ctx = kubedouble::testing::ServerContext(bundle_);
    net::HttpServerOptions o;
    o.http2 = http2;
    o.max_workers = 1;  // every open answer shares the one worker
    server_ = std::make_unique<net::HttpServer>(o, ctx, Handler(ticker_));
    SSL_CTX_free(ctx);
    server_->Bind();
    server_->Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }
  std::string ca() const { return (dir_ / "ca.crt").string(); }
  bool CountsBecome(const std::function<bool(const net::HttpServer::Counts&)>& pred) {
    return testing::CountsBecome(*server_, pred);
  }
  // Reads from `c` until what came holds `text` (10 s at most).
  static bool ReadUntil(RawConn& c, std::string& got, const std::string& text) {
    char buf[4096];
    for (int i = 0; i < 100 && got.find(text) == std::string::npos; ++i) {
      const int n = c.ReadSome(buf, sizeof buf, std::chrono::milliseconds(100));
      if (n < 0) break;
      got.append(buf, static_cast<size_t>(std::max(n, 0)));
    }
    return got.find(text) != std::string::npos;
  }

  std::shared_ptr<Ticker> ticker_ = std::make_shared<Ticker>();
  certs::Bundle bundle_;
  fs::path dir_;
  std::unique_ptr<net::HttpServer> server_;
};

constexpr int kStreams = 20;

TEST_F(WakeableStreamTest, ManyOpenAnswersShareOneWorkerOverHttp1AndEachHearsEveryWake) {
  Start(false);
  std::vector<std::unique_ptr<RawConn>> conns;
  std::vector<std::string> got(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    conns.push_back(std::make_unique<RawConn>(server_->port()));
    ASSERT_TRUE(conns.back()->Handshake(ca()));
    ASSERT_TRUE(conns.back()->Send("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(ReadUntil(*conns.back(), got[i], "\r\n\r\n")) << "stream " << i;
  }
  for (int tick = 1; tick <= 3; ++tick) {
    ticker_->Tick();
    for (int i = 0; i < kStreams; ++i) {
      EXPECT_TRUE(ReadUntil(*conns[i], got[i], "tick " + std::to_string(tick) + "\n"))
          << "stream " << i << " got: " << got[i];
    }
  }
  // A blocking provider would hold one worker each (20, and the pool would grow for them).
  EXPECT_LE(server_->counts().workers, 2u);
  EXPECT_EQ(server_->counts().active, static_cast<size_t>(kStreams));

  conns.front()->Close();  // a client hangs up: its answer ends, the others stay
  EXPECT_TRUE(CountsBecome([](const net::HttpServer::Counts& c) {
    return c.active == static_cast<size_t>(kStreams - 1);
  }));
  EXPECT_EQ(ticker_->ended.load(), 1);
  server_->Stop();  // the rest end with it
  EXPECT_EQ(server_->counts().connections, 0u);
  EXPECT_EQ(ticker_->ended.load(), kStreams);
}

// A parked answer keeps its provider and nothing of its exchange (the request's headers and
// parameters: thousands of watches wait at once), and still hears every wake-up.
TEST_F(WakeableStreamTest, AParkedAnswerKeepsNothingOfItsExchange) {
  Start(false);
  std::vector<std::unique_ptr<RawConn>> conns;
  std::vector<std::string> got(3);
  for (int i = 0; i < 3; ++i) {
    conns.push_back(std::make_unique<RawConn>(server_->port()));
    ASSERT_TRUE(conns.back()->Handshake(ca()));
    ASSERT_TRUE(conns.back()->Send(
        "GET /ticks?a=b HTTP/1.1\r\nHost: x\r\nX-Long: " + std::string(200, 'v') + "\r\n\r\n"));
    ASSERT_TRUE(ReadUntil(*conns.back(), got[i], "\r\n\r\n")) << "stream " << i;
  }
  ticker_->Tick();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(ReadUntil(*conns[i], got[i], "tick 1\n"));
  EXPECT_EQ(ticker_->marks_held(), 0);
  ticker_->Tick();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(ReadUntil(*conns[i], got[i], "tick 2\n"));
  EXPECT_EQ(server_->counts().active, 3u);
}

TEST_F(WakeableStreamTest, AnAnswerWokenByItsTimeEndsOverHttp1AndTheConnectionServesAgain) {
  Start(false);
  auto c = std::make_unique<RawConn>(server_->port());
  ASSERT_TRUE(c->Handshake(ca()));
  ASSERT_TRUE(c->Send("GET /ticks?for_ms=200 HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = c->Read(10);  // to its last chunk, which only the timer brings
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.closed);
  EXPECT_EQ(ticker_->ended.load(), 1);
  ASSERT_TRUE(c->Send("GET /ticks?for_ms=1 HTTP/1.1\r\nHost: x\r\n\r\n"));  // keep-alive
  EXPECT_EQ(c->Read(10).status, 200);
}

TEST_F(WakeableStreamTest, ManyOpenAnswersShareOneWorkerOverHttp2AndAResetEndsOne) {
  Start(true);
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok()) << "ALPN chose '" << c.alpn() << "'";
  std::vector<int32_t> ids;
  for (int i = 0; i < kStreams; ++i) ids.push_back(c.Get("/ticks"));
  ASSERT_TRUE(c.RunUntil([&] {
    for (int32_t id : ids) {
      if (c.reply(id).status != 200) return false;
    }
    return true;
  }));
  for (int tick = 1; tick <= 3; ++tick) {
    ticker_->Tick();
    const std::string line = "tick " + std::to_string(tick) + "\n";
    EXPECT_TRUE(c.RunUntil([&] {
      for (int32_t id : ids) {
        if (c.reply(id).body.find(line) == std::string::npos) return false;
      }
      return true;
    })) << line;
  }
  EXPECT_LE(server_->counts().workers, 2u);
  EXPECT_EQ(server_->counts().streams, static_cast<size_t>(kStreams));

  c.Reset(ids.front());  // RST_STREAM: that answer ends, the others stay
  EXPECT_TRUE(CountsBecome([](const net::HttpServer::Counts& counts) {
    return counts.streams == static_cast<size_t>(kStreams - 1);
  }));
  for (int i = 0; i < 100 && ticker_->ended.load() < 1; ++i) {
    ticker_->Tick();  // its provider hears of the end when it is called next
    c.RunUntil([] { return false; }, std::chrono::milliseconds(20));
  }
  EXPECT_GE(ticker_->ended.load(), 1);
  std::thread stopper([this] { server_->Stop(); });  // GOAWAY; every open answer ends
  c.RunUntil([&] { return c.eof(); }, std::chrono::seconds(20));
  stopper.join();
  EXPECT_EQ(server_->counts().connections, 0u);
}

TEST_F(WakeableStreamTest, AnAnswerWokenByItsTimeEndsOverHttp2) {
  Start(true);
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t id = c.Get("/ticks?for_ms=200");
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(id).done; }));
  EXPECT_EQ(c.reply(id).status, 200);
  EXPECT_EQ(c.reply(id).error, 0u);
  EXPECT_EQ(ticker_->ended.load(), 1);
}

}  // namespace
}  // namespace kubedouble::testing
