// Faults as real clients see them: curl and an HTTPS client against a TestServer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/faults.h>
#include <kubedouble/fakeserver/journal.h>

#include <fstream>
#include <thread>

#include "common/temp_dir.h"
#include "sh.h"

namespace kubedouble::faults_test {
namespace {

using fake::JournalEntry;
using fake::TestServer;
using ::testing::HasSubstr;

// The journal entry of the last request to `path`. A request whose connection a fault severed
// is journaled once its handler returns, which may be just after the client saw the reset:
// wait for it (up to 5 s).
JournalEntry Last(TestServer& s, const std::string& path) {
  for (int i = 0; i < 500; ++i) {
    auto found = s.journal().Find([&](const JournalEntry& e) { return e.path == path; });
    if (!found.empty()) return found.back();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return JournalEntry{};
}

void AddRule(TestServer& s, const json& rule) {
  s.server().faults().Add(fake::ParseFaultRule(rule));
}

TEST(Faults, FromAFileAStatusWithRetryAfterThenTheRealAnswer) {
  test::TempDir dir;
  std::ofstream(dir / "faults.yaml") << R"(
faults:
- name: throttle
  match: {verb: list, resource: pods, namespace: default}
  status: 429
  retryAfterSeconds: 7
  times: 1
)";
  fake::ServerOptions o;
  o.faults = fake::LoadFaultsFile(dir / "faults.yaml");
  TestServer s(o);
  std::string token = s.paths().admin_token;
  auto first = Call(s, "GET", "/api/v1/namespaces/default/pods", token);
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.Header("Retry-After"), "7");
  json status = first.Json();
  EXPECT_EQ(status["reason"], "TooManyRequests");
  EXPECT_EQ(status["details"]["retryAfterSeconds"], 7);
  EXPECT_EQ(Last(s, "/api/v1/namespaces/default/pods").fault, "rule throttle: status 429");
  // Other requests are untouched, and `times: 1` is used up.
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/kube-system/pods", token).status, 200);
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/default/pods", token).status, 200);
  EXPECT_EQ(Last(s, "/api/v1/namespaces/default/pods").fault, "");
}

// A C++ user gives the rules as values; the admin API still changes them at run time.
TEST(Faults, RulesGivenAsValuesFireAndTheAdminApiReplacesThem) {
  TestServer s({.faults = {fake::ParseFaultRule(
                    {{"name", "down"}, {"match", {{"resource", "secrets"}}}, {"status", 503}})}});
  std::string token = s.paths().admin_token;
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/default/secrets", token).status, 503);
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/default/pods", token).status, 200);
  EXPECT_EQ(Admin(s, "DELETE", "faults/down").status, 200);
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/default/secrets", token).status, 200);
}

TEST(Faults, ABadFaultsFileStopsStartUpNamingFileAndRule) {
  test::TempDir dir;
  auto file = dir.Write("bad-faults.yaml", "- status: 503\n- status: 503\n  times: -1\n");
  try {
    fake::LoadFaultsFile(file);
    FAIL() << "loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              file.string() + ": rule 2: times must be from 0 to 9223372036854775807, not -1");
  }
  auto serve = Sh(std::string(KUBEDOUBLE_BINARY) + " serve --port 0 --dir " + file.string() +
                  ".d --faults " + file.string());
  EXPECT_NE(serve.code, 0);
  EXPECT_THAT(serve.output, HasSubstr(": rule 2: times must be"));
}

TEST(Faults, ConnectionResetIsARealReset) {
  TestServer s;
  AddRule(s, {{"match", {{"path", "/api/v1/namespaces"}}}, {"action", "connection-reset"}});
  auto curl = Curl(s, "--http1.1 " + s.url() + "/api/v1/namespaces");
  EXPECT_EQ(curl.code, 56) << curl.output;  // CURLE_RECV_ERROR
  EXPECT_THAT(curl.output, HasSubstr("reset by peer"));
  auto e = Last(s, "/api/v1/namespaces");
  EXPECT_EQ(e.status, 0);
  EXPECT_EQ(e.fault, "rule rule-1: connection-reset");
  // The server keeps serving.
  EXPECT_EQ(Call(s, "GET", "/api/v1/namespaces/default", s.paths().admin_token).status, 200);
}

TEST(Faults, EmptyResponseClosesWithoutAnswering) {
  TestServer s;
  AddRule(s, {{"action", "empty-response"}, {"match", {{"verb", "get"}}}});
  auto curl = Curl(s, "--http1.1 " + s.url() + "/api/v1/namespaces/default");
  EXPECT_EQ(curl.code, 52) << curl.output;  // CURLE_GOT_NOTHING
  EXPECT_THAT(curl.output, HasSubstr("Empty reply from server"));
}

// Over HTTP/2 the connection faults act on the whole connection, as a network fault would (every
// stream on it fails): a reset is a TCP reset, an empty response a connection closed before the
// stream's answer.
TEST(Faults, OverHttp2ConnectionFaultsEndTheConnection) {
  TestServer s;
  AddRule(s, {{"match", {{"path", "/api/v1/namespaces"}}}, {"action", "connection-reset"}});
  auto reset = Curl(s, "--http2 " + s.url() + "/api/v1/namespaces");
  EXPECT_THAT(reset.code, ::testing::AnyOf(55, 56)) << reset.output;  // send or receive error
  EXPECT_THAT(reset.output, HasSubstr("reset by peer"));
  EXPECT_EQ(Last(s, "/api/v1/namespaces").protocol, "HTTP/2.0");
  AddRule(s, {{"action", "empty-response"}, {"match", {{"path", "/api/v1/namespaces/default"}}}});
  auto empty = Curl(s, "--http2 " + s.url() + "/api/v1/namespaces/default");
  EXPECT_NE(empty.code, 0) << empty.output;
  EXPECT_THAT(empty.output, HasSubstr("HTTP/2 stream 1 was not closed cleanly"));
  EXPECT_EQ(Call(s, "GET", "/version", s.paths().admin_token).status, 200);
}

TEST(Faults, RandomDataThenCloseIsNotHttp) {
  TestServer s;
  AddRule(s, {{"action", "random-data-then-close"}});
  auto curl = Curl(s, s.url() + "/version");
  EXPECT_NE(curl.code, 0) << curl.output;
  EXPECT_EQ(Last(s, "/version").fault, "rule rule-1: random-data-then-close");
}

TEST(Faults, MalformedChunkBreaksTheChunkedBody) {
  TestServer s;
  AddRule(s, {{"action", "malformed-chunk"}});
  auto curl = Curl(s, "--http1.1 -i " + s.url() + "/api/v1/pods");
  EXPECT_NE(curl.code, 0);
  EXPECT_THAT(curl.output, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(curl.output, HasSubstr("chunk"));  // "Malformed encoding found in chunked-encoding"
}

TEST(Faults, SlowBodyStillDeliversTheWholeAnswer) {
  TestServer s;
  AddRule(s, {{"slowBody", "600ms"}, {"match", {{"verb", "list"}}}});
  auto start = std::chrono::steady_clock::now();
  auto slow = Call(s, "GET", "/api/v1/pods", s.paths().admin_token);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(slow.status, 200);
  EXPECT_EQ(slow.Json()["kind"], "PodList");
  EXPECT_GE(took, std::chrono::milliseconds(500));  // dribbled, never faster
  EXPECT_EQ(Last(s, "/api/v1/pods").fault, "rule rule-1: slow body over 600ms");
}

TEST(Faults, DelayComesBeforeTheRealAnswer) {
  TestServer s;
  AddRule(s,
          {{"delay", {{"fixed", "300ms"}}}, {"match", {{"method", "GET"}, {"path", "/version"}}}});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Call(s, "GET", "/version", s.paths().admin_token).status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  EXPECT_EQ(Last(s, "/version").fault, "rule rule-1: delay 300ms");
}

TEST(Faults, CloseAWatchAfterNEvents) {
  TestServer s;
  AddRule(s, {{"closeWatchAfterEvents", 2}, {"match", {{"verb", "watch"}}}});
  // Without the fault this watch would run for 15 s; it ends cleanly after two events.
  auto curl = Curl(s, "-N \"" + s.url() + "/api/v1/pods?watch=true&timeoutSeconds=15\"");
  EXPECT_EQ(curl.code, 0) << curl.output;
  EXPECT_EQ(std::count(curl.output.begin(), curl.output.end(), '\n'), 2) << curl.output;
  EXPECT_THAT(curl.output, HasSubstr(R"({"object":)"));
}

TEST(Faults, UserMatchLeavesOtherUsersAlone) {
  TestServer s;
  AddRule(s, {{"status", 503}, {"match", {{"user", s.paths().user_name}}}});
  EXPECT_EQ(Call(s, "GET", "/version", s.paths().user_token).status, 503);
  EXPECT_EQ(Call(s, "GET", "/version", s.paths().admin_token).status, 200);
}

}  // namespace
}  // namespace kubedouble::faults_test
