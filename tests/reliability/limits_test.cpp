// The server's limits (fakeserver/README.md, "Limits"): each one reached gives a clear answer —
// 429 TooManyRequests with a Status and Retry-After, or 413 — never a hang or a silent drop,
// and the server serves again once the load is gone.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "common/temp_dir.h"
#include "raw_tls.h"
#include "serve_process.h"

namespace kubedouble::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Get(const std::string& target, const std::string& token) {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token +
         "\r\n\r\n";
}

std::string Header(const std::string& head, const std::string& name) {
  std::string lower_head, lower_name = "\r\n" + name + ":";
  for (char c : head) lower_head += static_cast<char>(std::tolower(c));
  for (char& c : lower_name) c = static_cast<char>(std::tolower(c));
  auto at = lower_head.find(lower_name);
  if (at == std::string::npos) return "";
  auto start = head.find_first_not_of(' ', at + lower_name.size());
  return head.substr(start, head.find("\r\n", start) - start);
}

// A TLS connection that asked for `target` and read the answer's head (the body unread).
struct Open {
  std::unique_ptr<RawConn> conn;
  RawReply head;
};
Open Ask(int port, const fs::path& dir, const std::string& target) {
  Open o{std::make_unique<RawConn>(port), {}};
  if (!o.conn->Handshake((dir / "pki" / "ca.crt").string())) return o;
  o.conn->Send(Get(target, AdminToken(dir)));
  o.head = o.conn->ReadHead(10);
  return o;
}

void ExpectTooMany(const RawReply& head, const std::string& body, const std::string& words) {
  EXPECT_EQ(head.status, 429) << head.head;
  EXPECT_EQ(Header(head.head, "Retry-After"), "1") << head.head;
  json status = json::parse(body, nullptr, false);
  ASSERT_TRUE(status.is_object()) << body;
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "TooManyRequests");
  EXPECT_EQ(status["code"], 429);
  EXPECT_EQ(status["details"]["retryAfterSeconds"], 1);
  EXPECT_NE(status["message"].get<std::string>().find(words), std::string::npos) << body;
}

// --max-connections 8: eight keep-alive connections are served; the ninth is answered 429
// (Status, Retry-After: 1, Connection: close); once one of the eight leaves, a new one is served.
TEST(LimitsTest, MaxConnectionsAnswers429ThenServesAgain) {
  test::TempDir tmp;
  fs::path dir = tmp / "maxconn";
  ServeProcess serve(dir, {"--max-connections", "8"});
  ASSERT_TRUE(serve.ok()) << serve.log();
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(std::make_unique<RawConn>(serve.port()));
    ASSERT_TRUE(held.back()->Handshake((dir / "pki" / "ca.crt").string()));
    held.back()->Send(Get("/version", AdminToken(dir)));
    ASSERT_EQ(held.back()->Read().status, 200) << "connection " << i;
  }
  for (int i = 0; i < 3; ++i) {  // refused every time, promptly
    RawConn extra(serve.port());
    ASSERT_TRUE(extra.Handshake((dir / "pki" / "ca.crt").string()));
    extra.Send(Get("/api/v1/namespaces", AdminToken(dir)));
    RawReply r = extra.Read(10);
    ExpectTooMany(r, r.body, "too many connections: this server serves 8 at once");
    EXPECT_EQ(Header(r.head, "Connection"), "close");
  }
  held.pop_back();  // one client leaves
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    RawConn again(serve.port());
    ASSERT_TRUE(again.Handshake((dir / "pki" / "ca.crt").string()));
    again.Send(Get("/version", AdminToken(dir)));
    status = again.Read(10).status;
    if (status != 200) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(status, 200);
  held.clear();
  EXPECT_EQ(serve.Signal(SIGTERM, seconds(10)), 0) << serve.log();
  fs::remove_all(dir);
}

// --max-watches 3: the fourth watch is answered 429 while other requests are served; once a
// watcher hangs up, a new watch is accepted.
TEST(LimitsTest, MaxWatchesAnswers429ThenAcceptsAgain) {
  test::TempDir tmp;
  fs::path dir = tmp / "maxwatch";
  ServeProcess serve(dir, {"--max-watches", "3"});
  ASSERT_TRUE(serve.ok()) << serve.log();
  const std::string watch = "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0";
  std::vector<Open> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(Ask(serve.port(), dir, watch));
    ASSERT_EQ(watches.back().head.status, 200) << watches.back().head.head;
  }
  RawConn fourth(serve.port());
  ASSERT_TRUE(fourth.Handshake((dir / "pki" / "ca.crt").string()));
  fourth.Send(Get("/api/v1/pods?watch=true", AdminToken(dir)));
  RawReply refused = fourth.Read(10);
  ExpectTooMany(refused, refused.body, "too many watches: this server serves 3 at once");
  Open list = Ask(serve.port(), dir, "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(list.head.status, 200);

  watches.front().conn->Close();  // a watcher hangs up
  watches.erase(watches.begin());
  int status = 0;
  for (int attempt = 0; attempt < 50 && status != 200; ++attempt) {
    Open again = Ask(serve.port(), dir, watch);
    status = again.head.status;
    if (status == 200) watches.push_back(std::move(again));
    if (status != 200) std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(status, 200);
  watches.clear();
  EXPECT_EQ(serve.Signal(SIGTERM, seconds(10)), 0) << serve.log();
  fs::remove_all(dir);
}

// --journal-size 5: the journal keeps the last five requests (the oldest fall out, the ids go
// on counting). (Bodies over 3 MiB, 413 with a Status: BadInputTest.)
TEST(LimitsTest, JournalKeepsTheLastEntries) {
  test::TempDir tmp;
  fs::path dir = tmp / "journal";
  ServeProcess serve(dir, {"--journal-size", "5"});
  ASSERT_TRUE(serve.ok()) << serve.log();
  httplib::SSLClient c("127.0.0.1", serve.port());
  c.set_ca_cert_path((dir / "pki" / "ca.crt").c_str());
  c.enable_server_certificate_verification(true);
  c.set_bearer_token_auth(AdminToken(dir).c_str());
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.Get("/version?n=" + std::to_string(i))->status, 200);
  auto journal = c.Get("/__kubedouble/requests");
  ASSERT_TRUE(journal && journal->status == 200);
  json j = json::parse(journal->body);
  ASSERT_EQ(j["count"], 5);
  EXPECT_EQ(j["requests"][4]["query"], "n=19");
  EXPECT_EQ(j["requests"][0]["id"], 16);
  EXPECT_EQ(serve.Signal(SIGTERM, seconds(10)), 0) << serve.log();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kubedouble::testing
