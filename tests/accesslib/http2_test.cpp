// accesslib speaks HTTP/2 to the fake server when the server offers it in ALPN, as client-go
// does: every verb with its body, watches streamed event by event, one connection shared by
// sequential and concurrent requests and watches (also through an HTTP CONNECT proxy), a second
// one only beyond the server's MAX_CONCURRENT_STREAMS; HTTP/1.1 when turned off (the
// config or DISABLE_HTTP2) and for upgrades (exec, port-forward), which offer only "http/1.1".
// The server's journal tells which protocol each request came with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <re2/re2.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connect_proxy.h"
#include "goaway_server.h"
#include "kubedouble/accesslib/client.h"
#include "kubedouble/certs/certs.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/server.h"
#include "kubedouble/net/http_server.h"
#include "net/server_context.h"

namespace kubedouble::access {
namespace {

using fake::ServerOptions;
using fake::TestServer;
using testing::ConnectProxy;

class Http2Client : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(ServerOptions{}); }
  static void TearDownTestSuite() { delete server_; }
  static TestServer& S() { return *server_; }
  static Config Token() {
    KubeconfigOptions o;
    o.explicit_path = S().paths().token_kubeconfig.string();
    return LoadKubeconfig(o);
  }
  // The journal's entries for `path` (query left out) since entry `after`.
  static std::vector<fake::JournalEntry> Entries(const std::string& path, uint64_t after = 0) {
    std::vector<fake::JournalEntry> found;
    for (const auto& e : S().journal().Entries()) {
      if (e.id > after && e.path == path) found.push_back(e);
    }
    return found;
  }
  static uint64_t LastId() {
    auto all = S().journal().Entries();
    return all.empty() ? 0 : all.back().id;
  }
  // Waits (a deadline, not a timing assertion) for an entry for `path` after `after`.
  static fake::JournalEntry AwaitEntry(const std::string& path, uint64_t after) {
    for (int i = 0; i < 500; ++i) {
      auto found = Entries(path, after);
      if (!found.empty()) return found.back();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no journal entry for " << path;
    return {};
  }
  // A watch of default's config maps on `c`, in a thread, until the ADDED event of config map
  // `name` (which sets `seen` and stops the watch: its stream is cancelled). Returns once the
  // watch has answered (its first events are the config maps there are).
  static std::thread WatchUntilAdded(Client& c, const std::string& name, std::atomic<bool>& seen) {
    auto watching = std::make_shared<std::atomic<bool>>(false);
    std::thread watcher([&c, name, &seen, watching] {
      WatchOptions o;
      o.max_reconnects = 0;
      o.timeout_seconds = 30;
      c.Watch(Resource::Core("configmaps"), "default", o, [&](const WatchEvent& e) {
        *watching = true;
        seen = e.type == "ADDED" && e.object["metadata"]["name"] == name;
        return !seen;
      });
    });
    for (int i = 0; i < 500 && !*watching; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return watcher;
  }
  static TestServer* server_;
};
TestServer* Http2Client::server_ = nullptr;

TEST_F(Http2Client, EveryVerbWithItsBodyArrivesOverHttp2) {
  Client c(Token());
  const uint64_t before = LastId();
  EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");
  const json created =
      c.Create(Resource::Core("configmaps"), "default",
               {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", "h2-verbs"}}},
                {"data", {{"big", std::string(100 * 1024, 'x')}}}});  // beyond one DATA frame
  EXPECT_EQ(created["data"]["big"].get<std::string>().size(), 100u * 1024);
  json replaced = created;
  replaced["data"]["k"] = "replaced";
  c.Put("/api/v1/namespaces/default/configmaps/h2-verbs", replaced.dump());
  c.PatchObject(Resource::Core("configmaps"), "default", "h2-verbs",
                {{"data", {{"p", "patched"}}}});
  const json got = c.GetObject(Resource::Core("configmaps"), "default", "h2-verbs");
  EXPECT_EQ(got["data"]["k"], "replaced");
  EXPECT_EQ(got["data"]["p"], "patched");
  c.DeleteObject(Resource::Core("configmaps"), "default", "h2-verbs");
  try {
    c.GetObject(Resource::Core("configmaps"), "default", "h2-verbs");
    ADD_FAILURE() << "the deleted config map is still there";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsNotFound()) << e.what();
  }

  std::vector<std::string> methods;
  for (const auto& e : S().journal().Entries()) {
    if (e.id <= before) continue;
    methods.push_back(e.method);
    EXPECT_EQ(e.protocol, "HTTP/2.0") << e.method << " " << e.path;
  }
  EXPECT_THAT(methods,
              ::testing::ElementsAre("GET", "POST", "PUT", "PATCH", "GET", "DELETE", "GET"));
}

TEST_F(Http2Client, TurnedOffByTheConfigOrDisableHttp2ItSpeaksHttp1) {
  Config off = Token();
  off.disable_http2 = true;
  uint64_t before = LastId();
  Client(off).ApiVersions();
  auto entries = Entries("/api", before);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].protocol, "HTTP/1.1");

  Env env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "DISABLE_HTTP2") return "true";
    return std::nullopt;
  };
  before = LastId();
  Client(MakeTransport(Token(), env)).ApiVersions();
  entries = Entries("/api", before);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].protocol, "HTTP/1.1");
}

TEST_F(Http2Client, AWatchDeliversEachEventAsItComesAndTheConnectionGoesOn) {
  ConnectProxy proxy;  // counts the connections the transport opens
  Config config = Token();
  config.proxy_url = proxy.url();
  Client c(config);
  c.ApiVersions();  // the connection the watch then reuses
  const uint64_t before = LastId();
  std::atomic<bool> seen{false};
  std::thread watcher = WatchUntilAdded(c, "h2-watched", seen);
  Client(Token()).Create(
      Resource::Core("configmaps"), "default",
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "h2-watched"}}}});
  watcher.join();
  EXPECT_TRUE(seen);
  // After the cancelled watch the same connection answers the next request.
  EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");
  EXPECT_EQ(proxy.requests().size(), 1u) << "one tunnel, one HTTP/2 connection";
  // The watch is journaled when its stream ends (the cancel reached the server).
  std::optional<fake::JournalEntry> watch;
  for (int i = 0; i < 500 && !watch; ++i) {
    for (const auto& e : Entries("/api/v1/namespaces/default/configmaps", before)) {
      if (e.query.find("watch=true") != std::string::npos) watch = e;
    }
    if (!watch) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(watch.has_value());
  EXPECT_EQ(watch->protocol, "HTTP/2.0");
  c.DeleteObject(Resource::Core("configmaps"), "default", "h2-watched");
}

// While one thread's watch holds a stream, the same Client answers other threads' requests, and
// they all arrive as HTTP/2.
TEST_F(Http2Client, RequestsGoOnWhileAWatchHoldsAConnection) {
  Client c(Token());
  const uint64_t before = LastId();
  std::atomic<bool> seen{false};
  std::thread watcher = WatchUntilAdded(c, "h2-concurrent", seen);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");
  c.Create(
      Resource::Core("configmaps"), "default",
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "h2-concurrent"}}}});
  watcher.join();
  EXPECT_TRUE(seen);
  c.DeleteObject(Resource::Core("configmaps"), "default", "h2-concurrent");
  const auto apis = Entries("/api", before);
  ASSERT_EQ(apis.size(), 5u);
  for (const auto& e : apis) EXPECT_EQ(e.protocol, "HTTP/2.0");
}

// Several watches of one Client share one connection (one CONNECT tunnel through the proxy), each
// gets its own events; one that stops leaves the others running, and one whose reader is held
// up (inside its callback) does not hold up the others.
TEST_F(Http2Client, WatchesShareOneConnectionAndEachGetsItsOwnEvents) {
  ConnectProxy proxy;
  Config config = Token();
  config.proxy_url = proxy.url();
  Client c(config);
  Client writer(Token());
  const std::vector<std::string> names = {"h2-mux-a", "h2-mux-b", "h2-mux-c"};
  for (const auto& name : names) {
    writer.Create(Resource::Core("configmaps"), "default",
                  {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}});
  }
  std::mutex mu;
  std::condition_variable changed;
  std::map<std::string, std::vector<std::string>> seen;  // watch: the names of its MODIFIED
  std::map<std::string, bool> listed, stopped;
  auto await = [&](auto done) {
    std::unique_lock<std::mutex> lock(mu);
    return changed.wait_for(lock, std::chrono::seconds(20), done);
  };
  std::vector<std::thread> watchers;
  for (const auto& name : names) {
    watchers.emplace_back([&, name] {
      WatchOptions o;
      o.field_selector = "metadata.name=" + name;
      o.max_reconnects = 0;
      o.timeout_seconds = 60;
      o.allow_bookmarks = false;
      c.Watch(Resource::Core("configmaps"), "default", o, [&](const WatchEvent& e) {
        std::unique_lock<std::mutex> lock(mu);
        if (e.type == "ADDED") listed[name] = true;
        if (e.type != "MODIFIED") {
          changed.notify_all();
          return true;
        }
        seen[name].push_back(e.object["metadata"]["name"]);
        changed.notify_all();
        // b's reader is held up until c has its event.
        if (name == "h2-mux-b") {
          changed.wait_for(lock, std::chrono::seconds(20), [&] { return stopped["h2-mux-c"]; });
        }
        stopped[name] = true;
        changed.notify_all();
        return false;
      });
    });
  }
  EXPECT_TRUE(await([&] { return listed.size() == names.size(); }));
  auto touch = [&](const std::string& name) {
    writer.PatchObject(Resource::Core("configmaps"), "default", name,
                       {{"data", {{"touched", "yes"}}}});
  };
  touch("h2-mux-b");  // b's reader takes its event and is held up
  EXPECT_TRUE(await([&] { return seen.count("h2-mux-b") > 0; }));
  touch("h2-mux-a");  // a stops
  EXPECT_TRUE(await([&] { return stopped["h2-mux-a"]; }));
  touch("h2-mux-c");  // c, still watching after a stopped and while b is held up, gets its own
  EXPECT_TRUE(await([&] { return stopped["h2-mux-c"] && stopped["h2-mux-b"]; }));
  for (auto& w : watchers) w.join();
  for (const auto& name : names) {
    EXPECT_THAT(seen[name], ::testing::ElementsAre(name)) << name;
    writer.DeleteObject(Resource::Core("configmaps"), "default", name);
  }
  EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");
  EXPECT_EQ(proxy.requests().size(), 1u) << "the lists, watches and request share one connection";
}

// An HTTPS server with HTTP/2 on, announcing MAX_CONCURRENT_STREAMS `max_streams` (the net
// server's default is 100, as kube-apiserver's), answering with `handler`; up to `workers`
// handlers at once.
class H2Server {
 public:
  H2Server(net::HttpServer::Handler handler, size_t workers = 0, uint32_t max_streams = 100)
      : pki_(certs::MintBundle()) {
    SSL_CTX* ctx = kubedouble::testing::ServerContext(pki_);
    net::HttpServerOptions o;
    o.http2 = true;
    o.max_workers = workers;
    o.max_concurrent_streams = max_streams;
    server_ = std::make_unique<net::HttpServer>(o, ctx, std::move(handler));
    SSL_CTX_free(ctx);
    server_->Bind();
    server_->Start();
  }
  ~H2Server() { server_->Stop(); }
  Config config() const {
    Config config;
    config.server = "https://127.0.0.1:" + std::to_string(server_->port());
    config.ca_data = pki_.ca.cert.Pem();
    return config;
  }
  size_t connections() const { return server_->counts().connections; }

 private:
  certs::Bundle pki_;
  std::unique_ptr<net::HttpServer> server_;
};

// A handler that answers (its protocol) once `expected` requests are in at once, or after a
// deadline so that a failing test ends; it tells whether they were all under way together.
class Gathering {
 public:
  explicit Gathering(size_t expected) : expected_(expected) {}
  void operator()(net::Exchange& ex) {
    std::unique_lock<std::mutex> lock(mu_);
    ++in_;
    all_in_.notify_all();
    all_in_.wait_for(lock, std::chrono::seconds(20), [this] { return in_ >= expected_; });
    ex.response.set_content(ex.request.version, "text/plain");
  }
  bool AllTogether() {
    std::lock_guard<std::mutex> lock(mu_);
    return in_ >= expected_;
  }

 private:
  const size_t expected_;
  std::mutex mu_;
  std::condition_variable all_in_;
  size_t in_ = 0;
};

// `n` threads each send one request through one Client to a server that answers once all `n`
// are in (and takes `max_streams` streams per connection): how many connections the server had
// then (each answer is checked to be HTTP/2's).
size_t ConnectionsForRequestsAtOnce(size_t n, uint32_t max_streams = 100) {
  Gathering gathering(n);
  H2Server server([&](net::Exchange& ex) { gathering(ex); }, n + 8, max_streams);
  Client c(MakeHttpTransport(server.config()));
  std::vector<std::string> answers(n);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&c, &answers, i] {
      try {
        answers[i] = c.Get("/together/" + std::to_string(i));
      } catch (const Error& e) {
        answers[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(answers, ::testing::Each(std::string("HTTP/2.0")));
  EXPECT_TRUE(gathering.AllTogether()) << "the " << n << " requests were under way at once";
  return server.connections();
}

// Requests from several threads at once share one TCP connection, a stream each, as client-go's.
TEST(Http2Multiplexing, ConcurrentRequestsShareOneConnection) {
  EXPECT_EQ(ConnectionsForRequestsAtOnce(8), 1u);
}

// One request beyond the server's MAX_CONCURRENT_STREAMS (here 4) while 4 are under way goes on
// a second connection, as Go's transport opens one when the first is full.
TEST(Http2Multiplexing, BeyondMaxConcurrentStreamsASecondConnection) {
  EXPECT_EQ(ConnectionsForRequestsAtOnce(5, 4), 2u);
}

// A reader that holds its stream up (12 MiB coming, three times the 4 MiB stream window) does
// not hold up the other requests on the connection; once it reads on, the whole answer arrives
// (the window opens again as it reads).
TEST(Http2Multiplexing, AHeldUpReaderDoesNotHoldUpTheOthers) {
  const std::string big(12 << 20, 'x');
  H2Server server([&](net::Exchange& ex) {
    if (ex.request.path == "/big") return ex.response.set_content(big, "text/plain");
    ex.response.set_content("small", "text/plain");
  });
  Client c(MakeHttpTransport(server.config()));
  std::mutex mu;
  std::condition_variable cv;
  bool first_piece = false, others_done = false;
  size_t received = 0;
  std::thread reader([&] {
    Request r;
    r.path = "/big";
    r.on_body = [&](std::string_view piece) {
      std::unique_lock<std::mutex> lock(mu);
      received += piece.size();
      if (!first_piece) {
        first_piece = true;
        cv.notify_all();
        cv.wait_for(lock, std::chrono::seconds(20), [&] { return others_done; });
      }
      return true;
    };
    c.transport().Send(r);
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return first_piece; }));
  }
  for (int i = 0; i < 5; ++i) EXPECT_EQ(c.Get("/small"), "small");
  {
    std::lock_guard<std::mutex> lock(mu);
    others_done = true;
    cv.notify_all();
  }
  reader.join();
  EXPECT_EQ(received, big.size());
  EXPECT_EQ(server.connections(), 1u);
}

// The connection fails (the server resets it) under two watches and a request: each of them
// ends with the connection's failure, as a connect error in Go's words.
TEST(Http2Multiplexing, AFailedConnectionFailsEveryStreamOnIt) {
  TestServer s;
  fake::FaultRule reset;
  reset.name = "reset";
  reset.match.path = "/version";
  reset.match.path_re = std::make_shared<re2::RE2>(reset.match.path);
  reset.action = fake::FaultAction::kConnectionReset;
  s.server().faults().Add(reset);
  KubeconfigOptions o;
  o.explicit_path = s.paths().token_kubeconfig.string();
  Client c(LoadKubeconfig(o));
  std::mutex mu;
  std::condition_variable cv;
  size_t watching = 0;
  std::vector<std::string> errors;
  std::vector<std::thread> watches;
  for (int i = 0; i < 2; ++i) {
    watches.emplace_back([&] {
      Request r;
      r.path = "/api/v1/namespaces/default/configmaps?watch=true";
      r.on_head = [&](const Response&) {
        std::lock_guard<std::mutex> lock(mu);
        ++watching;
        cv.notify_all();
        return true;
      };
      r.on_body = [](std::string_view) { return true; };
      try {
        c.transport().Send(r);
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back("the watch ended without an error");
      } catch (const Error& e) {
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back(e.what());
        EXPECT_EQ(e.kind(), ErrorKind::kConnectOther);
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return watching == 2; }));
  }
  try {
    c.Get("/version");
    ADD_FAILURE() << "the reset request succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "Get \"" + s.url() + "/version\": http2: client connection lost");
  }
  for (auto& w : watches) w.join();
  const std::string lost = "Get \"" + s.url() +
                           "/api/v1/namespaces/default/configmaps?watch=true\": http2: client "
                           "connection lost";
  EXPECT_THAT(errors, ::testing::ElementsAre(lost, lost));
}

// Two requests at once on one connection; the server's GOAWAY says it took only the first
// (LastStreamID=1): the first is answered there, the second is sent again on a new connection
// and answered there, as Go's transport retries a stream the server did not process.
TEST(Http2Multiplexing, AStreamAboveGoawaysLastStreamIdIsSentAgainOnANewConnection) {
  testing::GoawayServer server;
  std::string first, second;
  {
    Client c(MakeHttpTransport(server.config()));
    auto get = [&c](const std::string& path) {
      try {
        return c.Get(path);
      } catch (const Error& e) {
        return std::string(e.what());
      }
    };
    std::thread other([&] { first = get("/first"); });
    second = get("/second");
    other.join();
  }
  std::vector<std::string> answers = {first, second};
  std::sort(answers.begin(), answers.end());
  // Stream 1 (whichever request it carried) answered on connection 1, stream 3 on connection 2.
  EXPECT_THAT(answers,
              ::testing::ElementsAre(::testing::StartsWith("1 /"), ::testing::StartsWith("2 /")));
  EXPECT_NE(answers[0].substr(2), answers[1].substr(2));
  EXPECT_EQ(server.connections(), 2);
}

// A gzip answer the request asked for is decompressed over HTTP/2 as httplib does over HTTP/1.1
// (the encoding and compressed length dropped, as Go's transport drops them); with
// disable-compression the caller gets the bytes as they came.
TEST_F(Http2Client, AGzipAnswerIsDecompressedUnlessCompressionIsOff) {
  Request r;
  r.path = "/api";
  r.headers.emplace("Accept-Encoding", "gzip");
  const Response plain = Client(Token()).Do(r);
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(json::parse(plain.body)["kind"], "APIVersions");
  EXPECT_EQ(plain.Header("Content-Encoding"), "");
  Config raw = Token();
  raw.disable_compression = true;
  const Response gzipped = Client(raw).Do(r);
  EXPECT_EQ(gzipped.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(gzipped.body.substr(0, 2), "\x1f\x8b");  // gzip's magic bytes
}

// exec and port-forward leave HTTP: their handshake offers only "http/1.1", as client-go's SPDY
// round tripper does, while the same transport's other requests stay on HTTP/2.
TEST_F(Http2Client, UpgradesGoOverHttp1) {
  Client c(Token());
  struct Case {
    std::string path, query, protocol;
  };
  const Case cases[] = {
      {"/api/v1/namespaces/default/pods/redis-0/exec", "command=true&stdout=true",
       "v4.channel.k8s.io"},
      {"/api/v1/namespaces/default/pods/redis-0/portforward", "ports=6379", "portforward.k8s.io"},
  };
  for (const Case& k : cases) {
    const uint64_t before = LastId();
    Request up;
    up.method = "POST";
    up.path = k.path + "?" + k.query;
    up.headers.emplace("Connection", "Upgrade");
    up.headers.emplace("Upgrade", "SPDY/3.1");
    up.headers.emplace("X-Stream-Protocol-Version", k.protocol);
    Response head;
    std::unique_ptr<Tunnel> tunnel = c.transport().Upgrade(up, &head);
    ASSERT_EQ(head.status, 101) << k.path << ": " << head.body;
    ASSERT_NE(tunnel, nullptr);
    tunnel.reset();  // the stream ends; the server journals it
    const fake::JournalEntry e = AwaitEntry(k.path, before);
    EXPECT_EQ(e.protocol, "HTTP/1.1") << k.path;
    EXPECT_EQ(e.status, 101) << k.path;
  }
  const uint64_t before = LastId();
  c.ApiVersions();
  auto after = Entries("/api", before);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].protocol, "HTTP/2.0");
}

// A connection the server reset under a request: the error names HTTP/2's failure, as a
// connection error (the request is not retried: it was sent on a fresh connection).
TEST(Http2ClientFailures, AConnectionResetUnderTheRequestIsAConnectError) {
  TestServer s;
  fake::FaultRule reset;
  reset.name = "reset";
  reset.match.path = "/api";
  reset.action = fake::FaultAction::kConnectionReset;
  s.server().faults().Add(reset);
  KubeconfigOptions o;
  o.explicit_path = s.paths().token_kubeconfig.string();
  try {
    Client(LoadKubeconfig(o)).ApiVersions();
    ADD_FAILURE() << "the request succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnectOther) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("Get \"" + s.url() + "/api\": http2: "));
  }
  // The reset request is journaled (fault "reset") once its handler has returned.
  std::vector<fake::JournalEntry> entries;
  for (int i = 0; i < 500 && entries.empty(); ++i) {
    entries = s.journal().Entries();
    if (entries.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().protocol, "HTTP/2.0");
}

// A stream the server resets (RST_STREAM; here HTTP_1_1_REQUIRED, a handler's upgrade over h2)
// is a connect error that names the code, Go's words; the connection stays and serves the next
// request.
TEST(Http2ClientFailures, AStreamResetIsAConnectErrorAndTheConnectionGoesOn) {
  const certs::Bundle pki = certs::MintBundle();
  SSL_CTX* ctx = kubedouble::testing::ServerContext(pki);
  net::HttpServerOptions o;
  o.http2 = true;
  net::HttpServer server(o, ctx, [](net::Exchange& ex) {
    if (ex.request.path == "/reset") return ex.Upgrade([](net::UpgradedStream&) {});
    ex.response.set_content(ex.request.version, "text/plain");
  });
  SSL_CTX_free(ctx);
  server.Bind();
  server.Start();
  Config config;
  config.server = "https://127.0.0.1:" + std::to_string(server.port());
  config.ca_data = pki.ca.cert.Pem();
  Client c(MakeHttpTransport(config));
  EXPECT_EQ(c.Get("/before"), "HTTP/2.0");
  try {
    c.Get("/reset");
    ADD_FAILURE() << "the reset request succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kConnectOther);
    EXPECT_EQ(std::string(e.what()),
              "Get \"" + config.server +
                  "/reset\": stream error: stream ID 3; HTTP_1_1_REQUIRED; received from peer");
  }
  EXPECT_EQ(c.Get("/after"), "HTTP/2.0");
  EXPECT_EQ(server.counts().connections, 1u);
  server.Stop();
}

// The server restarts between two requests (GOAWAY, then its connections close): the pooled h2
// connection is not used again, and the next request reaches the new server on a new one.
TEST(Http2ClientFailures, AfterTheServersGoawayTheNextRequestDialsAnew) {
  const certs::Bundle pki = certs::MintBundle();
  auto serve = [&pki](int port) {
    SSL_CTX* ctx = kubedouble::testing::ServerContext(pki);
    net::HttpServerOptions o;
    o.http2 = true;
    o.port = port;
    auto server = std::make_unique<net::HttpServer>(o, ctx, [port](net::Exchange& ex) {
      ex.response.set_content(port == 0 ? "first" : "second", "text/plain");
    });
    SSL_CTX_free(ctx);
    server->Bind();
    server->Start();
    return server;
  };
  auto first = serve(0);
  const int port = first->port();
  Config config;
  config.server = "https://127.0.0.1:" + std::to_string(port);
  config.ca_data = pki.ca.cert.Pem();
  Client c(MakeHttpTransport(config));
  EXPECT_EQ(c.Get("/"), "first");
  first->Stop();  // GOAWAY to the idle connection, which then closes
  first.reset();
  auto second = serve(port);
  EXPECT_EQ(c.Get("/"), "second");
  second->Stop();
}

}  // namespace
}  // namespace kubedouble::access
