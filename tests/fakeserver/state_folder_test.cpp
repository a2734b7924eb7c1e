#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>

#include "client.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(StateFolder, KubeconfigHasOneClusterUserAndContextWithTheRealPort) {
  fake::TestServer srv;
  auto kc = YAML::LoadFile(srv.paths().kubeconfig.string());
  ASSERT_EQ(kc["clusters"].size(), 1u);
  ASSERT_EQ(kc["users"].size(), 1u);
  ASSERT_EQ(kc["contexts"].size(), 1u);
  EXPECT_EQ(kc["current-context"].as<std::string>(), kc["contexts"][0]["name"].as<std::string>());
  EXPECT_EQ(kc["clusters"][0]["cluster"]["server"].as<std::string>(), srv.url());
  EXPECT_TRUE(kc["users"][0]["user"]["client-certificate-data"]);
  // The seed page's `kubectl config view | grep server` needs exactly one line.
  std::string text = ReadText(srv.paths().kubeconfig);
  size_t count = 0;
  for (size_t pos = 0; (pos = text.find("server", pos)) != std::string::npos; ++pos) ++count;
  EXPECT_EQ(count, 1u);
}

TEST(StateFolder, EveryAccessPathHasAKubeconfig) {
  fake::TestServer srv;
  const auto& p = srv.paths();
  auto token = YAML::LoadFile(p.token_kubeconfig.string());
  EXPECT_EQ(token["users"][0]["user"]["token"].as<std::string>(), p.admin_token);
  EXPECT_TRUE(token["clusters"][0]["cluster"]["certificate-authority-data"]);
  auto insecure = YAML::LoadFile(p.insecure_kubeconfig.string());
  EXPECT_TRUE(insecure["clusters"][0]["cluster"]["insecure-skip-tls-verify"].as<bool>());
  EXPECT_FALSE(insecure["clusters"][0]["cluster"]["certificate-authority-data"]);
  auto mtls = YAML::LoadFile(p.mtls_kubeconfig.string());
  EXPECT_TRUE(mtls["users"][0]["user"]["client-key-data"]);
  auto anon = YAML::LoadFile(p.anonymous_kubeconfig.string());
  // No credentials, yet a field kubectl counts (it prompts for a user name otherwise) that is no
  // second method next to `kubectl --token` (a basic-auth user name was).
  EXPECT_EQ(anon["users"][0]["user"]["token"].as<std::string>(), " ");
  EXPECT_FALSE(anon["users"][0]["user"]["username"]);
  EXPECT_FALSE(anon["users"][0]["user"]["client-certificate-data"]);
  auto sa = YAML::LoadFile(p.serviceaccount_kubeconfig.string());
  EXPECT_EQ(sa["users"][0]["user"]["token"].as<std::string>(), p.serviceaccount_token);
  for (const auto& f : {p.kubeconfig, p.token_kubeconfig, p.mtls_kubeconfig}) {
    EXPECT_EQ(fs::status(f).permissions() & fs::perms::others_read, fs::perms::none) << f;
  }
}

TEST(StateFolder, ServiceAccountFolderUsesTheKubeletLayoutAndRotatesAtomically) {
  fake::TestServer srv;
  fs::path dir = srv.paths().serviceaccount_dir;
  ASSERT_TRUE(fs::is_symlink(fs::symlink_status(dir / "..data")));
  for (const char* name : {"token", "ca.crt", "namespace"}) {
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(dir / name))) << name;
    EXPECT_EQ(fs::read_symlink(dir / name), fs::path("..data") / name);
  }
  EXPECT_EQ(ReadText(dir / "namespace"), "default");
  EXPECT_EQ(ReadText(dir / "ca.crt"), srv.ca_pem());
  EXPECT_EQ(ReadText(dir / "token"), srv.paths().serviceaccount_token);

  fs::path before = fs::read_symlink(dir / "..data");
  std::string old_token = srv.paths().serviceaccount_token;
  auto ca_links = fs::hard_link_count(dir / "ca.crt");
  struct stat old_ca {
  }, old_token_file{};
  ASSERT_EQ(::stat((dir / "ca.crt").c_str(), &old_ca), 0);
  ASSERT_EQ(::stat((dir / "token").c_str(), &old_token_file), 0);
  const_cast<fake::TestServer&>(srv).server().RotateServiceAccountToken();
  fs::path after = fs::read_symlink(dir / "..data");
  EXPECT_NE(before, after);
  EXPECT_FALSE(fs::exists(dir / before));
  EXPECT_NE(ReadText(dir / "token"), old_token);
  // The new generation holds a new token file; the unchanged ca.crt and namespace join it as the
  // same files (hard links), whose bytes are still right.
  struct stat new_ca {
  }, new_token_file{};
  ASSERT_EQ(::stat((dir / "ca.crt").c_str(), &new_ca), 0);
  ASSERT_EQ(::stat((dir / "token").c_str(), &new_token_file), 0);
  EXPECT_EQ(new_ca.st_ino, old_ca.st_ino);
  EXPECT_EQ(fs::hard_link_count(dir / "ca.crt"), ca_links);  // the old generation is gone
  EXPECT_NE(new_token_file.st_ino, old_token_file.st_ino);
  EXPECT_EQ(ReadText(dir / "ca.crt"), srv.ca_pem());
  EXPECT_EQ(ReadText(dir / "namespace"), "default");
  EXPECT_EQ(fs::status(dir / "ca.crt").permissions() & fs::perms::mask,
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
  auto c = Client(srv, {ReadText(dir / "token"), "", ""});
  auto r = c->Post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["status"]["userInfo"]["username"], "system:serviceaccount:default:default");
}

TEST(StateFolder, InClusterEnvAndTokensFile) {
  fake::TestServer srv;
  std::string env = ReadText(srv.paths().incluster_env);
  EXPECT_THAT(env, HasSubstr("KUBERNETES_SERVICE_HOST=127.0.0.1\n"));
  EXPECT_THAT(env, HasSubstr("KUBERNETES_SERVICE_PORT=" + std::to_string(srv.port()) + "\n"));
  EXPECT_THAT(env, HasSubstr("KUBERNETES_SERVICE_PORT_HTTPS=" + std::to_string(srv.port())));
  std::string csv = ReadText(srv.paths().tokens_csv);
  EXPECT_THAT(csv, HasSubstr(srv.paths().admin_token + ",kubedouble-admin,"));
  EXPECT_THAT(csv, HasSubstr(",\"system:masters\"\n"));
  EXPECT_THAT(csv, HasSubstr(srv.paths().user_token + "," + srv.paths().user_name + ","));
}

// --dir naming a folder the user already has (a shared 1777 one, a 0755 one) leaves its mode
// alone; the keys and tokens inside stay private: the server's subfolders are 0700, its secret
// files 0600. A folder the server creates is 0700.
TEST(StateFolder, AnExistingFolderKeepsItsModeAndTheSecretsStayPrivate) {
  auto mode = [](const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
  };
  for (mode_t before : {01777, 0755}) {
    test::TempDir tmp;
    fs::path dir = tmp.path() / "shared";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir.c_str(), before), 0);
    fake::ServerOptions o;
    o.dir = dir;
    o.port = 0;
    fake::Server srv(o);
    srv.Start();
    EXPECT_EQ(mode(dir), before);
    for (const char* sub : {"pki", "kubeconfigs", "serviceaccount"})
      EXPECT_EQ(mode(dir / sub), 0700u) << sub;
    for (const auto& file : {srv.paths().kubeconfig, srv.paths().tokens_csv,
                             srv.paths().token_kubeconfig, srv.paths().pki_dir / "sa.key"})
      EXPECT_EQ(mode(file), 0600u) << file;
  }
  test::TempDir tmp;
  fake::ServerOptions o;
  o.dir = tmp.path() / "new";
  o.port = 0;
  fake::Server srv(o);
  srv.Start();
  EXPECT_EQ(mode(o.dir), 0700u);
}

TEST(StateFolder, TokensAreRandomForEachFreshFolder) {
  fake::TestServer a, b;
  EXPECT_NE(a.paths().admin_token, b.paths().admin_token);
  EXPECT_NE(a.paths().user_token, b.paths().user_token);
  EXPECT_GE(a.paths().admin_token.size(), 32u);
}

TEST(StateFolder, RestartKeepsPkiAndTokensUnlessFreshPki) {
  test::TempDir tmp;
  std::string token, ca;
  {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    token = s.paths().admin_token;
    ca = ReadText(s.paths().ca_crt);
  }
  {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    EXPECT_EQ(s.paths().admin_token, token);
    EXPECT_EQ(ReadText(s.paths().ca_crt), ca);
  }
  {
    fake::Server s({.dir = tmp.path(), .port = 0, .fresh_pki = true});
    s.Start();
    EXPECT_NE(s.paths().admin_token, token);
    EXPECT_NE(ReadText(s.paths().ca_crt), ca);
  }
}

// A restart on the same port rewrites none of the files whose bytes stay the same: the
// kubeconfigs (but the service account's, with its new token), incluster.env and tokens.csv
// keep their inodes and mtimes.
TEST(StateFolder, RestartOnTheSamePortLeavesUnchangedFilesAlone) {
  test::TempDir tmp;
  int port = 0;
  std::map<std::string, std::pair<ino_t, std::string>> before;
  auto files = [](const fake::StatePaths& p) {
    return std::vector<fs::path>{
        p.kubeconfig,           p.token_kubeconfig, p.mtls_kubeconfig, p.insecure_kubeconfig,
        p.anonymous_kubeconfig, p.incluster_env,    p.tokens_csv,      p.serviceaccount_kubeconfig};
  };
  {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    port = s.port();
    for (const auto& f : files(s.paths())) {
      struct stat st {};
      ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
      before[f.string()] = {st.st_ino, ReadText(f)};
    }
  }
  fake::Server s({.dir = tmp.path(), .port = port});
  s.Start();
  for (const auto& f : files(s.paths())) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    if (f == s.paths().serviceaccount_kubeconfig) {
      EXPECT_NE(ReadText(f), before[f.string()].second) << "a new token, a new file";
      continue;
    }
    EXPECT_EQ(st.st_ino, before[f.string()].first) << f << " was rewritten";
    EXPECT_EQ(ReadText(f), before[f.string()].second) << f;
  }
  // ... and they still work.
  httplib::SSLClient c("127.0.0.1", s.port());
  c.set_ca_cert_path(s.paths().ca_crt.c_str());
  c.enable_server_certificate_verification(true);
  c.set_bearer_token_auth(s.paths().admin_token.c_str());
  auto r = c.Get("/api/v1/namespaces/default/pods");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// A restart writes a new generation of serviceaccount/ and removes the earlier ones (after its
// ready line, on another thread): once the server stops, only the generation ..data names is
// left, and the service account's lock file names the last server's pid alone.
TEST(StateFolder, RestartsLeaveOneServiceAccountGenerationAndOnePid) {
  test::TempDir tmp;
  auto generations = [&] {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(tmp.path() / "serviceaccount")) {
      std::string n = e.path().filename().string();
      if (n.rfind("..", 0) == 0 && n != "..data") names.push_back(n);
    }
    return names;
  };
  for (int i = 0; i < 3; ++i) {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    EXPECT_EQ(ReadText(s.paths().serviceaccount_dir / "token"), s.paths().serviceaccount_token);
    s.Stop();
    auto names = generations();
    ASSERT_EQ(names.size(), 1u) << "start " << i;
    EXPECT_EQ(fs::read_symlink(tmp.path() / "serviceaccount" / "..data").string(), names[0]);
    EXPECT_EQ(ReadText(tmp.path() / "serve.lock"), std::to_string(::getpid()) + "\n");
  }
  // A longer pid written by an earlier server is cut to this one's.
  {
    std::ofstream(tmp.path() / "serve.lock") << "123456789012\n";
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    EXPECT_EQ(ReadText(tmp.path() / "serve.lock"), std::to_string(::getpid()) + "\n");
  }
}

TEST(StateFolder, UserTokensFileReplacesTheGeneratedOne) {
  test::TempDir tmp;
  fs::path file = tmp.path() / "my-tokens.csv";
  std::ofstream(file) << "s3cr3t-admin-token-for-test,alice,uid-1,\"system:masters,dev\"\n";
  fake::TestServer srv({.tokens = fake::LoadTokenFile(file)});
  EXPECT_EQ(srv.paths().admin_token, "s3cr3t-admin-token-for-test");
  auto c = Client(srv, {"s3cr3t-admin-token-for-test", "", ""});
  auto r = c->Post("/apis/authentication.k8s.io/v1/selfsubjectreviews", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(Body(r)["status"]["userInfo"]["username"], "alice");
  EXPECT_EQ(Body(r)["status"]["userInfo"]["groups"],
            json({"system:masters", "dev", "system:authenticated"}));
}

// The state folder's tokens.csv holds the tokens clients already use: a restart after an edit
// that broke it stops with the file, the line and what is wrong (it used to mint new tokens).
TEST(StateFolder, ATokensCsvThatDoesNotParseIsAnErrorNotReplaced) {
  test::TempDir tmp;
  fs::path csv;
  {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    csv = s.paths().tokens_csv;
  }
  std::string kept = ReadText(csv);
  std::ofstream(csv) << kept << "only-a-token\n";
  try {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    FAIL() << "Start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(csv.string() + ": line 3: expected at least 3 columns"));
  }
  EXPECT_EQ(ReadText(csv), kept + "only-a-token\n") << "the file was rewritten";

  std::ofstream(csv) << "# nothing but a comment\n";
  try {
    fake::Server s({.dir = tmp.path(), .port = 0});
    s.Start();
    FAIL() << "Start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(csv.string() + " has no tokens"));
  }
}

TEST(StateFolder, UnwritableFolderIsAClearError) {
  try {
    fake::Server s({.dir = "/proc/kubedouble-cannot-write-here", .port = 0});
    s.Start();
    FAIL() << "Start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/proc/kubedouble-cannot-write-here"));
  }
}

TEST(StateFolder, PortInUseIsAClearError) {
  fake::TestServer first;
  test::TempDir tmp;
  fake::Server second({.dir = tmp.path(), .port = first.port()});
  try {
    second.Start();
    FAIL() << "Start() should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(std::to_string(first.port())));
    EXPECT_THAT(e.what(), HasSubstr("Address already in use"));
  }
}

TEST(StateFolder, Ipv6Loopback) {
  fake::TestServer srv({.address = "::1"});
  EXPECT_EQ(srv.url(), "https://[::1]:" + std::to_string(srv.port()));
  // cpp-httplib 0.11's own host check reads 16 bytes from every IP SAN when the host is IPv6,
  // past the end of the 4-byte 127.0.0.1 SAN (a heap-buffer-overflow under ASan). As accesslib
  // does, its check stays off and OpenSSL verifies the chain and the IP during the handshake.
  auto client = [&](const char* expected_ip) {
    auto c = std::make_unique<httplib::SSLClient>("::1", srv.port());
    c->enable_server_certificate_verification(false);
    SSL_CTX* ctx = c->ssl_context();
    EXPECT_EQ(SSL_CTX_load_verify_locations(ctx, srv.paths().ca_crt.c_str(), nullptr), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    EXPECT_EQ(X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx), expected_ip), 1);
    c->set_bearer_token_auth(srv.paths().admin_token.c_str());
    return c;
  };
  auto r = client("::1")->Get("/api");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(Body(r)["serverAddressByClientCIDRs"][0]["serverAddress"],
            "[::1]:" + std::to_string(srv.port()));
  // The check is real: a certificate without the expected IP fails the handshake.
  EXPECT_FALSE(client("::2")->Get("/api"));
}

}  // namespace
}  // namespace kubedouble::testing
