// exec, attach and cp with the real clients — kubectl 1.32 (WebSocket v5), the Python client's
// stream() (websocket-client, v4) and client-node's Exec (ws, v5) — against the simulated
// container of fakeserver/src/streams, on a real server (TLS, the generated kubeconfig) with the
// control plane running the pod; the server takes the upgraded connections over.
#include <gtest/gtest.h>
#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/store.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "run.h"

namespace kubedouble::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Pod default/web, one container "app" with $GREETING; the control plane schedules and runs it.
json WebPod() {
  return json::parse(R"({
    "kind": "Pod", "apiVersion": "v1", "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "app", "image": "busybox",
             "env": [{"name": "GREETING", "value": "hello there"}]}]}})");
}

// A started server and its control plane, with `pod` created and running.
class PodServer {
 public:
  explicit PodServer(const json& pod = WebPod()) : cp_(srv_.server(), {}) {
    cp_.Start();
    fake::Store& store = srv_.server().store();
    store.Create(*store.registry()->Find("", "v1", "pods"), "default", pod);
    EXPECT_TRUE(cp_.WaitIdle());
  }
  const fs::path& dir() const { return srv_.paths().dir; }
  std::string kubeconfig() const { return srv_.paths().kubeconfig.string(); }
  // kubectl with the server's kubeconfig (run where the command runs; a pipe into it goes after
  // Kubectl()'s cd).
  std::string KubectlHere() const {
    return "timeout 60 kubectl --kubeconfig=" + kubeconfig() +
           " --cache-dir=" + (dir() / "cache").string() + " ";
  }
  // KubectlHere, in the server's folder.
  std::string Kubectl() const { return "cd " + dir().string() + " && " + KubectlHere(); }
  // The journal's entries for `path`'s requests, oldest first, once there are `count` of them
  // (an upgraded request's entry is recorded as its stream closes, a moment after the client
  // has read the end); what there is after 10 s.
  std::vector<fake::JournalEntry> EntriesFor(const std::string& path, size_t count) {
    std::vector<fake::JournalEntry> found;
    for (int i = 0; i < 1000 && found.size() < count; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      found.clear();
      for (auto& e : srv_.journal().Entries()) {
        if (e.path == path) found.push_back(std::move(e));
      }
    }
    return found;
  }

 private:
  fake::TestServer srv_;
  controlplane::ControlPlane cp_;
};

class ExecE2eTest : public ::testing::Test {
 protected:
  std::string Kubectl() const { return srv_.Kubectl(); }
  std::string KubectlHere() const { return srv_.KubectlHere(); }

  PodServer srv_;
  const fs::path& dir_ = srv_.dir();
  const std::string kubeconfig_ = srv_.kubeconfig();
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

// kubectl speaks HTTP/2 to the server (ALPN "h2", as to kube-apiserver) for its reads, and asks
// for HTTP/1.1 on the connection it upgrades for exec (101 is HTTP/1.1's).
TEST_F(ExecE2eTest, KubectlReadsOverHttp2AndExecsOverHttp1) {
  Result r = Bash(Kubectl() + "exec web -- echo over h1");
  ASSERT_EQ(r.code, 0) << r.output;
  auto get = srv_.EntriesFor("/api/v1/namespaces/default/pods/web", 1);
  ASSERT_FALSE(get.empty());
  EXPECT_EQ(get.back().protocol, "HTTP/2.0");
  auto exec = srv_.EntriesFor("/api/v1/namespaces/default/pods/web/exec", 1);
  ASSERT_FALSE(exec.empty());
  EXPECT_EQ(exec.back().status, 101);
  EXPECT_EQ(exec.back().protocol, "HTTP/1.1");
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

// A pod's files last as long as the pod: its namesake, made after it is deleted, starts afresh.
TEST_F(ExecE2eTest, APodMadeAgainUnderTheSameNameHasNoneOfTheOldPodsFiles) {
  Result r = Bash(Kubectl() + "exec web -- sh -c 'echo kept > /tmp/note' && " + KubectlHere() +
                  "exec web -- cat /tmp/note");
  EXPECT_EQ(r.output, "kept\n");
  Write(dir_, "web.json", WebPod().dump());
  r = Bash(Kubectl() + "delete pod web --grace-period=0 --force && " + KubectlHere() +
           "create -f web.json && " + KubectlHere() +
           "wait --for=condition=Ready pod/web --timeout=30s");
  ASSERT_EQ(r.code, 0) << r.output;
  r = Bash(Kubectl() + "exec web -- cat /tmp/note");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("cat: can't open '/tmp/note': No such file or directory"),
            std::string::npos)
      << r.output;
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

// A kubectl that offers only SPDY (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, as before 1.31).
TEST_F(ExecE2eTest, KubectlExecOverSpdyWhenItsWebSocketsAreTurnedOff) {
  const std::string kubectl = "export KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false; " + Kubectl();
  Result r = Bash(kubectl + "exec web -- sh -c 'echo over spdy; echo oops >&2; exit 3'");
  EXPECT_EQ(r.code, 3) << r.output;
  EXPECT_NE(r.output.find("over spdy\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("oops\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("command terminated with exit code 3"), std::string::npos) << r.output;
  r = Bash("export KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false; printf 'one\\ntwo\\n' | " +
           KubectlHere() + "exec -i web -- cat");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "one\ntwo\n");
}

// The journal says which protocol an exec switched to, how long its stream lasted and how its
// command exited.
TEST_F(ExecE2eTest, TheJournalRecordsTheUpgradeTheStreamsDurationAndTheExitCode) {
  Result r = Bash(Kubectl() + "exec web -- sh -c 'sleep 0.2; exit 7'");
  EXPECT_EQ(r.code, 7) << r.output;
  r = Bash("export KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false; " + Kubectl() + "exec web -- true");
  EXPECT_EQ(r.code, 0) << r.output;
  auto entries = srv_.EntriesFor("/api/v1/namespaces/default/pods/web/exec", 2);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].status, 101);
  json ws = entries[0].ToJson();
  EXPECT_EQ(ws["upgrade"], "v5.channel.k8s.io");
  EXPECT_EQ(ws["exitCode"], 7);
  EXPECT_GE(ws["streamMicros"].get<int64_t>(), 200000) << ws;  // the sleep ran in the stream
  json spdy = entries[1].ToJson();
  EXPECT_EQ(spdy["upgrade"], "SPDY/3.1");
  EXPECT_EQ(spdy["exitCode"], 0);
  EXPECT_TRUE(spdy.contains("streamMicros"));
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

// kubectl debug: the ephemeral container is added through pods/ephemeralcontainers, the kubelet
// starts it, and kubectl attaches to it; its command runs as kubectl attaches.
TEST_F(ExecE2eTest, KubectlDebugAddsAnEphemeralContainerThatRunsItsCommand) {
  Result r = Bash(Kubectl() + "debug -it web --image=busybox:1.36 --container=dbg -- " +
                  "sh -c 'echo hi from $HOSTNAME'");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("hi from web"), std::string::npos) << r.output;
  r = Bash(Kubectl() + "get pod web -o jsonpath='{.spec.ephemeralContainers[0].name} " +
           "{.spec.ephemeralContainers[0].image} {.status.ephemeralContainerStatuses[0].name} " +
           "{.status.ephemeralContainerStatuses[0].state.running.startedAt}'");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("dbg busybox:1.36 dbg 20", 0), 0u) << r.output;  // running since
  // Without -it: added and started; an ephemeral container may not be taken away again.
  r = Bash(Kubectl() + "debug web --image=alpine:3.20 --container=second && " + KubectlHere() +
           "get pod web -o jsonpath='{.spec.ephemeralContainers[*].name}'");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("dbg second"), std::string::npos) << r.output;
  r = Bash(Kubectl() +
           "patch pod web --subresource=ephemeralcontainers --type=json "
           "-p '[{\"op\":\"remove\",\"path\":\"/spec/ephemeralContainers/0\"}]'");
  EXPECT_NE(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("spec.ephemeralContainers: Forbidden: existing ephemeral containers "
                          "\"dbg\" may not be removed"),
            std::string::npos)
      << r.output;
}

TEST(ExecE2e, KubectlAttachSendsStdinToTheContainersProgram) {
  json pod = WebPod();
  pod["spec"]["containers"][0]["command"] = json::array({"cat"});
  pod["spec"]["containers"][0]["stdin"] = true;
  PodServer srv(pod);
  Result r = Bash("printf 'ping\\n' | " + srv.KubectlHere() + "attach -i web");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("ping\n"), std::string::npos) << r.output;
  auto entries = srv.EntriesFor("/api/v1/namespaces/default/pods/web/attach", 1);
  ASSERT_EQ(entries.size(), 1u);
  json attach = entries[0].ToJson();
  EXPECT_EQ(attach["upgrade"], "v5.channel.k8s.io");
  EXPECT_FALSE(attach.contains("exitCode")) << attach;  // attach has no command of its own
}

}  // namespace
}  // namespace kubedouble::e2e
