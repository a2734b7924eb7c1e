// Security posture: what a user of kubedouble can rely on without reading the code.
//  - the state folder is private (0700) and every file holding a key or a token is 0600;
//  - tokens never reach the journal file or the server's output;
//  - `kubedouble serve` refuses a non-loopback address unless asked explicitly;
//  - the admin API (/__kubedouble/) refuses everyone but the admin identity.
#include <gtest/gtest.h>
#include <httplib.h>
#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/https_client.h"
#include "common/process.h"
#include "common/temp_dir.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

unsigned Mode(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

TEST(SecurityTest, StateFolderIsPrivateAndSecretsAre0600) {
  fake::TestServer srv;
  const auto& p = srv.paths();
  EXPECT_EQ(Mode(p.dir), 0700u) << p.dir;
  std::vector<std::string> secrets = {p.admin_token, p.user_token, p.serviceaccount_token};
  int keys = 0, holders = 0;
  for (const auto& e : fs::recursive_directory_iterator(p.dir)) {
    if (!e.is_regular_file() || e.is_symlink()) continue;
    std::string text = ReadText(e.path());
    bool holds = text.find("PRIVATE KEY") != std::string::npos;
    if (holds) ++keys;
    for (const auto& s : secrets)
      holds = holds || (!s.empty() && text.find(s) != std::string::npos);
    // serviceaccount/token is 0644 as the kubelet writes it, kept private by the 0700 folder.
    if (e.path().parent_path().parent_path().filename() == "serviceaccount") continue;
    if (!holds) continue;
    ++holders;
    EXPECT_EQ(Mode(e.path()), 0600u) << e.path() << " holds a key or a token";
  }
  EXPECT_GE(keys, 3) << "expected the CA, server and admin keys in the state folder";
  EXPECT_GE(holders, 5);
}

// The journal records who made each request, never with which token.
TEST(SecurityTest, TokensNeverReachTheJournalFile) {
  test::TempDir tmp;
  fs::path journal = tmp.path() / "journal.jsonl";
  fake::ServerOptions o;
  o.journal_file = journal;
  o.admin_token = "kd-admin-api-token-0123456789abcdef";
  fake::TestServer srv(o);
  const auto& p = srv.paths();
  std::vector<std::string> tokens = {p.admin_token, p.user_token, p.serviceaccount_token,
                                     o.admin_token, "not-a-real-token-4242424242"};
  for (const auto& t : tokens) {
    auto c = test::Client(srv, {.token = t});
    c->Get("/api/v1/namespaces/default/pods");
    c->Get("/__kubedouble/requests");
  }
  auto c = test::Client(srv, {.token = ""});
  httplib::Headers h = {{"Authorization", "Bearer " + p.admin_token}};
  c->Get("/api?token=x", h);
  ASSERT_GE(srv.journal().total(), 11u);
  std::string text = ReadText(journal);
  ASSERT_FALSE(text.empty());
  for (const auto& t : tokens) {
    EXPECT_EQ(text.find(t), std::string::npos) << "a token is in the journal file";
  }
  EXPECT_NE(text.find("\"user\":\"" + p.user_name + "\""), std::string::npos) << text;
  for (const auto& e : srv.journal().Entries()) {
    std::string line = e.ToJson().dump();
    for (const auto& t : tokens) EXPECT_EQ(line.find(t), std::string::npos) << line;
  }
}

// The admin API answers the admin identity only; a refused call changes nothing.
TEST(SecurityTest, AdminApiRefusesEveryoneButTheAdmin) {
  fake::ServerOptions o;
  o.admin_token = "kd-admin-api-token-fedcba9876543210";
  fake::TestServer srv(o);
  const auto& p = srv.paths();
  auto admin = test::Client(srv, {.token = p.admin_token});
  auto made =
      admin->Post("/api/v1/namespaces/default/configmaps",
                  R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"survivor"}})",
                  "application/json");
  ASSERT_TRUE(made && made->status == 201);

  struct Who {
    std::string name, token;
    int want;
  };
  std::vector<Who> outsiders = {{"no credentials", "", 401},
                                {"garbage token", "garbage", 401},
                                {"user token", p.user_token, 403},
                                {"service-account token", p.serviceaccount_token, 403},
                                {"admin token with a suffix", o.admin_token + "x", 401}};
  struct Call {
    std::string method, path, body;
  };
  std::vector<Call> calls = {{"GET", "/__kubedouble/requests", ""},
                             {"DELETE", "/__kubedouble/requests", ""},
                             {"GET", "/__kubedouble/faults", ""},
                             {"POST", "/__kubedouble/faults", R"({"name":"x","status":500})"},
                             {"POST", "/__kubedouble/reset", ""},
                             {"GET", "/__kubedouble/clock", ""},
                             {"POST", "/__kubedouble/rotate-token", ""},
                             {"GET", "/__kubedouble", ""},
                             {"GET", "/__kubedouble/", ""},
                             {"GET", "/__kubedouble/../__kubedouble/requests", ""}};
  int refused = 0;
  for (const auto& who : outsiders) {
    auto c = test::Client(srv, {.token = who.token});
    for (const auto& call : calls) {
      httplib::Result r = call.method == "GET" ? c->Get(call.path.c_str())
                          : call.method == "DELETE"
                              ? c->Delete(call.path.c_str())
                              : c->Post(call.path.c_str(), call.body, "application/json");
      ASSERT_TRUE(r) << who.name << " " << call.method << " " << call.path;
      EXPECT_EQ(r->status, who.want)
          << who.name << " " << call.method << " " << call.path << ": " << r->body;
      if (r->status == who.want) ++refused;
    }
  }
  EXPECT_EQ(refused, static_cast<int>(outsiders.size() * calls.size()));
  // Nothing was reset, no fault was added, the journal was not cleared.
  EXPECT_EQ(admin->Get("/api/v1/namespaces/default/configmaps/survivor")->status, 200);
  EXPECT_EQ(admin->Get("/api/v1/namespaces/default/pods")->status, 200);
  EXPECT_GT(srv.journal().size(), 40u);
  // The admin identities are let in.
  EXPECT_EQ(admin->Get("/__kubedouble/requests")->status, 200);
  EXPECT_EQ(test::Client(srv, {.token = o.admin_token})->Get("/__kubedouble/requests")->status,
            200);
}

TEST(SecurityTest, ServeOutputAndJournalNeverShowTokens) {
  test::TempDir tmp;
  const std::string admin_api_token = "kd-serve-admin-token-a1b2c3d4e5f6";
  test::Process s({KUBEDOUBLE_BINARY, "serve", "--dir", (tmp.path() / "state").string(), "--port",
                   "0", "--journal", (tmp.path() / "journal.jsonl").string(), "--admin-token",
                   admin_api_token});
  int port = test::ServePort(s);
  ASSERT_GT(port, 0);
  std::string tokens_csv = ReadText(tmp.path() / "state" / "tokens.csv");
  std::vector<std::string> tokens = {admin_api_token,
                                     ReadText(tmp.path() / "state" / "serviceaccount" / "token")};
  for (size_t at = 0; at < tokens_csv.size();) {
    auto comma = tokens_csv.find(',', at);
    if (comma == std::string::npos) break;
    tokens.push_back(tokens_csv.substr(at, comma - at));
    auto nl = tokens_csv.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  ASSERT_GE(tokens.size(), 4u);
  for (const auto& t : tokens) {
    httplib::SSLClient c("127.0.0.1", port);
    c.set_ca_cert_path((tmp.path() / "state" / "pki" / "ca.crt").c_str());
    c.enable_server_certificate_verification(true);
    c.set_bearer_token_auth(t.c_str());
    auto r = c.Get("/api/v1/namespaces/default/secrets");
    ASSERT_TRUE(r);
    c.Get("/__kubedouble/requests");
  }
  EXPECT_EQ(s.Stop(), 0);
  std::string out = s.Stdout() + s.Stderr();
  std::string journal = ReadText(tmp.path() / "journal.jsonl");
  ASSERT_FALSE(journal.empty());
  for (const auto& t : tokens) {
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(out.find(t), std::string::npos) << "a token is in the server's output";
    EXPECT_EQ(journal.find(t), std::string::npos) << "a token is in the journal";
  }
  EXPECT_EQ(Mode(tmp.path() / "state"), 0700u);
}

TEST(SecurityTest, NonLoopbackAddressNeedsAnExplicitFlag) {
  for (std::string address : {"0.0.0.0", "::", "192.0.2.1"}) {
    test::TempDir tmp;
    auto s = test::RunToEnd({KUBEDOUBLE_BINARY, "serve", "--dir", (tmp.path() / "state").string(),
                             "--port", "0", "--address", address});
    EXPECT_NE(s.exit_code, 0) << address << " was accepted without --allow-non-loopback";
    std::string out = s.out + s.err;
    EXPECT_NE(out.find("--allow-non-loopback"), std::string::npos) << out;
    EXPECT_NE(out.find(address), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(tmp.path() / "state" / "kubeconfig")) << "it started anyway";
  }
  // Loopback addresses need nothing.
  test::TempDir tmp;
  test::Process s({KUBEDOUBLE_BINARY, "serve", "--dir", (tmp.path() / "state").string(), "--port",
                   "0", "--address", "127.0.0.1"});
  EXPECT_GT(test::ServePort(s), 0);
  EXPECT_EQ(s.Stop(), 0);
}

}  // namespace
}  // namespace kubedouble::testing
