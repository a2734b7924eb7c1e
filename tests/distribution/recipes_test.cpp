// recipes/: the CI and Kubernetes recipes parse, name only real kubedouble commands and flags,
// and what can run here runs: the shard example, the sidecar's in-cluster access, the GitHub
// service's kubeconfig rewrite.
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/server.h>
#include <re2/re2.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "distribution/facts.h"

namespace kubedouble::test {
namespace {
namespace fs = std::filesystem;

TEST(Recipes, EveryKubedoubleCommandInThemIsReal) {
  nlohmann::json found = Facts("recipes " + kSource + "/recipes");
  std::map<std::string, std::set<std::string>> flags;
  std::set<std::string> files;
  for (const auto& inv : found) {
    auto argv = inv["argv"].get<std::vector<std::string>>();
    std::string where = inv["file"].get<std::string>() + ": kubedouble " + argv[0];
    files.insert(inv["file"].get<std::string>());
    if (!flags.count(argv[0])) flags[argv[0]] = FlagsOf(argv[0]);
    ASSERT_FALSE(flags[argv[0]].empty()) << where << ": no such subcommand";
    for (const auto& arg : argv) {
      if (arg == ">" || arg == "&") break;
      if (arg.size() < 2 || arg[0] != '-') continue;
      std::string name = arg.substr(0, arg.find('='));
      EXPECT_TRUE(flags[argv[0]].count(name)) << where << ": unknown flag " << name;
    }
  }
  EXPECT_GE(found.size(), 10u);
  for (const char* f : {"ci-matrix/shards.sh", "github-actions/matrix.yml",
                        "gitlab-ci/gitlab-ci.yml", "kubernetes/sidecar.yaml"})
    EXPECT_TRUE(files.count(f)) << f << " names no kubedouble command";
}

TEST(Recipes, ShardExampleRunsEveryScenarioInExactlyOneShard) {
  ShellResult r = Bash("KUBEDOUBLE=" + ShellQuote(kBinary) + " " + kSource +
                       "/recipes/ci-matrix/shards.sh 3 --clients accesslib");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("every scenario in exactly one shard"), std::string::npos) << r.output;
  // One client: a JUnit test case for each scenario, over the three files.
  int scenarios = 0, cases = 0;
  ASSERT_TRUE(RE2::PartialMatch(r.output, R"((\d+) scenarios over 3)", &scenarios)) << r.output;
  ASSERT_TRUE(RE2::PartialMatch(r.output, R"((\d+) test cases)", &cases)) << r.output;
  EXPECT_EQ(scenarios, cases) << r.output;
  EXPECT_GT(scenarios, 30) << r.output;
}

// The sidecar manifest gives the app kubedouble's serviceaccount/ folder at the in-cluster
// place and 127.0.0.1:6443 as the service address; the same files and variables, here.
TEST(Recipes, SidecarAppReachesKubedoubleThroughItsServiceAccountFiles) {
  std::ifstream in(kSource + "/recipes/kubernetes/sidecar.yaml");
  std::stringstream manifest;
  manifest << in.rdbuf();
  for (const char* line :
       {"mountPath: /var/run/secrets/kubernetes.io/serviceaccount", "subPath: serviceaccount",
        "automountServiceAccountToken: false", "value: \"127.0.0.1\"", "value: \"6443\""})
    EXPECT_NE(manifest.str().find(line), std::string::npos) << line;
  fake::TestServer srv;
  ShellResult r = Bash(
      "KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=" + std::to_string(srv.port()) +
      " " + ShellQuote(kBinary) + " whoami --in-cluster --serviceaccount-dir " +
      (srv.paths().dir / "serviceaccount").string());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("system:serviceaccount:default:default"), std::string::npos) << r.output;
}

// The manifest is a Pod the API accepts: kubectl's strict validation and a server-side dry run
// (against kubedouble, which validates Pods as kube-apiserver does).
TEST(Recipes, SidecarManifestIsAPodTheApiAccepts) {
  if (Bash("command -v kubectl").code != 0) GTEST_SKIP() << "kubectl is not installed";
  fake::TestServer srv;
  std::string dir = srv.paths().dir.string();
  ShellResult r =
      Bash("export KUBECONFIG=" + srv.paths().kubeconfig.string() + " KUBECACHEDIR=" + dir +
           "/cache HOME=" + dir + " && kubectl apply --validate=strict --dry-run=server -f " +
           kSource + "/recipes/kubernetes/sidecar.yaml");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("pod/kubedouble-sidecar-demo created (server dry run)"),
            std::string::npos)
      << r.output;
}

// The GitHub service recipe copies the state folder and points every kubeconfig at the port the
// runner sees; kubectl then verifies the server and authenticates as before.
TEST(Recipes, GithubServiceRewriteGivesWorkingKubeconfigs) {
  if (Bash("command -v kubectl").code != 0) GTEST_SKIP() << "kubectl is not installed";
  fake::TestServer srv;
  fs::path copy = srv.paths().dir.parent_path() / ("kd-copy-" + std::to_string(::getpid()));
  fs::copy(srv.paths().dir, copy, fs::copy_options::recursive);
  std::string port = std::to_string(srv.port());
  ShellResult r = Bash(
      "cd " + copy.string() + " && export KUBECACHEDIR=$PWD/cache HOME=$PWD && " +
      "for f in kubeconfig kubeconfigs/*.yaml; do sed -i 's#https://127.0.0.1:[0-9]*#"
      "https://0.0.0.0:" +
      port +
      "#' \"$f\"; kubectl --kubeconfig \"$f\" config set-cluster "
      "kubedouble --server https://127.0.0.1:" +
      port +
      " >/dev/null; done && "
      "kubectl --kubeconfig kubeconfig auth whoami -o jsonpath='{.status.userInfo.username}' && "
      "echo && kubectl --kubeconfig kubeconfigs/token.yaml get pods -n default -o name | head -1");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("kubedouble-admin\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pod/"), std::string::npos) << r.output;
  fs::remove_all(copy);
}

}  // namespace
}  // namespace kubedouble::test
