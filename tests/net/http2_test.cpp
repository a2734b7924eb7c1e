// net::HttpServer over HTTP/2 (ALPN "h2"): the same handlers answer on streams of one connection
// (an informer's list and watches multiplexed), request bodies, flow control across windows,
// a client's RST_STREAM as the stream's hang-up, GOAWAY at Stop() with the stream in flight
// finished, HTTP/1.1 kept for clients that do not offer h2 and when HTTP/2 is off, requests
// answered at once answered by the event loop.
#include <gtest/gtest.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/net/http_server.h>
#include <openssl/ssl.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/h2_client.h"
#include "counting_text.h"
#include "counts_become.h"
#include "reliability/raw_tls.h"
#include "server_context.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;

// A gate the test opens; handlers wait at it (or see that their client has gone).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int gone = 0;  // hang-ups told
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  void HungUp() {
    std::lock_guard lock(mu);
    ++gone;
    cv.notify_all();
  }
  bool WaitForHangUps(int n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return gone >= n; });
  }
};

// The bodies /shared and /shared-big answer with (Exchange::ShareBody).
const std::shared_ptr<const std::string>& SharedText() {
  static const auto text = std::make_shared<const std::string>(Counting(100000));
  return text;
}
const std::shared_ptr<const std::string>& SharedBig() {
  static const auto big = std::make_shared<const std::string>(Counting(4 << 20));
  return big;
}

// /watch?name=N: a chunk "N-1\n", then (once the gate opens) "N-2\n" and the end; a hang-up ends
// it early. /slow: 200 "slow" once the gate opens. /echo: method, version and body. /header: the
// Authorization header in brackets. /id?n=N: "id-N". /shared, /shared-big: a shared body
// (SharedText, SharedBig) as application/json. Otherwise "list" (or /big: 2 MiB from a provider).
net::HttpServer::Handler Handler(std::shared_ptr<Gate> gate) {
  return [gate](net::Exchange& ex) {
    const httplib::Request& req = ex.request;
    if (req.path == "/shared" || req.path == "/shared-big") {
      ex.response.set_header("Content-Type", "application/json");
      ex.ShareBody(req.path == "/shared" ? SharedText() : SharedBig());
    } else if (req.path == "/watch") {
      ex.OnHangUp([gate] { gate->HungUp(); });
      const std::string name = req.get_param_value("name");
      auto step = std::make_shared<int>(0);
      auto* exchange = &ex;
      ex.response.set_chunked_content_provider(
          "text/plain", [gate, name, step, exchange](size_t, httplib::DataSink& sink) {
            if (*step == 0) {
              ++*step;
              const std::string first = name + "-1\n";
              return sink.write(first.data(), first.size());
            }
            std::unique_lock lock(gate->mu);
            gate->cv.wait(lock, [&] { return gate->open || exchange->hung_up(); });
            lock.unlock();
            if (exchange->hung_up()) return false;
            const std::string second = name + "-2\n";
            sink.write(second.data(), second.size());
            sink.done();
            return true;
          });
    } else if (req.path == "/slow") {
      std::unique_lock lock(gate->mu);
      gate->cv.wait(lock, [&] { return gate->open; });
      ex.response.set_content("slow", "text/plain");
    } else if (req.path == "/echo") {
      std::string body;
      if (ex.has_body()) {
        ex.body()([&](const char* d, size_t n) {
          body.append(d, n);
          return true;
        });
      }
      ex.response.set_content(req.method + " " + req.version + " " + body, "text/plain");
    } else if (req.path == "/thread") {  // who answers: "kd-loop" or "kd-worker"
      char name[32] = "";
      pthread_getname_np(pthread_self(), name, sizeof name);
      ex.response.set_content(name, "text/plain");
    } else if (req.path == "/id") {
      ex.response.set_content("id-" + req.get_param_value("n"), "text/plain");
    } else if (req.path == "/header") {
      ex.response.set_content("[" + req.get_header_value("Authorization") + "]", "text/plain");
    } else if (req.path == "/big") {
      ex.response.set_chunked_content_provider(
          "text/plain", [](size_t offset, httplib::DataSink& sink) {
            const std::string block(64 * 1024, static_cast<char>('a' + (offset / 65536) % 26));
            if (!sink.write(block.data(), block.size())) return false;
            if (offset + block.size() >= 2u << 20) sink.done();
            return true;
          });
    } else {
      ex.response.set_content("list", "text/plain");
    }
  };
}

class Http2Test : public ::testing::Test {
 protected:
  void Start(bool http2 = true, std::function<bool(const httplib::Request&)> at_once = {}) {
    bundle_ = certs::MintBundle();
    dir_ = fs::temp_directory_path() / ("kd-h2-" + std::to_string(::getpid()));
    certs::SaveBundle(bundle_, dir_);
    SSL_CTX* ctx = kubedouble::testing::ServerContext(bundle_);
    net::HttpServerOptions o;
    o.http2 = http2;
    o.answers_at_once = std::move(at_once);
    server_ = std::make_unique<net::HttpServer>(
        o, ctx, Handler(gate_), [this](const httplib::Request& req, int status) {
          std::lock_guard lock(refusals_mu_);
          refusals_.push_back(req.method + " " + req.path + " " + std::to_string(status));
        });
    SSL_CTX_free(ctx);
    server_->Bind();
    server_->Start();
  }
  void TearDown() override {
    gate_->Open();
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }
  std::string ca() const { return (dir_ / "ca.crt").string(); }
  bool CountsBecome(const std::function<bool(const net::HttpServer::Counts&)>& pred) {
    return testing::CountsBecome(*server_, pred);
  }

  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  certs::Bundle bundle_;
  fs::path dir_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex refusals_mu_;
  std::vector<std::string> refusals_;  // what the refused hook was told: "GET /x 400"
};

TEST_F(Http2Test, AlpnChoosesH2AndTheHandlerAnswersWithBodiesBothWays) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok()) << "ALPN chose '" << c.alpn() << "'";
  const int32_t get = c.Get("/x");
  const int32_t post = c.Request("POST", "/echo", "hello body", {{"content-type", "text/plain"}});
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(get).done && c.reply(post).done; }));
  EXPECT_EQ(c.reply(get).status, 200);
  EXPECT_EQ(c.reply(get).body, "list");
  EXPECT_EQ(c.reply(post).body, "POST HTTP/2.0 hello body");
  // Connection-specific headers never go out over HTTP/2.
  EXPECT_EQ(c.reply(get).headers.count("connection"), 0u);
  EXPECT_EQ(c.reply(get).headers.find("content-length")->second, "4");
  EXPECT_EQ(server_->counts().http2, 1u);
}

TEST_F(Http2Test, WatchesAndAListShareOneConnectionEachGettingItsOwnEvents) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t pods = c.Get("/watch?name=pods");
  const int32_t cms = c.Get("/watch?name=cms");
  ASSERT_TRUE(c.RunUntil(
      [&] { return c.reply(pods).body == "pods-1\n" && c.reply(cms).body == "cms-1\n"; }));
  // Both watches are open; a list on the same connection is answered meanwhile.
  const int32_t list = c.Get("/list");
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(list).done; }));
  EXPECT_EQ(c.reply(list).body, "list");
  EXPECT_FALSE(c.reply(pods).done);
  EXPECT_EQ(server_->counts().streams, 2u);
  gate_->Open();
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(pods).done && c.reply(cms).done; }));
  EXPECT_EQ(c.reply(pods).body, "pods-1\npods-2\n");
  EXPECT_EQ(c.reply(cms).body, "cms-1\ncms-2\n");
  EXPECT_EQ(c.reply(pods).error, 0u);
  EXPECT_EQ(server_->counts().connections, 1u);
}

TEST_F(Http2Test, AnAnswerLargerThanTheFlowControlWindowsArrivesWhole) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t big = c.Get("/big");
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(big).done; }));
  ASSERT_EQ(c.reply(big).body.size(), 2u << 20);  // 32 client windows of 64 KiB
  EXPECT_EQ(c.reply(big).body[0], 'a');
  EXPECT_EQ(c.reply(big).body.back(), 'f');
}

TEST_F(Http2Test, AClientResetEndsThatStreamsHandlerOnly) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t a = c.Get("/watch?name=a");
  const int32_t b = c.Get("/watch?name=b");
  ASSERT_TRUE(c.RunUntil([&] { return !c.reply(a).body.empty() && !c.reply(b).body.empty(); }));
  c.Reset(a);
  ASSERT_TRUE(gate_->WaitForHangUps(1));
  EXPECT_TRUE(CountsBecome([](const auto& n) { return n.streams == 1; }));
  EXPECT_EQ(gate_->gone, 1);  // b's handler still runs
  gate_->Open();
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(b).done; }));
  EXPECT_EQ(c.reply(b).body, "b-1\nb-2\n");
  EXPECT_TRUE(CountsBecome([](const auto& n) { return n.streams == 0 && n.active == 0; }));
}

TEST_F(Http2Test, StopSendsGoawayFinishesTheStreamInFlightAndEndsWatches) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t watch = c.Get("/watch?name=w");
  const int32_t slow = c.Get("/slow");
  ASSERT_TRUE(c.RunUntil([&] { return !c.reply(watch).body.empty(); }));
  ASSERT_TRUE(CountsBecome([](const auto& n) { return n.streams == 2; }));
  std::thread stopper([&] { server_->Stop(); });
  ASSERT_TRUE(c.RunUntil([&] { return c.goaway() && c.reply(watch).done; }));
  EXPECT_FALSE(c.reply(slow).done);
  gate_->Open();
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(slow).done; }));
  EXPECT_EQ(c.reply(slow).status, 200);
  EXPECT_EQ(c.reply(slow).body, "slow");
  stopper.join();
  EXPECT_TRUE(c.RunUntil([&] { return c.eof(); }));
}

// HTTP/1.1's connection headers (an exec's Upgrade, say) and a TE other than "trailers" are not
// valid in HTTP/2: Go's server, and so kube-apiserver, answers 400 with a line naming the header,
// without running the handler; the server's refused hook is told. The connection goes on.
TEST_F(Http2Test, ConnectionHeadersAreAnswered400AsGoDoes) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t upgrade = c.Request("GET", "/echo", {}, {{"upgrade", "websocket"}});
  const int32_t both =
      c.Request("GET", "/echo", {}, {{"upgrade", "SPDY/3.1"}, {"connection", "Upgrade"}});
  const int32_t te = c.Request("GET", "/echo", {}, {{"te", "gzip"}});
  const int32_t trailers = c.Request("GET", "/echo", {}, {{"te", "trailers"}});
  ASSERT_TRUE(c.RunUntil([&] {
    return c.reply(upgrade).done && c.reply(both).done && c.reply(te).done &&
           c.reply(trailers).done;
  }));
  EXPECT_EQ(c.reply(upgrade).status, 400);
  EXPECT_EQ(c.reply(upgrade).body, "request header \"Upgrade\" is not valid in HTTP/2\n");
  auto type = c.reply(upgrade).headers.find("content-type");
  ASSERT_NE(type, c.reply(upgrade).headers.end());
  EXPECT_EQ(type->second, "text/plain; charset=utf-8");
  EXPECT_EQ(c.reply(both).body, "request header \"Connection\" is not valid in HTTP/2\n");
  EXPECT_EQ(c.reply(te).status, 400);
  EXPECT_EQ(c.reply(te).body, "request header \"TE\" may only be \"trailers\" in HTTP/2\n");
  EXPECT_EQ(c.reply(trailers).status, 200);
  EXPECT_EQ(c.reply(trailers).body, "GET HTTP/2.0 ");
  std::lock_guard lock(refusals_mu_);
  EXPECT_EQ(refusals_,
            (std::vector<std::string>{"GET /echo 400", "GET /echo 400", "GET /echo 400"}));
}

// What nghttp2 checked before is still checked: a malformed request is reset (PROTOCOL_ERROR),
// its handler never runs, and the connection goes on.
TEST_F(Http2Test, MalformedRequestsAreResetAndTheConnectionGoesOn) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t bad_name = c.Request("GET", "/echo", {}, {{"bad@name", "1"}});  // not a token
  const int32_t twice = c.Request("GET", "/echo", {}, {{":path", "/x"}});
  const int32_t late = c.Request("GET", "/echo", {}, {{"x-a", "1"}, {":unknown", "2"}});
  const int32_t longer = c.Request("POST", "/echo", "abcdef", {{"content-length", "3"}});
  const int32_t shorter = c.Request("POST", "/echo", "ab", {{"content-length", "3"}});
  const int32_t bad_length = c.Request("POST", "/echo", "ab", {{"content-length", "2x"}});
  const int32_t right = c.Request("POST", "/echo", "abc", {{"content-length", "3"}});
  const int32_t after = c.Get("/x");
  ASSERT_TRUE(c.RunUntil([&] {
    for (int32_t id : {bad_name, twice, late, longer, shorter, bad_length, right, after}) {
      if (!c.reply(id).done) return false;
    }
    return true;
  }));
  for (int32_t id : {bad_name, twice, late, longer, shorter, bad_length}) {
    EXPECT_EQ(c.reply(id).error, static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR)) << id;
    EXPECT_EQ(c.reply(id).status, 0) << id;
  }
  EXPECT_EQ(c.reply(right).body, "POST HTTP/2.0 abc");
  EXPECT_EQ(c.reply(after).body, "list");
}

// kubectl sends "Authorization: Bearer " for a blank token: Go's server takes a value with blanks
// around it, and so does this one (trimmed, as over HTTP/1.1), instead of a PROTOCOL_ERROR reset.
TEST_F(Http2Test, AHeaderValueWithBlanksAroundItIsTakenTrimmed) {
  Start();
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t id = c.Request("GET", "/header", {}, {{"authorization", "Bearer  "}});
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(id).done; }));
  EXPECT_EQ(c.reply(id).error, 0u);
  EXPECT_EQ(c.reply(id).body, "[Bearer]");
}

TEST_F(Http2Test, HttpOneStaysForClientsWithoutH2AndWhenHttp2IsOff) {
  Start();
  {
    H2Client only_http1(server_->port(), ca(), std::string("\x08http/1.1", 9));
    ASSERT_TRUE(only_http1.handshaken());
    EXPECT_EQ(only_http1.alpn(), "http/1.1");
  }
  RawConn raw(server_->port());  // no ALPN at all
  ASSERT_TRUE(raw.Handshake(ca()));
  ASSERT_TRUE(raw.Send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawReply r = raw.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "list");
}

// Requests the server is told are answered at once, sent together, are each answered with their
// own answer; one that may wait (not among them) holds none of them back.
TEST_F(Http2Test, RequestsAnsweredAtOnceArriveTogetherAndASlowOneHoldsNoneBack) {
  Start(true, [](const httplib::Request& req) { return req.path == "/id"; });
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  c.Hold();  // read together by the server
  const int32_t slow = c.Get("/slow");
  std::vector<int32_t> ids;
  for (int i = 0; i < 50; ++i) ids.push_back(c.Get("/id?n=" + std::to_string(i)));
  c.Release();
  ASSERT_TRUE(c.RunUntil([&] {
    return std::all_of(ids.begin(), ids.end(), [&](int32_t id) { return c.reply(id).done; });
  }));
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(c.reply(ids[i]).status, 200);
    EXPECT_EQ(c.reply(ids[i]).body, "id-" + std::to_string(i));
  }
  EXPECT_FALSE(c.reply(slow).done);
  gate_->Open();
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(slow).done; }));
  EXPECT_EQ(c.reply(slow).body, "slow");
}

TEST_F(Http2Test, ARequestAnsweredAtOnceIsAnsweredByTheLoopAndOthersByWorkers) {
  Start(true, [](const httplib::Request& req) { return req.has_param("quick"); });
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  const int32_t quick = c.Get("/thread?quick=1");
  const int32_t other = c.Get("/thread");
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(quick).done && c.reply(other).done; }));
  EXPECT_EQ(c.reply(quick).body, "kd-loop");
  EXPECT_EQ(c.reply(other).body, "kd-worker");
}

TEST_F(Http2Test, WithHttp2OffAlpnChoosesHttp1) {
  Start(/*http2=*/false);
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.handshaken());
  EXPECT_EQ(c.alpn(), "http/1.1");
  EXPECT_FALSE(c.ok());
}

// A shared body (Exchange::ShareBody) arrives byte for byte in DATA frames, with its
// Content-Length, answered by the loop or by a worker; HEAD gets the head only.
TEST_F(Http2Test, ASharedBodyArrivesAsItIsWithItsLength) {
  Start(true, [](const httplib::Request& req) { return req.has_param("quick"); });
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  for (const std::string query : {"?quick=1", ""}) {
    SCOPED_TRACE(query);
    const int32_t get = c.Get("/shared" + query);
    const int32_t head = c.Request("HEAD", "/shared" + query);
    ASSERT_TRUE(c.RunUntil([&] { return c.reply(get).done && c.reply(head).done; }));
    EXPECT_EQ(c.reply(get).status, 200);
    EXPECT_TRUE(c.reply(get).body == *SharedText()) << c.reply(get).body.size() << " bytes";
    EXPECT_EQ(c.reply(get).headers.find("content-length")->second, "100000");
    EXPECT_EQ(c.reply(get).headers.find("content-type")->second, "application/json");
    EXPECT_EQ(c.reply(head).status, 200);
    EXPECT_EQ(c.reply(head).body, "");
    EXPECT_EQ(c.reply(head).headers.find("content-length")->second, "100000");
  }
}

// A shared body of many flow-control windows, to a client that reads late, arrives whole; so do
// several at once on one connection.
TEST_F(Http2Test, ABigSharedBodyReachesASlowReaderWhole) {
  Start(true, [](const httplib::Request& req) { return req.has_param("quick"); });
  H2Client c(server_->port(), ca());
  ASSERT_TRUE(c.ok());
  std::vector<int32_t> ids = {c.Get("/shared-big?quick=1"), c.Get("/shared-big"),
                              c.Get("/shared-big?quick=1")};
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the windows fill, unread
  ASSERT_TRUE(c.RunUntil(
      [&] {
        return std::all_of(ids.begin(), ids.end(), [&](int32_t id) { return c.reply(id).done; });
      },
      std::chrono::seconds(30)));
  for (int32_t id : ids) {
    EXPECT_EQ(c.reply(id).error, 0u);
    EXPECT_EQ(c.reply(id).body.size(), SharedBig()->size());
    EXPECT_TRUE(c.reply(id).body == *SharedBig());
  }
}

}  // namespace
}  // namespace kubedouble::testing
