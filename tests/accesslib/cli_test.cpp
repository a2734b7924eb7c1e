// The kubedouble client commands as a user runs them: output, kubectl's messages, exit codes
// (0, 1 for API or connection errors, 2 for usage or configuration errors).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/process.h"
#include "common/temp_dir.h"
#include "kubedouble/fakeserver/server.h"

namespace kubedouble::access {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Outcome Shell(const std::string& cmd) {
  Outcome r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Outcome Kubedouble(const std::string& args, const std::string& env = "") {
  return Shell(env + " " + KUBEDOUBLE_BINARY + " " + args + " 2>&1");
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new fake::TestServer(fake::ServerOptions{}); }
  static void TearDownTestSuite() { delete server_; }
  static std::string Kc(const std::filesystem::path& p) { return " --kubeconfig " + p.string(); }
  static fake::TestServer* server_;
};
fake::TestServer* Cli::server_ = nullptr;

TEST_F(Cli, GetRaw) {
  Outcome r = Kubedouble("get --raw /api" + Kc(server_->paths().kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("\"kind\":\"APIVersions\""));
}

TEST_F(Cli, GetPodsAllNamespacesAndFormats) {
  Outcome r = Kubedouble("get pods -A" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::StartsWith("NAMESPACE"));
  EXPECT_THAT(r.out, HasSubstr("READY"));
  Outcome j = Kubedouble("get namespaces -o json" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(j.code, 0);
  EXPECT_THAT(j.out, HasSubstr("\"kind\": \"NamespaceList\""));
  Outcome y =
      Kubedouble("get serviceaccounts -n default -o yaml" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(y.code, 0);
  EXPECT_THAT(y.out, HasSubstr("kind: ServiceAccountList"));
  Outcome w = Kubedouble("get pods -o wide" + Kc(server_->paths().token_kubeconfig));
  EXPECT_THAT(w.out, HasSubstr("NOMINATED NODE"));
}

TEST_F(Cli, GetPrintsTheServersColumns) {
  // The server prints a completed pod's STATUS as kubectl does ("Completed", from the
  // container's terminated state); the client-side fallback would print the phase.
  Outcome r = Kubedouble("get pods" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::StartsWith("NAME "));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("report-28845120-7tq4d +0/1 +Completed +0 +3h\n"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("Succeeded")));
  Outcome one = Kubedouble("get pod report-28845120-7tq4d" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(one.code, 0) << one.out;
  EXPECT_THAT(one.out, HasSubstr("Completed"));
  Outcome wide = Kubedouble("get pods -A -o wide" + Kc(server_->paths().token_kubeconfig));
  EXPECT_THAT(wide.out, ::testing::StartsWith("NAMESPACE "));
  EXPECT_THAT(wide.out, ::testing::ContainsRegex("kube-system +coredns-668d6bf9bc-k7x2m +1/1 +"
                                                 "Running +0 +3d +10\\.244\\.0\\.2 +"
                                                 "kubedouble-control-plane +<none> +<none>\n"));
}

TEST_F(Cli, GetTakesEveryBuiltInResourceByAnyOfItsNames) {
  // Plural, singular, short name, kind, group-qualified: as kubectl resolves them.
  const std::string kc = Kc(server_->paths().token_kubeconfig);
  for (const char* type :
       {"deployments", "deployment", "deploy", "Deployment", "deployments.apps", "deploy.apps"}) {
    Outcome r = Kubedouble(std::string("get ") + type + " -A" + kc);
    EXPECT_EQ(r.code, 0) << type << "\n" << r.out;
    EXPECT_THAT(r.out, ::testing::AnyOf(::testing::StartsWith("NAMESPACE   NAME "),
                                        ::testing::StartsWith("No resources found")))
        << type;
  }
  test::TempDir cache;
  Outcome created =
      Shell("KUBECACHEDIR=" + cache.path().string() +
            " kubectl create deployment cli-web --image=nginx:1.27 -n default" + kc + " 2>&1");
  ASSERT_EQ(created.code, 0) << created.out;
  Outcome web = Kubedouble("get deploy cli-web -n default" + kc);
  EXPECT_EQ(web.code, 0) << web.out;
  EXPECT_THAT(web.out, ::testing::ContainsRegex("^NAME +READY +UP-TO-DATE +AVAILABLE +AGE\n"
                                                "cli-web +0/1 +0 +0 +[0-9]+s\n$"));
  for (const char* type : {"cj", "hpa", "pdb", "clusterroles", "leases", "ing", "crd", "sc"}) {
    Outcome r = Kubedouble(std::string("get ") + type + " -A" + kc);
    EXPECT_EQ(r.code, 0) << type << "\n" << r.out;
  }
  Outcome unknown = Kubedouble("get widgets" + kc);
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.out, HasSubstr("the server doesn't have a resource type \"widgets\""));
}

TEST_F(Cli, GetPodsPrintsAsKubectlGet) {
  // The fixture pods are hours old, so both print the same ages (asked twice in case a minute
  // turned between the two commands).
  test::TempDir cache;
  const std::string kc = server_->paths().token_kubeconfig.string();
  for (const std::string args : {"get pods -A", "get pods -o wide", "get pod redis-0 -o wide"}) {
    std::string ours, theirs;
    for (int attempt = 0; attempt < 2 && (ours.empty() || ours != theirs); attempt++) {
      ours = Shell(std::string(KUBEDOUBLE_BINARY) + " " + args + " --kubeconfig " + kc).out;
      theirs = Shell("KUBECACHEDIR=" + cache.path().string() + " kubectl " + args +
                     " --kubeconfig " + kc)
                   .out;
    }
    EXPECT_EQ(ours, theirs) << args;
    EXPECT_THAT(ours, HasSubstr("redis-0")) << args;
  }
}

// A plain-HTTP server that answers the pod list as a Table or as a plain list, and records the
// Accept header it was sent.
class PrintingServer {
 public:
  explicit PrintingServer(bool table) {
    server_.Get("/api/v1/namespaces/default/pods",
                [this, table](const httplib::Request& req, httplib::Response& res) {
                  {
                    std::lock_guard<std::mutex> l(mu_);
                    accept_ = req.get_header_value("Accept");
                  }
                  nlohmann::json body;
                  if (table) {
                    body = nlohmann::json::parse(R"({"kind":"Table","apiVersion":"meta.k8s.io/v1",
          "metadata":{"resourceVersion":"7"},
          "columnDefinitions":[
            {"name":"Name","type":"string","format":"name","priority":0},
            {"name":"Flavour","type":"string","priority":0},
            {"name":"Hidden","type":"string","priority":1},
            {"name":"Created","type":"date","priority":0},
            {"name":"Count","type":"integer","priority":0}],
          "rows":[
            {"cells":["alpha","two\nlines","secret-detail","2020-01-01T00:00:00Z",3],
             "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                       "metadata":{"name":"alpha","namespace":"default"}}}]})");
                  } else {
                    body = nlohmann::json::parse(R"({"kind":"PodList","apiVersion":"v1",
          "metadata":{"resourceVersion":"7"},
          "items":[{"metadata":{"name":"alpha","namespace":"default"},
                    "spec":{"containers":[{"name":"c"}]},
                    "status":{"phase":"Succeeded"}}]})");
                  }
                  res.set_content(body.dump(), "application/json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~PrintingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string accept() {
    std::lock_guard<std::mutex> l(mu_);
    return accept_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string accept_;
};

TEST(CliTable, AsksForATableAndPrintsItsColumnsAsKubectl) {
  PrintingServer srv(true);
  Outcome r = Kubedouble("get pods --server " + srv.url());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(srv.accept(), "application/json;as=Table;v=v1;g=meta.k8s.io, application/json");
  // Priority-1 columns only with -o wide; a date cell as an age; a multi-line cell cut.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("^NAME +FLAVOUR +CREATED +COUNT\n"
                                              "alpha +two\\.\\.\\. +[0-9]+y[0-9d]* +3\n$"));
  Outcome wide = Kubedouble("get pods -o wide --server " + srv.url());
  EXPECT_THAT(wide.out, ::testing::ContainsRegex("^NAME +FLAVOUR +HIDDEN +CREATED +COUNT\n"
                                                 "alpha +two\\.\\.\\. +secret-detail +"));
  // -o json still asks for (and prints) the objects, not the Table.
  Outcome json = Kubedouble("get pods -o json --server " + srv.url());
  EXPECT_EQ(srv.accept(), "application/json, */*");
}

TEST(CliTable, FallsBackToClientColumnsForAPlainList) {
  PrintingServer srv(false);
  Outcome r = Kubedouble("get pods --server " + srv.url());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(srv.accept(), "application/json;as=Table;v=v1;g=meta.k8s.io, application/json");
  EXPECT_THAT(r.out, ::testing::ContainsRegex("^NAME +READY +STATUS +RESTARTS +AGE\n"
                                              "alpha +0/1 +Succeeded +0 +<unknown>\n$"));
}

TEST_F(Cli, LogsGoToStderrAndVerbosity6LogsRequests) {
  // Warnings never mix with the output on stdout; -v 6 logs each request as kubectl -v=6.
  Outcome r =
      Shell(std::string(KUBEDOUBLE_BINARY) + " get --raw /api --server " + server_->url() +
            " --insecure-skip-tls-verify --token " + server_->paths().admin_token + " 2>/dev/null");
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, ::testing::StartsWith("{\"kind\":\"APIVersions\""));
  Outcome err = Shell(std::string(KUBEDOUBLE_BINARY) + " get --raw /api --server " +
                      server_->url() + " --insecure-skip-tls-verify --token " +
                      server_->paths().admin_token + " -v 6 2>&1 >/dev/null");
  EXPECT_THAT(err.out,
              ::testing::ContainsRegex("^W[0-9]{4} [0-9:.]+ insecure-skip-tls-verify is set"));
  EXPECT_THAT(err.out, ::testing::ContainsRegex("\nI[0-9]{4} [0-9:.]+ GET " + server_->url() +
                                                "/api 200 in [0-9]+ milliseconds\n"));
}

TEST_F(Cli, WhoamiAndCreateToken) {
  Outcome r = Kubedouble("whoami" + Kc(server_->paths().mtls_kubeconfig));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("kubedouble-admin"));
  Outcome t = Kubedouble("create-token default -n default" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_THAT(t.out, ::testing::StartsWith("eyJ"));
}

TEST_F(Cli, ExplicitFlagsAndInCluster) {
  Outcome r = Kubedouble("get --raw /version --server " + server_->url() + " --token " +
                         server_->paths().admin_token + " --certificate-authority " +
                         server_->paths().ca_crt.string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::string env =
      "$(cat " + server_->paths().incluster_env.string() + " | sed 's/^export //' | tr '\\n' ' ')";
  Outcome ic = Kubedouble(
      "whoami --in-cluster --serviceaccount-dir " + server_->paths().serviceaccount_dir.string(),
      "env " + env);
  EXPECT_EQ(ic.code, 0) << ic.out;
  EXPECT_THAT(ic.out, HasSubstr("system:serviceaccount:default:default"));
}

TEST_F(Cli, ErrorsAndExitCodes) {
  Outcome nf = Kubedouble("get pods no-such-pod" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(nf.code, 1);
  EXPECT_THAT(nf.out, HasSubstr("Error from server (NotFound): pods \"no-such-pod\" not found"));
  Outcome unauth =
      Kubedouble("get --raw /api --server " + server_->url() +
                 " --token bad --certificate-authority " + server_->paths().ca_crt.string());
  EXPECT_EQ(unauth.code, 1);
  EXPECT_THAT(unauth.out, HasSubstr("error: You must be logged in to the server (Unauthorized)"));
  Outcome untrusted = Kubedouble("get --raw /api --server " + server_->url() + " --token x");
  EXPECT_EQ(untrusted.code, 1);
  EXPECT_THAT(untrusted.out,
              HasSubstr("Unable to connect to the server: tls: failed to verify certificate: x509: "
                        "certificate signed by unknown authority"));
  Outcome missing = Kubedouble("get pods --kubeconfig /nonexistent/kubeconfig");
  EXPECT_EQ(missing.code, 2);
  EXPECT_THAT(missing.out,
              HasSubstr("error: stat /nonexistent/kubeconfig: no such file or directory"));
  Outcome insecure_ca = Kubedouble("get --raw /api --server " + server_->url() +
                                   " --insecure-skip-tls-verify --certificate-authority " +
                                   server_->paths().ca_crt.string());
  EXPECT_EQ(insecure_ca.code, 2);
  EXPECT_THAT(
      insecure_ca.out,
      HasSubstr("specifying a root certificates file with the insecure flag is not allowed"));
  Outcome usage = Kubedouble("get" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(usage.code, 2);
  Outcome unknown = Kubedouble("get deploymints" + Kc(server_->paths().token_kubeconfig));
  EXPECT_EQ(unknown.code, 2);
  Outcome refused = Kubedouble("get --raw /api --server http://127.0.0.1:1");
  EXPECT_EQ(refused.code, 1);
  EXPECT_THAT(refused.out, HasSubstr("The connection to the server 127.0.0.1:1 was refused - did "
                                     "you specify the right host or port?"));
}

TEST_F(Cli, ProxyReadyLineAndSeedPageCurl) {
  test::Process proxy({KUBEDOUBLE_BINARY, "proxy", "--port=0", "--kubeconfig",
                       server_->paths().token_kubeconfig.string()});
  std::string line = proxy.FirstLine();
  ASSERT_THAT(line, ::testing::StartsWith("Starting to serve on 127.0.0.1:"));
  std::string port = line.substr(line.rfind(':') + 1);
  // The seed page: curl http://localhost:8080/api/ through the proxy, and kubedouble itself.
  Outcome r = Kubedouble("get --raw /api --server http://127.0.0.1:" + port);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("APIVersions"));
  Outcome curl{};
  FILE* p = popen(("curl -s http://localhost:" + port + "/api/").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) curl.out.append(buf, n);
  pclose(p);
  EXPECT_THAT(curl.out, HasSubstr("APIVersions"));
}

TEST_F(Cli, ProxyDisableFilterWarns) {
  Outcome r = Kubedouble("proxy --port=0 --disable-filter --kubeconfig /nonexistent");
  EXPECT_EQ(r.code, 2);  // the configuration error comes first
}

TEST_F(Cli, ProxyOnAUnixSocket) {
  test::TempDir dir;
  const std::string sock = (dir / "proxy.sock").string();
  test::Process proxy({KUBEDOUBLE_BINARY, "proxy", "-u", sock, "--kubeconfig",
                       server_->paths().token_kubeconfig.string()});
  ASSERT_EQ(proxy.FirstLine(), "Starting to serve on " + sock);
  Outcome curl = Shell("curl -s --unix-socket " + sock + " http://localhost/api/");
  EXPECT_THAT(curl.out, HasSubstr("APIVersions"));
  Outcome busy = Kubedouble("proxy -u " + dir.path().string() + " --kubeconfig " +
                            server_->paths().token_kubeconfig.string());
  EXPECT_EQ(busy.code, 2);
  EXPECT_THAT(busy.out, HasSubstr("error: listen unix " + dir.path().string() + ": bind: "));
}

}  // namespace
}  // namespace kubedouble::access
