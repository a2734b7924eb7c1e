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

}  // namespace
}  // namespace kubedouble::testing
