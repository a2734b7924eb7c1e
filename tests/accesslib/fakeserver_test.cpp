// Every access path against the real fake API server (in process), and every failure a user
// meets: wrong CA, wrong host, expired certificates, bad and rotated tokens, refused
// connections. Also `kubedouble proxy` answering exactly as the real `kubectl proxy`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <httplib.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "common/free_port.h"
#include "common/process.h"
#include "common/temp_dir.h"
#include "connect_proxy.h"
#include "kubedouble/accesslib/client.h"
#include "kubedouble/accesslib/proxy.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/server.h"
#include "reliability/raw_tls.h"

namespace kubedouble::access {
namespace {

using fake::ServerOptions;
using fake::TestServer;
using test::Process;
using testing::ConnectProxy;
using ::testing::HasSubstr;

Config FromKubeconfig(const std::filesystem::path& path) {
  KubeconfigOptions o;
  o.explicit_path = path.string();
  return LoadKubeconfig(o);
}

Error Fails(const Config& c) {
  try {
    Client(c).ApiVersions();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "the request succeeded";
  return Error(ErrorKind::kProtocol, "none");
}

// KUBERNETES_SERVICE_HOST/PORT from the state folder's incluster.env.
Env InClusterEnv(const std::filesystem::path& file) {
  std::map<std::string, std::string> vars;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class FakeServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new TestServer(ServerOptions{}); }
  static void TearDownTestSuite() { delete server_; }
  static TestServer& S() { return *server_; }
  static TestServer* server_;
};
TestServer* FakeServer::server_ = nullptr;

TEST_F(FakeServer, KubeconfigWithClientCertificate) {
  Client c(FromKubeconfig(S().paths().kubeconfig));
  EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");
  EXPECT_EQ(c.WhoAmI()["username"], certs::kAdminUser);
  EXPECT_FALSE(c.ServerVersion().value("gitVersion", "").empty());
  EXPECT_EQ(Client(FromKubeconfig(S().paths().mtls_kubeconfig)).WhoAmI()["username"],
            certs::kAdminUser);
}

TEST_F(FakeServer, KubeconfigImpersonation) {
  test::TempDir dir;
  std::ifstream in(S().paths().token_kubeconfig);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The token user, acting as jane (as, as-groups, as-uid, as-user-extra).
  auto at = text.find("token: ");
  ASSERT_NE(at, std::string::npos);
  auto line = text.rfind('\n', at) + 1;
  std::string indent = text.substr(line, at - line);
  for (const char* field :
       {"as: jane", "as-uid: u-7", "as-groups: [devs]", "as-user-extra: {scopes: [view]}"}) {
    text.insert(line, indent + field + "\n");
    line += indent.size() + std::strlen(field) + 1;
  }
  dir.Write("as.yaml", text);
  Config config = FromKubeconfig(dir / "as.yaml");
  EXPECT_EQ(config.impersonate_user, "jane");
  Client c(config);
  json who = c.WhoAmI();
  EXPECT_EQ(who["username"], "jane");
  EXPECT_EQ(who["uid"], "u-7");
  EXPECT_EQ(who["groups"], json({"devs", "system:authenticated"}));
  EXPECT_EQ(who["extra"], json({{"scopes", {"view"}}}));
  EXPECT_EQ(S().journal().Entries().back().impersonator, certs::kAdminUser);
  try {
    c.List(Resource::Core("pods"), "default");
    ADD_FAILURE() << "jane listed pods";
  } catch (const Error& e) {
    EXPECT_EQ(e.http().code, 403);
    EXPECT_EQ(e.http().message,
              "pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" "
              "in the namespace \"default\"");
  }

  // Groups without a user are refused while loading, as client-go refuses them.
  text.replace(text.find(indent + "as: jane\n"), indent.size() + 9, "");
  dir.Write("groups-only.yaml", text);
  try {
    FromKubeconfig(dir / "groups-only.yaml");
    ADD_FAILURE() << "loaded";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("requesting uid, groups or user-extra for"));
    EXPECT_EQ(e.config().field, "as");
  }
}

TEST_F(FakeServer, TokenWithCaListsAndPages) {
  Config config = FromKubeconfig(S().paths().token_kubeconfig);
  EXPECT_FALSE(config.token.empty());
  Client c(config);
  json all = c.List(Resource::Core("pods"), "");
  ASSERT_GE(all["items"].size(), 3u);
  ListOptions o;
  o.limit = 2;
  json paged = c.ListAll(Resource::Core("pods"), "", o);
  EXPECT_EQ(paged["items"].size(), all["items"].size());
  json one = c.List(Resource::Core("pods"), "", o);
  EXPECT_FALSE(one.value("/metadata/continue"_json_pointer, "").empty());
  EXPECT_TRUE(c.CanI("list", "pods", "default"));
  auto token = c.CreateToken("default", "default");
  EXPECT_FALSE(token["status"]["token"].get<std::string>().empty());
  auto ns = c.List(Resource::Core("namespaces"), "");
  EXPECT_GE(ns["items"].size(), 1u);
  try {
    c.GetObject(Resource::Core("pods"), "default", "no-such-pod");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.KubectlMessage(), "Error from server (NotFound): pods \"no-such-pod\" not found");
  }
}

TEST_F(FakeServer, LabelSelector) {
  Client c(FromKubeconfig(S().paths().token_kubeconfig));
  json all = c.List(Resource::Core("pods"), "");
  std::string key, value;
  for (const auto& p : all["items"])
    if (p.contains("/metadata/labels"_json_pointer) && !p["metadata"]["labels"].empty()) {
      key = p["metadata"]["labels"].begin().key();
      value = p["metadata"]["labels"].begin().value();
      break;
    }
  ASSERT_FALSE(key.empty());
  ListOptions o;
  o.label_selector = key + "=" + value;
  json some = c.List(Resource::Core("pods"), "", o);
  EXPECT_GE(some["items"].size(), 1u);
  for (const auto& p : some["items"]) EXPECT_EQ(p["metadata"]["labels"][key], value);
}

TEST_F(FakeServer, Insecure) {
  Config c = FromKubeconfig(S().paths().insecure_kubeconfig);
  EXPECT_TRUE(c.insecure);
  EXPECT_EQ(Client(c).ApiVersions()["kind"], "APIVersions");
}

TEST_F(FakeServer, InClusterFolderAndEnv) {
  InClusterOptions o;
  o.dir = S().paths().serviceaccount_dir;
  o.env = InClusterEnv(S().paths().incluster_env);
  ASSERT_TRUE(InClusterPossible(o));
  Config config = InCluster(o);
  EXPECT_EQ(config.token, S().paths().serviceaccount_token);
  Client c(config);
  EXPECT_EQ(c.WhoAmI()["username"], "system:serviceaccount:default:default");
  EXPECT_EQ(c.namespace_name(), "default");
}

TEST_F(FakeServer, ServiceAccountTokenRotation) {
  InClusterOptions o;
  o.dir = S().paths().serviceaccount_dir;
  o.env = InClusterEnv(S().paths().incluster_env);
  Config config = InCluster(o);
  config.token_refresh = std::chrono::milliseconds(0);  // re-read on every request
  Client c(config);
  c.WhoAmI();
  S().server().RotateServiceAccountToken();
  EXPECT_EQ(c.WhoAmI()["username"], "system:serviceaccount:default:default");
}

TEST_F(FakeServer, RotatedTokenFileIsReReadAfter401) {
  test::TempDir dir;
  Config config = FromKubeconfig(S().paths().token_kubeconfig);
  config.token.clear();
  config.token_file = dir.Write("token", "stale-token").string();
  config.token_refresh = std::chrono::hours(1);
  Client c(config);
  try {
    c.ApiVersions();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.KubectlMessage(), "error: You must be logged in to the server (Unauthorized)");
  }
  dir.Write("token", S().paths().admin_token + "\n");
  EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");  // 401, forced re-read, retry
}

TEST_F(FakeServer, BadTokenAndExpiredClientCertificate) {
  Config config = FromKubeconfig(S().paths().token_kubeconfig);
  config.token = "not-a-valid-token";
  Error e = Fails(config);
  EXPECT_EQ(e.http().code, 401);
  EXPECT_EQ(e.KubectlMessage(), "error: You must be logged in to the server (Unauthorized)");

  Config mtls = FromKubeconfig(S().paths().mtls_kubeconfig);
  mtls.client_cert_data.clear();
  mtls.client_key_data.clear();
  mtls.client_cert_file = (S().paths().pki_dir / "expired-admin.crt").string();
  mtls.client_key_file = (S().paths().pki_dir / "expired-admin.key").string();
  Error expired = Fails(mtls);
  EXPECT_TRUE(expired.kind() == ErrorKind::kHttp || expired.kind() == ErrorKind::kTlsOther)
      << ErrorKindName(expired.kind()) << ": " << expired.what();
  if (expired.kind() == ErrorKind::kHttp) {
    EXPECT_EQ(expired.http().code, 401);
  }
}

TEST_F(FakeServer, AnonymousIsUnauthorizedByDefault) {
  Error e = Fails(FromKubeconfig(S().paths().anonymous_kubeconfig));
  EXPECT_EQ(e.http().code, 401);
}

TEST_F(FakeServer, WatchDeliversTheCurrentObjects) {
  Client c(FromKubeconfig(S().paths().token_kubeconfig));
  size_t listed = c.List(Resource::Core("pods"), "default")["items"].size();
  WatchOptions o;
  o.timeout_seconds = 1;
  o.max_reconnects = 0;
  std::vector<std::string> types;
  c.Watch(Resource::Core("pods"), "default", o, [&](const WatchEvent& e) {
    types.push_back(e.type);
    return true;
  });
  ASSERT_GE(types.size(), listed);
  for (size_t i = 0; i < listed; i++) EXPECT_EQ(types[i], "ADDED");
  // From resourceVersion 0 the server itself sends ADDED for each object.
  o.resource_version = "0";
  size_t added = 0;
  c.Watch(Resource::Core("pods"), "default", o, [&](const WatchEvent& e) {
    if (e.type == "ADDED") added++;
    return added < listed;
  });
  EXPECT_EQ(added, listed);
}

TEST_F(FakeServer, ProxyUrlThroughConnect) {
  ConnectProxy proxy;
  Config c = FromKubeconfig(S().paths().token_kubeconfig);
  c.proxy_url = proxy.url();
  EXPECT_EQ(Client(c).ApiVersions()["kind"], "APIVersions");
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_THAT(proxy.requests()[0], HasSubstr("CONNECT 127.0.0.1:" + std::to_string(S().port())));
}

TEST_F(FakeServer, ThroughKubedoubleProxyInProcess) {
  ProxyOptions po;
  po.port = 0;
  Proxy proxy(FromKubeconfig(S().paths().token_kubeconfig), po);
  proxy.Start();
  Client c(FromProxy("http://" + proxy.ListenAddress()));
  EXPECT_EQ(c.ApiVersions()["kind"], "APIVersions");
  EXPECT_EQ(c.WhoAmI()["username"], certs::kAdminUser);
}

// ---- certificate failures, each with its own server ----
TEST(FakeServerCerts, WrongCa) {
  TestServer s(ServerOptions{.serve_cert = fake::ServeCert::kRogue});
  Error e = Fails(FromKubeconfig(s.paths().token_kubeconfig));
  EXPECT_EQ(e.kind(), ErrorKind::kTlsUnknownAuthority);
  EXPECT_EQ(e.KubectlMessage(),
            "Unable to connect to the server: tls: failed to verify certificate: x509: certificate "
            "signed by unknown authority");
}

TEST(FakeServerCerts, WrongHostAndTlsServerName) {
  TestServer s(ServerOptions{.serve_cert = fake::ServeCert::kWrongHost});
  Config c = FromKubeconfig(s.paths().token_kubeconfig);
  Error e = Fails(c);
  EXPECT_EQ(e.kind(), ErrorKind::kTlsHostnameMismatch);
  EXPECT_THAT(e.what(), HasSubstr("x509: cannot validate certificate for 127.0.0.1 because it "
                                  "doesn't contain any IP SANs"));
  c.tls_server_name = std::string(certs::kWrongHostName);
  EXPECT_EQ(Client(c).ApiVersions()["kind"], "APIVersions");
}

TEST(FakeServerCerts, ExpiredAndNotYetValid) {
  TestServer expired(ServerOptions{.serve_cert = fake::ServeCert::kExpired});
  EXPECT_EQ(Fails(FromKubeconfig(expired.paths().token_kubeconfig)).kind(), ErrorKind::kTlsExpired);
  TestServer future(ServerOptions{.serve_cert = fake::ServeCert::kNotYetValid});
  EXPECT_EQ(Fails(FromKubeconfig(future.paths().token_kubeconfig)).kind(),
            ErrorKind::kTlsNotYetValid);
  // --insecure accepts both (the pitfall).
  EXPECT_NO_THROW(Client(FromKubeconfig(expired.paths().insecure_kubeconfig)).ApiVersions());
}

TEST_F(FakeServer, ConnectionRefused) {
  // The suite's kubeconfig, pointed at a port nobody listens on.
  Config c = FromKubeconfig(S().paths().token_kubeconfig);
  const int port = kubedouble::test::FreePort();
  c.server = "https://127.0.0.1:" + std::to_string(port);
  Error e = Fails(c);
  EXPECT_EQ(e.kind(), ErrorKind::kConnectRefused);
  EXPECT_EQ(e.KubectlMessage(), "The connection to the server 127.0.0.1:" + std::to_string(port) +
                                    " was refused - did you specify the right host or port?");
}

// ---- kubedouble proxy vs kubectl proxy ----
struct Answer {
  int status = 0;
  std::string content_type, body;
};

Answer Ask(int port, const std::string& method, const std::string& path, const std::string& host) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(10, 0);
  httplib::Headers h;
  if (!host.empty()) h.emplace("Host", host);
  httplib::Result r =
      method == "POST" ? c.Post(path.c_str(), h, "", "application/json") : c.Get(path.c_str(), h);
  if (!r) return {};
  return {r->status, r->get_header_value("Content-Type"), r->body};
}

TEST_F(FakeServer, KubedoubleProxyAnswersAsKubectlProxy) {
  test::TempDir cache;
  const std::string kubeconfig = S().paths().token_kubeconfig.string();
  Process kubectl({"kubectl", "proxy", "--port=0", "--kubeconfig", kubeconfig},
                  {{"KUBECACHEDIR", cache.path().string()}, {"HOME", cache.path().string()}});
  Process ours({KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig", kubeconfig});
  int theirs_port = test::ProxyPort(kubectl), ours_port = test::ProxyPort(ours);
  ASSERT_GT(theirs_port, 0);
  ASSERT_GT(ours_port, 0);
  struct Probe {
    std::string method, path, host;
  };
  std::vector<Probe> probes = {
      {"GET", "/api", ""},  // plain get
      {"GET", "/api/v1/namespaces/default/pods/no-such-pod", ""},
      {"GET", "/api", "evil.example.com:8001"},  // filtered host
      {"GET", "/api", "localhost"},              // no port: the Host as it is
      {"GET", "/api", "[::1]:8001"},             // SplitHostPort gives ::1
      {"GET", "/api", "[::1]"},
      {"GET", "/version", "127.0.0.1.evil.example.com:8001"},
      {"POST", "/api/v1/namespaces/default/pods/web/exec", ""},  // rejected path
      {"GET", "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1&resourceVersion=0", ""},
  };
  for (const auto& p : probes) {
    Answer a = Ask(theirs_port, p.method, p.path, p.host);
    Answer b = Ask(ours_port, p.method, p.path, p.host);
    SCOPED_TRACE(p.method + " " + p.path + " Host " + p.host);
    EXPECT_EQ(a.status, b.status);
    EXPECT_EQ(a.content_type, b.content_type);
    if (p.path.find("watch") != std::string::npos) {
      // The same events (frame by frame; bookmarks may differ in timing).
      auto frames = [](const std::string& body) {
        std::vector<std::string> names;
        std::istringstream in(body);
        std::string line;
        while (std::getline(in, line)) {
          auto j = json::parse(line, nullptr, false);
          if (j.is_object() && j.value("type", "") == "ADDED")
            names.push_back(j["object"]["metadata"]["name"].get<std::string>());
        }
        return names;
      };
      EXPECT_EQ(frames(a.body), frames(b.body));
      EXPECT_FALSE(frames(b.body).empty());
    } else {
      EXPECT_EQ(a.body, b.body);
    }
  }
}

// An odd request target sent as it is, and what both proxies must answer.
struct OddProbe {
  std::string line;  // method and target
  std::string host;  // the Host header ("-": none)
  int status;        // what both proxies answer
};

// Starts kubectl proxy and kubedouble proxy with `flags` and sends each probe to both: the same
// status and Location (and the same redirect page for a GET), and never a secret from ours.
void CompareWithKubectlProxy(const std::string& kubeconfig, const std::vector<std::string>& flags,
                             const std::vector<OddProbe>& probes) {
  test::TempDir cache;
  std::vector<std::string> theirs_argv = {"kubectl", "proxy", "--port=0", "--kubeconfig",
                                          kubeconfig};
  std::vector<std::string> ours_argv = {KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig",
                                        kubeconfig};
  theirs_argv.insert(theirs_argv.end(), flags.begin(), flags.end());
  ours_argv.insert(ours_argv.end(), flags.begin(), flags.end());
  Process kubectl(theirs_argv,
                  {{"KUBECACHEDIR", cache.path().string()}, {"HOME", cache.path().string()}});
  Process ours(ours_argv);
  int theirs_port = test::ProxyPort(kubectl), ours_port = test::ProxyPort(ours);
  ASSERT_GT(theirs_port, 0);
  ASSERT_GT(ours_port, 0);
  auto ask = [](int port, const OddProbe& p) {
    kubedouble::testing::RawConn c(port);
    std::string request = p.line + " HTTP/1.1\r\n";
    if (p.host != "-") request += "Host: " + p.host + "\r\n";
    request += "Connection: close\r\n\r\n";
    c.SendPlain(request);
    return c.Read(10);
  };
  auto location = [](const std::string& head) {
    auto at = head.find("\r\nLocation: ");
    return at == std::string::npos ? "" : head.substr(at + 12, head.find("\r\n", at + 2) - at - 12);
  };
  for (const auto& p : probes) {
    SCOPED_TRACE(p.line + " (Host " + p.host + ")");
    auto theirs = ask(theirs_port, p);
    auto mine = ask(ours_port, p);
    EXPECT_EQ(theirs.status, p.status) << theirs.head;
    EXPECT_EQ(mine.status, p.status) << mine.head;
    EXPECT_EQ(location(mine.head), location(theirs.head));
    if (p.status == 301 && p.line.rfind("GET ", 0) == 0) {
      EXPECT_EQ(mine.body, theirs.body);
    }
    EXPECT_THAT(mine.body, ::testing::Not(HasSubstr("SecretList")));
    EXPECT_THAT(mine.body, ::testing::Not(HasSubstr("\"kind\":\"Secret\"")));
  }
}

// Odd request targets: Go's server and ServeMux (which kubectl proxy is built on) answer them
// before the filter — 400 for what it cannot read, 301 to the clean path, the filter's 403 on the
// decoded path — and kubedouble proxy answers each the same. No secret passes the filter.
TEST_F(FakeServer, OddPathsAnswerAsKubectlProxy) {
  const std::string secrets = "/api/v1/namespaces/default/secrets";
  const std::vector<OddProbe> probes = {
      {"GET " + secrets, "localhost", 403},
      {"GET /" + secrets, "localhost", 301},  // "//api/..."
      {"GET /." + secrets, "localhost", 301},
      {"GET /x/.." + secrets, "localhost", 301},
      {"GET /api/./v1/namespaces/default/secrets/", "localhost", 301},
      {"GET /api/v1//namespaces/default/secrets?limit=1&x=%2f", "localhost", 301},
      {"GET //api?a=b", "localhost", 301},
      {"DELETE /x/../api/v1/namespaces/default/configmaps/a", "localhost", 301},
      {"HEAD /" + secrets, "localhost", 301},
      {"GET /a/../%22b", "localhost", 301},
      {"GET /a/../\"b", "localhost", 301},
      {"GET /a/../b%2e%2e/./c", "localhost", 301},
      {"GET /.", "localhost", 301},
      {"GET /..", "localhost", 301},
      {"GET //", "localhost", 301},
      {"GET /api/v1/namespaces/default/%73ecrets", "localhost", 403},  // %-encoded letters
      {"GET /%61pi/v1/namespaces/default/secrets", "localhost", 403},
      {"GET /api/v1/namespaces/default/configmaps/%2e%2e/secrets", "localhost", 403},
      {"GET " + secrets + "%2f", "localhost", 403},
      {"GET " + secrets + "#x", "localhost", 403},
      {"GET /foo/%2e%2e" + secrets, "localhost", 404},  // not cleaned: the server's 404
      {"GET /%2e%2e/api", "localhost", 404},
      {"GET http://127.0.0.1" + secrets, "localhost", 403},  // absolute form
      {"GET HTTP://localhost" + secrets, "localhost", 403},
      {"GET https://localhost:1/x/.." + secrets, "localhost", 301},
      {"GET http://evil.example.com/api", "localhost", 403},  // the URL's host is checked
      {"GET http://localhost/api", "evil.example.com", 200},
      {"GET http://localhost", "localhost", 301},
      {"GET //api/v1/namespaces/default/pods/web/exec", "localhost", 301},
      {"GET /api/v1/namespaces/default/pods/%2e%2e/x/exec", "localhost", 403},
      {"GET /api/%zz", "localhost", 400},  // bad escapes, control bytes, no leading slash
      {"GET /api/%", "localhost", 400},
      {"GET /a/../b/%zz", "localhost", 400},
      {"GET /api/\x01", "localhost", 400},
      {"GET api/v1", "localhost", 400},
      {"GET *", "localhost", 400},
      {"OPTIONS *", "localhost", 200},
      {"GET /api", "-", 400},           // HTTP/1.1 without Host
      {"GET /api", "a b", 400},         // malformed Host
      {"GET /api", "[::1]:8001", 403},  // SplitHostPort gives ::1, not [::1]
      {"GET /api", "localhost:abc", 200},
      {"GET /api/v1/namespaces/default/configmaps/%2e%2e", "localhost", 404},
  };
  CompareWithKubectlProxy(S().paths().token_kubeconfig.string(),
                          {"--reject-paths=^/api/.*/secrets,^/api/.*/pods/.*/exec"}, probes);
}

// The same with an API prefix (stripped, leaving a slash, before the filter) and static files.
// A GET whose body is a DELETE, through kubectl proxy --reject-methods '^DELETE$' (which forwards
// the body with the proxy's credentials) and through kubedouble proxy: one answer, and the body is
// never run as a second request (the server reads and discards it, as kube-apiserver does).
TEST_F(FakeServer, GetBodyThroughAProxyIsNeverASecondRequest) {
  const std::string target = "/api/v1/namespaces/default/configmaps/kube-root-ca.crt";
  const std::string smuggled = "DELETE " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  test::TempDir cache;
  const std::string kubeconfig = S().paths().token_kubeconfig.string();
  Process kubectl(
      {"kubectl", "proxy", "--port=0", "--kubeconfig", kubeconfig, "--reject-methods", "^DELETE$"},
      {{"KUBECACHEDIR", cache.path().string()}, {"HOME", cache.path().string()}});
  Process ours({KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig", kubeconfig,
                "--reject-methods", "^DELETE$"});
  for (int port : {test::ProxyPort(kubectl), test::ProxyPort(ours)}) {
    ASSERT_GT(port, 0);
    kubedouble::testing::RawConn c(port);
    c.SendPlain(
        "GET /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Length: " +
        std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
    EXPECT_EQ(c.Read(10).status, 200);
    Client direct(FromKubeconfig(S().paths().kubeconfig));
    EXPECT_EQ(json::parse(direct.Get(target))["metadata"]["name"], "kube-root-ca.crt")
        << "the smuggled DELETE ran through the proxy on port " << port;
  }
}

TEST_F(FakeServer, OddPathsUnderAnApiPrefixAnswerAsKubectlProxy) {
  test::TempDir www;
  std::ofstream(www.path() / "a.txt") << "static\n";
  const std::vector<OddProbe> probes = {
      {"GET /custom", "localhost", 301},  // to /custom/
      {"GET /custom?x=1", "localhost", 301},
      {"GET /custom/", "localhost", 404},  // "/" upstream: the server's 404
      {"GET /custom/api", "localhost", 200},
      {"GET /customx/api", "localhost", 404},  // not under the prefix
      {"GET /api", "localhost", 404},
      {"GET /custom/api/v1/namespaces/default/secrets", "localhost", 403},
      {"GET /custom//api/v1/namespaces/default/secrets", "localhost", 301},
      {"GET /custom/%61pi/v1/namespaces/default/secrets", "localhost", 403},
      {"GET /static/../custom/api/v1/namespaces/default/secrets", "localhost", 301},
      {"GET /static", "localhost", 301},
      {"GET /static/a.txt", "localhost", 200},
      {"GET /static/nope", "localhost", 404},
  };
  CompareWithKubectlProxy(
      S().paths().token_kubeconfig.string(),
      {"--api-prefix=/custom", "--www=" + www.path().string(), "--reject-paths=^/api/.*/secrets"},
      probes);
}

// What cpp-httplib's server used to answer differently from Go's (the proxy now runs on net/'s
// server, which leaves these to Go's routing): a target with two '?', an empty Host header (the
// filter's 403), an absolute-form target for a static file (served).
TEST_F(FakeServer, TargetsHttplibRefusedAnswerAsKubectlProxy) {
  test::TempDir www;
  std::ofstream(www.path() / "a.txt") << "static\n";
  const std::vector<OddProbe> probes = {
      {"GET /api?a?b", "localhost", 200},
      {"GET /api", "", 403},
      {"GET http://localhost/static/a.txt", "localhost", 200},
  };
  CompareWithKubectlProxy(S().paths().token_kubeconfig.string(), {"--www=" + www.path().string()},
                          probes);
}

// A query's '+' is a space to the server: the proxy passes the target on as the client escaped
// it, so a selector written with '+' parses behind both proxies.
TEST_F(FakeServer, AQueryPlusReachesTheServerAsTheClientWroteIt) {
  CompareWithKubectlProxy(
      S().paths().token_kubeconfig.string(), {},
      {{"GET /api/v1/namespaces/kube-system/pods?labelSelector=k8s-app+in+(kube-dns)", "localhost",
        200},
       {"GET /api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%20in%20(kube-dns)",
        "localhost", 200}});
}

}  // namespace
}  // namespace kubedouble::access
