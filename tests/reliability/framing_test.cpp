// Hostile framing over a real TLS connection to an in-process server: what a client sees when it
// smuggles a request in a GET's body, sends heads beyond Go's limits or broken framing, sends a
// body without credentials, or holds a connection without finishing its head
// (net/src/request_framing.h, net/http_server.h).
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "raw_tls.h"

namespace kubedouble::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

const char kRootCa[] = "/api/v1/namespaces/default/configmaps/kube-root-ca.crt";

std::string Head(const std::string& method, const std::string& target, const std::string& headers) {
  return method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

class FramingTest : public ::testing::Test {
 protected:
  explicit FramingTest(fake::ServerOptions o = {}) : srv_(std::move(o)) {}

  // A new TLS connection to the server, handshake done.
  std::unique_ptr<RawConn> Connect() {
    auto c = std::make_unique<RawConn>(srv_.port());
    EXPECT_TRUE(c->ok());
    EXPECT_TRUE(c->Handshake(srv_.paths().ca_crt.string()));
    return c;
  }
  std::string Auth() const { return "Authorization: Bearer " + srv_.paths().admin_token + "\r\n"; }

  // The server still answers, and the configmap a smuggled DELETE aimed at is still there.
  void ExpectRootCaThere() {
    auto c = Connect();
    ASSERT_TRUE(c->Send(Head("GET", kRootCa, Auth())));
    EXPECT_EQ(c->Read().status, 200) << "kube-root-ca.crt was deleted";
  }

  fake::TestServer srv_;
};

const std::string kSmuggled =
    "DELETE /api/v1/namespaces/default/configmaps/kube-root-ca.crt HTTP/1.1\r\n"
    "Host: 127.0.0.1\r\n\r\n";

TEST_F(FramingTest, GetBodyIsReadAndDiscardedNeverRunAsARequest) {
  auto c = Connect();
  // The smuggled request carries the admin's credentials, as a proxy in front would add them.
  std::string smuggled =
      "DELETE " + std::string(kRootCa) + " HTTP/1.1\r\nHost: x\r\n" + Auth() + "\r\n";
  ASSERT_TRUE(c->Send(
      Head("GET", "/api", Auth() + "Content-Length: " + std::to_string(smuggled.size()) + "\r\n") +
      smuggled));
  EXPECT_EQ(c->Read().status, 200);
  // The connection goes on with the next real request; the body was never a request.
  ASSERT_TRUE(c->Send(Head("GET", "/version", Auth())));
  RawReply next = c->Read();
  EXPECT_EQ(next.status, 200);
  EXPECT_NE(next.body.find("gitVersion"), std::string::npos) << next.body;
  ExpectRootCaThere();
  // Exactly two requests reached the journal on that connection's behalf.
  int deletes = 0;
  for (const auto& e : srv_.journal().Entries()) deletes += e.method == "DELETE";
  EXPECT_EQ(deletes, 0);
}

TEST_F(FramingTest, ChunkedGetBodyIsDiscardedToo) {
  auto c = Connect();
  std::string smuggled =
      "DELETE " + std::string(kRootCa) + " HTTP/1.1\r\nHost: x\r\n" + Auth() + "\r\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", smuggled.size());
  ASSERT_TRUE(c->Send(Head("GET", "/api", Auth() + "Transfer-Encoding: chunked\r\n") + size +
                      "\r\n" + smuggled + "\r\n0\r\n\r\n"));
  EXPECT_EQ(c->Read().status, 200);
  ASSERT_TRUE(c->Send(Head("GET", "/version", Auth())));
  EXPECT_EQ(c->Read().status, 200);
  ExpectRootCaThere();
}

TEST_F(FramingTest, DiscardedBodyOverItsLimitEndsTheConnection) {
  auto c = Connect();
  ASSERT_TRUE(c->Send(Head("GET", "/api", Auth() + "Content-Length: 10000000\r\n")));
  EXPECT_EQ(c->Read().status, 200);
  c->Send(std::string(300 * 1024, 'x') + kSmuggled);
  RawReply r = c->Read(5);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.closed);
  ExpectRootCaThere();
}

TEST_F(FramingTest, LineWithoutEndIsRefusedAt431WithoutBeingHeld) {
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /api HTTP/1.1\r\nX-Long: "));
  // Go's limit is 1 MiB for the whole head; the server answers once a line passes 64 KiB.
  c->Send(std::string(200 * 1024, 'a'));
  RawReply r = c->Read();
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.body, "431 Request Header Fields Too Large");
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos);
  ExpectRootCaThere();
}

TEST_F(FramingTest, TooManyHeadersAre431) {
  auto c = Connect();
  std::string many;
  for (int i = 0; i < 1500; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  c->Send(Head("GET", "/api", Auth() + many));
  EXPECT_EQ(c->Read().status, 431);
}

TEST_F(FramingTest, HeadOverOneMebibyteIs431) {
  auto c = Connect();
  std::string big;
  for (int i = 0; i < 200; ++i)
    big += "X-" + std::to_string(i) + ": " + std::string(6000, 'v') + "\r\n";
  c->Send(Head("GET", "/api", Auth() + big));
  EXPECT_EQ(c->Read().status, 431);
}

struct Refused {
  const char* name;
  std::string headers;
  int status;
  const char* body;
};

TEST_F(FramingTest, HeadersGoRefusesAreRefusedWithGosAnswer) {
  const std::string auth = Auth();
  const Refused cases[] = {
      {"NUL inside the token",
       "Authorization: Bearer " + srv_.paths().admin_token + std::string(1, '\0') + "junk\r\n", 400,
       "400 Bad Request: invalid header value"},
      {"a control character", auth + "X-A: a\x01z\r\n", 400,
       "400 Bad Request: invalid header value"},
      {"a space in a name", auth + "X A: b\r\n", 400, "400 Bad Request: invalid header name"},
      {"a line without a colon", auth + "no colon here\r\n", 400, "400 Bad Request"},
      {"Content-Length +N", auth + "Content-Length: +2\r\n", 400, "400 Bad Request"},
      {"Content-Length with a space inside", auth + "Content-Length: 1 2\r\n", 400,
       "400 Bad Request"},
      {"two different Content-Lengths", auth + "Content-Length: 2\r\nContent-Length: 3\r\n", 400,
       "400 Bad Request"},
      {"an unknown transfer coding", auth + "Transfer-Encoding: gzip\r\n", 501,
       "Unsupported transfer encoding"},
      {"chunked twice", auth + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 501,
       "Unsupported transfer encoding"},
      {"a coding list", auth + "Transfer-Encoding: gzip, chunked\r\n", 501,
       "Unsupported transfer encoding"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    auto c = Connect();
    ASSERT_TRUE(c->Send(Head("POST", "/api/v1/namespaces/default/configmaps", tc.headers) + "{}"));
    RawReply r = c->Read();
    EXPECT_EQ(r.status, tc.status) << r.head;
    EXPECT_EQ(r.body, tc.body);
    EXPECT_TRUE(c->Read(2).closed);
  }
  ExpectRootCaThere();
}

TEST_F(FramingTest, UnauthenticatedBodyIsNeverRead) {
  // The head announces 256 MiB, and no body byte is sent: the 401 comes at once.
  for (const std::string framing :
       {"Content-Length: 268435456\r\n", "Transfer-Encoding: chunked\r\n"}) {
    SCOPED_TRACE(framing);
    auto c = Connect();
    ASSERT_TRUE(c->Send(Head("POST", "/api/v1/namespaces/default/configmaps",
                             "Content-Type: application/json\r\n" + framing)));
    RawReply r = c->Read(5);
    EXPECT_EQ(r.status, 401) << r.head;
    // The unread body must never be read as a request: the connection ends after the answer.
    c->Send("x");
    EXPECT_TRUE(c->Read(5).closed);
  }
}

TEST_F(FramingTest, ChunkedBodyOverTheLimitIs413WhileReading) {
  auto c = Connect();
  ASSERT_TRUE(c->Send(Head("POST", "/api/v1/namespaces/default/configmaps",
                           Auth() + "Content-Type: application/json\r\n"
                                    "Transfer-Encoding: chunked\r\n")));
  std::string chunk = "100000\r\n" + std::string(0x100000, ' ') + "\r\n";  // 1 MiB
  for (int i = 0; i < 4; ++i) {
    if (!c->Send(chunk)) break;  // the server may answer and stop reading first
  }
  RawReply r = c->Read();
  EXPECT_EQ(r.status, 413) << r.head;
  EXPECT_EQ(json::parse(r.body)["message"], "Request entity too large: limit is 3145728");
}

TEST_F(FramingTest, BodyWithoutLengthIsEmptyNotReadToTheEnd) {
  auto c = Connect();
  // No Content-Length, no Transfer-Encoding: like Go, an empty body (400: not a JSON object).
  ASSERT_TRUE(c->Send(Head("POST", "/api/v1/namespaces/default/configmaps",
                           Auth() + "Content-Type: application/json\r\n")));
  RawReply r = c->Read(5);
  EXPECT_EQ(r.status, 400) << r.head;
  ASSERT_TRUE(c->Send(Head("GET", "/version", Auth())));
  EXPECT_EQ(c->Read().status, 200);
}

TEST_F(FramingTest, BearerIsReadAsKubeApiserverReadsIt) {
  auto c = Connect();
  // kube-apiserver takes the second of three space-separated words.
  ASSERT_TRUE(c->Send(Head("GET", "/api/v1/namespaces/default/pods",
                           "Authorization: bearer " + srv_.paths().admin_token + " extra\r\n")));
  EXPECT_EQ(c->Read().status, 200);
  // Two spaces: kube-apiserver finds no token; kubedouble takes it (the seed page's command sends
  // such a header) and says in a Warning that a real server would not.
  ASSERT_TRUE(c->Send(Head("GET", "/api/v1/namespaces/default/pods",
                           "Authorization: Bearer  " + srv_.paths().admin_token + "\r\n")));
  RawReply r = c->Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Warning: 299 - \"the Authorization header has more than one space"),
            std::string::npos)
      << r.head;
  ASSERT_TRUE(
      c->Send(Head("GET", "/api/v1/namespaces/default/pods", "Authorization: Bearer  \r\n")));
  EXPECT_EQ(c->Read().status, 401);
}

TEST_F(FramingTest, JsonWithByteOrderMarkIs400) {
  auto c = Connect();
  std::string body =
      "\xEF\xBB\xBF" +
      json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "bom"}}}}.dump();
  ASSERT_TRUE(c->Send(Head("POST", "/api/v1/namespaces/default/configmaps",
                           Auth() + "Content-Type: application/json\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\n") +
                      body));
  RawReply r = c->Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["message"].get<std::string>().find("invalid character"),
            std::string::npos);
}

TEST_F(FramingTest, WatchWithTimeoutZeroStaysOpen) {
  auto c = Connect();
  ASSERT_TRUE(c->Send(Head("GET",
                           "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=0"
                           "&resourceVersion=0",
                           Auth())));
  RawReply head = c->ReadHead();
  ASSERT_EQ(head.status, 200);
  // The stream does not end within a second (the last chunk of a chunked body: "0\r\n\r\n").
  std::string stream;
  char buf[4096];
  for (auto until = std::chrono::steady_clock::now() + 1s;
       std::chrono::steady_clock::now() < until;) {
    int n = c->ReadSome(buf, sizeof buf, 200ms);
    if (n < 0) break;
    stream.append(buf, static_cast<size_t>(n));
  }
  bool ended =
      stream.rfind("0\r\n\r\n", 0) == 0 || stream.find("\r\n0\r\n\r\n") != std::string::npos;
  EXPECT_FALSE(ended) << "the watch ended at once: " << stream;
}

// Every answered request reaches the journal, also those the listener answers itself before any
// handler: a head it cannot parse (400), a request line over 8 KiB (414), framing Go refuses
// (400, 501), and a body over the limit (413).
TEST_F(FramingTest, AnswersOfTheListenerAreJournaled) {
  struct Refusal {
    const char* name;
    std::string bytes;
    int status;
    std::string path;  // as journaled ("" when the head was refused before its request line)
  };
  const Refusal cases[] = {
      {"unknown method", Head("FOO", "/api/foo", Auth()), 400, ""},
      {"request line over 8 KiB", Head("GET", "/api/" + std::string(9000, 'a'), Auth()), 414, ""},
      {"a space in a header name", Head("GET", "/api/space", Auth() + "X A: b\r\n"), 400, ""},
      {"an unknown transfer coding",
       Head("POST", "/api/v1/namespaces/default/configmaps",
            Auth() + "Transfer-Encoding: gzip\r\n"),
       501, ""},
      {"a body over 3 MiB",
       Head("POST", "/api/v1/namespaces/default/configmaps",
            Auth() + "Content-Type: application/json\r\nContent-Length: 4194304\r\n"),
       413, "/api/v1/namespaces/default/configmaps"},
  };
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.name);
    const size_t before = srv_.journal().Entries().size();
    auto c = Connect();
    ASSERT_TRUE(c->Send(tc.bytes));
    EXPECT_EQ(c->Read(5).status, tc.status);
    const auto entries = srv_.journal().Entries();  // journaled before the answer was sent
    ASSERT_EQ(entries.size(), before + 1);
    EXPECT_EQ(entries.back().status, tc.status);
    if (!tc.path.empty()) {
      EXPECT_EQ(entries.back().path, tc.path);
    }
  }
}

class OneConnectionTest : public FramingTest {
 protected:
  static fake::ServerOptions Options() {
    fake::ServerOptions o;
    o.max_connections = 1;
    return o;
  }
  OneConnectionTest() : FramingTest(Options()) {}
};

// A request over --max-connections is answered 429 and journaled like any other.
TEST_F(OneConnectionTest, RefusalOverTheLimitIsJournaled) {
  auto held = Connect();
  ASSERT_TRUE(held->Send(Head("GET", "/version", Auth())));
  ASSERT_EQ(held->Read().status, 200);
  auto extra = Connect();
  ASSERT_TRUE(extra->Send(Head("GET", "/api/v1/namespaces", Auth())));
  RawReply r = extra->Read(5);
  EXPECT_EQ(r.status, 429) << r.head;
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos) << r.head;
  auto entries = srv_.journal().Entries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().status, 429);
  EXPECT_EQ(entries.back().path, "/api/v1/namespaces");
}

class HeadTimeoutTest : public FramingTest {
 protected:
  static fake::ServerOptions Options() {
    fake::ServerOptions o;
    o.head_timeout = 300ms;
    return o;
  }
  HeadTimeoutTest() : FramingTest(Options()) {}
};

TEST_F(HeadTimeoutTest, UnfinishedHeadAndSilentSessionEnd) {
  auto slow = Connect();
  ASSERT_TRUE(slow->Send("GET /api HTTP/1.1\r\nHost: x\r\n"));
  auto silent = Connect();
  RawConn tcp_only(srv_.port());
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(slow->Read(5).closed);
  EXPECT_TRUE(silent->Read(5).closed);
  tcp_only.Handshake(srv_.paths().ca_crt.string());  // a late handshake finds the socket closed
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  // A whole request, slow but within the timeout, is answered.
  auto c = Connect();
  ASSERT_TRUE(c->Send("GET /version HTTP/1.1\r\n"));
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(c->Send("Host: x\r\n" + Auth() + "\r\n"));
  EXPECT_EQ(c->Read().status, 200);
}

}  // namespace
}  // namespace kubedouble::testing
