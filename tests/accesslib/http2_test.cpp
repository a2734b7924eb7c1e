// accesslib speaks HTTP/2 to the fake server when the server offers it in ALPN, as client-go
// does: every verb with its body, watches streamed event by event, one connection reused for
// sequential requests (also through an HTTP CONNECT proxy); HTTP/1.1 when turned off (the
// config or DISABLE_HTTP2) and for upgrades (exec, port-forward), which offer only "http/1.1".
// The server's journal tells which protocol each request came with.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "connect_proxy.h"
#include "kubedouble/accesslib/client.h"
#include "kubedouble/certs/certs.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/server.h"
#include "kubedouble/net/http_server.h"

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

// While one thread's watch holds an h2 connection, the same Client answers other threads' requests
// (on a connection of their own: one request at a time per connection), and they all arrive as
// HTTP/2.
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
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, pki.server.cert.get());
  SSL_CTX_use_PrivateKey(ctx, pki.server.key.get());
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
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate(ctx, pki.server.cert.get());
    SSL_CTX_use_PrivateKey(ctx, pki.server.key.get());
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
