// Security posture: what a user of kubedouble can rely on without reading the code.
//  - the state folder is private (0700) and every file holding a key or a token is 0600;
//  - tokens never reach the journal file or the server's output;
//  - `kubedouble serve` refuses a non-loopback address unless asked explicitly;
//  - the admin API (/__kubedouble/) refuses everyone but the admin identity.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <kubedouble/fakeserver/journal.h>
#include <kubedouble/fakeserver/server.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

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

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kd-rel-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::unique_ptr<httplib::SSLClient> Client(const fake::TestServer& srv, const std::string& token) {
  auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", srv.port());
  c->set_ca_cert_path(srv.paths().ca_crt.c_str());
  c->enable_server_certificate_verification(true);
  if (!token.empty()) c->set_bearer_token_auth(token.c_str());
  c->set_connection_timeout(5);
  c->set_read_timeout(10);
  return c;
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
  TempDir tmp;
  fs::path journal = tmp.path / "journal.jsonl";
  fake::ServerOptions o;
  o.journal_file = journal;
  o.admin_token = "kd-admin-api-token-0123456789abcdef";
  fake::TestServer srv(o);
  const auto& p = srv.paths();
  std::vector<std::string> tokens = {p.admin_token, p.user_token, p.serviceaccount_token,
                                     o.admin_token, "not-a-real-token-4242424242"};
  for (const auto& t : tokens) {
    auto c = Client(srv, t);
    c->Get("/api/v1/namespaces/default/pods");
    c->Get("/__kubedouble/requests");
  }
  auto c = Client(srv, "");
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
  auto admin = Client(srv, p.admin_token);
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
    auto c = Client(srv, who.token);
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
  EXPECT_EQ(Client(srv, o.admin_token)->Get("/__kubedouble/requests")->status, 200);
}

// `kubedouble serve` as a user runs it, its output captured in a file.
struct Serve {
  pid_t pid = -1;
  fs::path log;
  Serve(const fs::path& out, std::vector<std::string> args) : log(out) {
    args.insert(args.begin(), {KUBEDOUBLE_BINARY, "serve"});
    pid = fork();
    if (pid == 0) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 1);
      dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Serve() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  // The port from "serving on https://127.0.0.1:PORT", or 0 if the server exited first.
  int WaitReady() {
    for (int i = 0; i < 400; ++i) {
      std::string text = ReadText(log);
      auto at = text.find("serving on https://127.0.0.1:");
      if (at != std::string::npos) return std::atoi(text.c_str() + at + 29);
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }
  int Stop() {
    kill(pid, SIGTERM);
    return Wait();
  }
  int Wait() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

TEST(SecurityTest, ServeOutputAndJournalNeverShowTokens) {
  TempDir tmp;
  const std::string admin_api_token = "kd-serve-admin-token-a1b2c3d4e5f6";
  Serve s(tmp.path / "out.log",
          {"--dir", (tmp.path / "state").string(), "--port", "0", "--journal",
           (tmp.path / "journal.jsonl").string(), "--admin-token", admin_api_token});
  int port = s.WaitReady();
  ASSERT_GT(port, 0) << ReadText(s.log);
  std::string tokens_csv = ReadText(tmp.path / "state" / "tokens.csv");
  std::vector<std::string> tokens = {admin_api_token,
                                     ReadText(tmp.path / "state" / "serviceaccount" / "token")};
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
    c.set_ca_cert_path((tmp.path / "state" / "pki" / "ca.crt").c_str());
    c.enable_server_certificate_verification(true);
    c.set_bearer_token_auth(t.c_str());
    auto r = c.Get("/api/v1/namespaces/default/secrets");
    ASSERT_TRUE(r);
    c.Get("/__kubedouble/requests");
  }
  EXPECT_EQ(s.Stop(), 0);
  std::string out = ReadText(s.log);
  std::string journal = ReadText(tmp.path / "journal.jsonl");
  ASSERT_FALSE(journal.empty());
  for (const auto& t : tokens) {
    ASSERT_FALSE(t.empty());
    EXPECT_EQ(out.find(t), std::string::npos) << "a token is in the server's output";
    EXPECT_EQ(journal.find(t), std::string::npos) << "a token is in the journal";
  }
  EXPECT_EQ(Mode(tmp.path / "state"), 0700u);
}

TEST(SecurityTest, NonLoopbackAddressNeedsAnExplicitFlag) {
  for (std::string address : {"0.0.0.0", "::", "192.0.2.1"}) {
    TempDir tmp;
    Serve s(tmp.path / "out.log",
            {"--dir", (tmp.path / "state").string(), "--port", "0", "--address", address});
    EXPECT_NE(s.Wait(), 0) << address << " was accepted without --allow-non-loopback";
    std::string out = ReadText(s.log);
    EXPECT_NE(out.find("--allow-non-loopback"), std::string::npos) << out;
    EXPECT_NE(out.find(address), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(tmp.path / "state" / "kubeconfig")) << "it started anyway";
  }
  // Loopback addresses need nothing.
  TempDir tmp;
  Serve s(tmp.path / "out.log",
          {"--dir", (tmp.path / "state").string(), "--port", "0", "--address", "127.0.0.1"});
  EXPECT_GT(s.WaitReady(), 0) << ReadText(s.log);
  EXPECT_EQ(s.Stop(), 0);
}

}  // namespace
}  // namespace kubedouble::testing
