#include <kubedouble/fakeserver/journal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "client.h"

namespace kubedouble::testing {
namespace {

TEST(Journal, RecordsEveryRequestWithoutCredentials) {
  test::TempDir tmp;
  auto file = tmp.path() / "journal.jsonl";
  fake::TestServer srv({.journal_file = file});
  auto c = Client(srv, AdminToken(srv));
  c->Get("/api/v1/namespaces/default/pods?limit=5");
  Client(srv, {"wrong-token", "", ""})->Get("/api");
  auto entries = srv.journal().Entries();
  ASSERT_EQ(entries.size(), 2u);
  const auto& e = entries[0];
  EXPECT_EQ(e.method, "GET");
  EXPECT_EQ(e.path, "/api/v1/namespaces/default/pods");
  EXPECT_EQ(e.query, "limit=5");
  EXPECT_EQ(e.user, "kubedouble-admin");
  EXPECT_EQ(e.auth_method, "token");
  EXPECT_EQ(e.status, 200);
  EXPECT_THAT(e.tls_version, ::testing::StartsWith("TLSv1."));
  EXPECT_EQ(e.protocol, "HTTP/1.1");  // cpp-httplib offers no ALPN
  EXPECT_EQ(entries[1].status, 401);
  EXPECT_EQ(entries[1].user, "");

  std::string text = ReadText(file);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(text.find(srv.paths().admin_token), std::string::npos);
  EXPECT_EQ(text.find("wrong-token"), std::string::npos);
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  json first = json::parse(line);
  EXPECT_EQ(first["user"], "kubedouble-admin");
  EXPECT_EQ(first["groups"], json({"system:masters", "system:authenticated"}));
  EXPECT_EQ(first["status"], 200);
  EXPECT_TRUE(first.contains("durationMicros"));
}

// kube-apiserver does not authenticate by `?access_token=` (only OpenShift once did): the
// request is anonymous, and the token is not written to the journal nor its file (created 0600).
TEST(Journal, AccessTokenInTheQueryIsRefusedAndRedacted) {
  test::TempDir tmp;
  auto file = tmp.path() / "journal.jsonl";
  fake::TestServer srv({.journal_file = file});
  const std::string token = srv.paths().admin_token;
  std::string target = "/api/v1/namespaces/default/secrets?limit=1&access_token=";
  target += token;
  auto r = Client(srv)->Get(target);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  auto entries = srv.journal().Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].query, "access_token=[redacted]&limit=1");
  EXPECT_EQ(entries[0].path.find(token), std::string::npos);
  std::string text = ReadText(file);
  EXPECT_EQ(text.find(token), std::string::npos);
  EXPECT_NE(text.find("access_token=[redacted]"), std::string::npos);
  auto mode = std::filesystem::status(file).permissions();
  EXPECT_EQ(mode, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(Journal, IsABoundedRing) {
  fake::Journal j(3);
  for (int i = 0; i < 5; ++i) j.Record({.path = "/" + std::to_string(i)});
  auto entries = j.Entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries.front().path, "/2");
  EXPECT_EQ(entries.back().path, "/4");
  EXPECT_EQ(entries.back().id, 5u);
  EXPECT_EQ(j.total(), 5u);
}

// The journal file's lines are exactly the entries' JSON (JournalEntry::ToJson, compact), whatever
// the entry carries: optional fields, escapes, UTF-8 and invalid bytes.
TEST(Journal, FileLinesAreTheEntriesJson) {
  test::TempDir tmp;
  auto file = tmp.path() / "journal.jsonl";
  fake::Journal j(10, file);
  fake::JournalEntry plain;
  plain.audit_id = "0b7f2b8e-6f0e-4d4c-9d7a-3c1f3f0f7a11";
  plain.time = std::chrono::system_clock::from_time_t(1767323045) + std::chrono::microseconds(42);
  plain.method = "GET";
  plain.path = "/api/v1/namespaces/default/pods";
  plain.query = "limit=500&labelSelector=app in (a,b)";
  plain.user = "kubedouble-admin";
  plain.groups = {"system:masters", "system:authenticated"};
  plain.auth_method = "token";
  plain.tls_version = "TLSv1.3";
  plain.protocol = "HTTP/2.0";
  plain.user_agent = "kubectl/v1.32.0 (linux/amd64) kubernetes/abc";
  plain.status = 200;
  plain.duration = std::chrono::microseconds(177);
  fake::JournalEntry full = plain;
  full.fault = "rule slow: delay 200ms";
  full.proxied_to = "10.244.0.5:80 (pod default/web-0, container web)";
  full.impersonator = "admin";
  full.impersonator_groups = {"system:masters"};
  full.client_cert_subject = "CN=kubedouble-admin, O=system:masters";
  full.upgrade = "v5.channel.k8s.io";
  full.stream_duration = std::chrono::microseconds(1234567);
  full.exit_code = -1;
  full.forwarded_connections = 2;
  full.refused_connections = 0;
  fake::JournalEntry odd;
  odd.path = "/a\"b\\c\x01\td\u00e9\xff/";
  odd.user_agent = "\x7f\"";
  odd.query = "x=\xc3";
  odd.status = 0;
  fake::JournalEntry stream_only = plain;  // an upgrade without an exit code or connections
  stream_only.upgrade = "SPDY/3.1";
  for (const auto& e : {plain, full, odd, stream_only, fake::JournalEntry{}}) j.Record(e);

  std::istringstream lines(ReadText(file));
  std::string line;
  size_t n = 0;
  for (const auto& e : j.Entries()) {
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_EQ(line, e.ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    ++n;
  }
  EXPECT_EQ(n, 5u);
  EXPECT_FALSE(std::getline(lines, line));
}

}  // namespace
}  // namespace kubedouble::testing
