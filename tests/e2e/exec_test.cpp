// exec, attach and cp with the real clients — kubectl 1.32 (WebSocket v5), the Python client's
// stream() (websocket-client, v4) and client-node's Exec (ws, v5) — against the simulated
// container of fakeserver/src/streams, through the upgrade stand-in of exec_front.h.
#include <gtest/gtest.h>

#include <filesystem>

#include "exec_front.h"
#include "run.h"

namespace kubedouble::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json RunningPod() {
  return json::parse(R"({
    "kind": "Pod", "apiVersion": "v1",
    "metadata": {"name": "web", "namespace": "default", "uid": "3f0c1e52-0000-4000-8000-000000000001"},
    "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "busybox",
             "env": [{"name": "GREETING", "value": "hello there"}]}]},
    "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": true,
               "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]}})");
}

class ExecE2eTest : public ::testing::Test {
 protected:
  ExecE2eTest() : front_(RunningPod()) {
    dir_ = fs::temp_directory_path() /
           ("kd-exec-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    fs::create_directories(dir_);
    kubeconfig_ = front_.WriteKubeconfig(dir_);
  }
  ~ExecE2eTest() override { fs::remove_all(dir_); }

  // kubectl with the stand-in's kubeconfig, run in dir_ (a pipe into it goes after the cd).
  std::string Kubectl() const { return "cd " + dir_.string() + " && " + KubectlHere(); }
  std::string KubectlHere() const {
    return "timeout 60 kubectl --kubeconfig=" + kubeconfig_ +
           " --cache-dir=" + (dir_ / "cache").string() + " ";
  }

  ExecFront front_;
  fs::path dir_;
  std::string kubeconfig_;
};

TEST_F(ExecE2eTest, KubectlExecPrintsTheOutputAndExitsWithTheCommandsCode) {
  Result r = Bash(Kubectl() + "exec web -- echo hello from the container");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "hello from the container\n");
  r = Bash(Kubectl() + "exec web -- sh -c 'echo $GREETING; echo oops >&2; exit 3'");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("hello there\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("oops\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("command terminated with exit code 3"), std::string::npos) << r.output;
  r = Bash(Kubectl() + "exec web -- nosuch");
  EXPECT_EQ(r.code, 126) << r.output;
  EXPECT_NE(r.output.find("executable file not found in $PATH"), std::string::npos) << r.output;
}

TEST_F(ExecE2eTest, KubectlExecPassesStdinToTheCommand) {
  Result r = Bash("printf 'one\\ntwo\\n' | " + KubectlHere() + "exec -i web -- cat");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "one\ntwo\n");
  r = Bash("printf 'saved\\n' | " + KubectlHere() +
           "exec -i web -- sh -c 'cat > /tmp/note && cat /tmp/note /tmp/note'");
  EXPECT_EQ(r.output, "saved\nsaved\n");
}

TEST_F(ExecE2eTest, KubectlCpCopiesADirectoryIntoThePodAndBack) {
  fs::create_directories(dir_ / "site" / "css");
  std::ofstream(dir_ / "site" / "index.html") << "<h1>hi</h1>\n";
  std::ofstream(dir_ / "site" / "css" / "main.css") << "body { margin: 0 }\n";
  Result r = Bash(Kubectl() + "cp site web:/tmp/site");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Bash(Kubectl() + "exec web -- cat /tmp/site/index.html /tmp/site/css/main.css");
  EXPECT_EQ(r.output, "<h1>hi</h1>\nbody { margin: 0 }\n");
  r = Bash(Kubectl() + "cp web:/tmp/site back && diff -r site back && echo same");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("same"), std::string::npos) << r.output;
  // One file out of the pod.
  r = Bash(Kubectl() + "cp web:/etc/hostname hostname && cat hostname");
  // kubectl may or may not have printed tar's `Removing leading '/'` first.
  EXPECT_TRUE(r.output.size() >= 4 && r.output.substr(r.output.size() - 4) == "web\n") << r.output;
  // One file, into a directory that exists (kubectl's `test -d` says so).
  r = Bash(Kubectl() + "cp site/index.html web:/root && " + Kubectl() + "exec web -- ls /root");
  EXPECT_EQ(r.output, "index.html\n");
}

TEST_F(ExecE2eTest, PythonStreamRunsTheCommandAndReportsItsExitCode) {
  Result r = Bash("/usr/bin/python3 - " + kubeconfig_ + R"( <<'PY'
import sys
from kubernetes import client, config
from kubernetes.stream import stream
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
out = stream(v1.connect_get_namespaced_pod_exec, 'web', 'default',
             command=['sh', '-c', 'echo hi from $HOSTNAME'], stderr=True, stdin=False,
             stdout=True, tty=False)
print('output:', out.strip())
resp = stream(v1.connect_get_namespaced_pod_exec, 'web', 'default',
              command=['sh', '-c', 'exit 5'], stderr=True, stdin=False, stdout=True, tty=False,
              _preload_content=False)
resp.run_forever(timeout=20)
print('code:', resp.returncode)
PY)");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("output: hi from web"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("code: 5"), std::string::npos) << r.output;
}

TEST_F(ExecE2eTest, ClientNodeExecStreamsAndCallsBackWithTheStatus) {
  const std::string client_dir = KUBEDOUBLE_CLIENT_NODE_DIR;
  if (!fs::exists(client_dir)) GTEST_SKIP() << "client-node is not installed: " << client_dir;
  Result r = Bash("timeout 60 node " + std::string(KUBEDOUBLE_E2E_DIR) + "/exec.mjs " + client_dir +
                  " " + kubeconfig_ + " default web app");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("stdout: abc\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("status: Failure NonZeroExitCode 4"), std::string::npos) << r.output;
}

TEST(ExecE2e, KubectlFallsBackToSpdyWhenTheWebSocketUpgradeIsRefused) {
  ExecFront front(RunningPod(), /*websocket=*/false);
  const fs::path dir = fs::temp_directory_path() / ("kd-spdy-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string kubectl = "timeout 60 kubectl --kubeconfig=" + front.WriteKubeconfig(dir) +
                              " --cache-dir=" + (dir / "cache").string() + " ";
  Result r = Bash(kubectl + "exec web -- sh -c 'echo over spdy; echo oops >&2; exit 3'");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("over spdy\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("oops\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("command terminated with exit code 3"), std::string::npos) << r.output;
  r = Bash("printf 'one\\ntwo\\n' | " + kubectl + "exec -i web -- cat");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "one\ntwo\n");
  fs::remove_all(dir);
}

// Through a real `kubectl proxy`: its default filter rejects exec, --disable-filter passes the
// upgrade on (the seed page's pitfall).
TEST_F(ExecE2eTest, KubectlExecThroughKubectlProxy) {
  auto through_proxy = [&](const std::string& flags) {
    return Bash("cd " + dir_.string() + " && (" + KubectlHere() + "proxy --port=0 " + flags +
                " > proxy.out 2>&1 & echo $! > proxy.pid) && for i in $(seq 100); do grep -qs "
                "'Starting to serve' proxy.out && break; sleep 0.1; done; "
                "port=$(sed -n 's/.*127.0.0.1:\\([0-9]*\\).*/\\1/p' proxy.out); "
                "timeout 60 kubectl --server=http://127.0.0.1:$port exec web -- echo through; "
                "echo \"rc=$?\"; kill $(cat proxy.pid)");
  };
  Result r = through_proxy("");
  EXPECT_EQ(r.output, "error: unable to upgrade connection: Forbidden\nrc=1\n");
  r = through_proxy("--disable-filter");
  EXPECT_NE(r.output.find("through\nrc=0"), std::string::npos) << r.output;
}

TEST(ExecE2e, KubectlAttachSendsStdinToTheContainersProgram) {
  json pod = RunningPod();
  pod["spec"]["containers"][0]["command"] = json::array({"cat"});
  pod["spec"]["containers"][0]["stdin"] = true;
  ExecFront front(pod);
  const fs::path dir = fs::temp_directory_path() / ("kd-attach-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Result r =
      Bash("printf 'ping\\n' | timeout 60 kubectl --kubeconfig=" + front.WriteKubeconfig(dir) +
           " --cache-dir=" + (dir / "cache").string() + " attach -i web");
  fs::remove_all(dir);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ping\n"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace kubedouble::e2e
