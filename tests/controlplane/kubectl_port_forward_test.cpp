// pods/portforward as a kind user reaches it: real `kubectl port-forward` (its default WebSocket
// tunnel and its SPDY/3.1 fallback) to a pod, a Service and a Deployment, and the Python client's
// portforward(), against `kubedouble serve` whose stage file makes one port an echo.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/shell.h"
#include "controlplane/kubectl_cluster.h"

namespace kubedouble {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kStages = R"(kind: PodStage
metadata: {name: web-ports}
spec:
  selector: {matchLabels: {app: web}}
  ports:
  - {port: 9000, echo: true}
)";

// A Deployment of one nginx pod declaring ports 80 (named http) and 9000, and a Service
// web:8080 → http.
constexpr const char* kWeb = R"sh(
kubectl create deployment web --image=nginx:1.27 --dry-run=client -o json |
  jq '.spec.template.spec.containers[0].ports=[{"containerPort":80,"name":"http"},{"containerPort":9000}]' |
  kubectl apply -f - >/dev/null &&
kubectl expose deployment web --port=8080 --target-port=http >/dev/null &&
kubectl rollout status deployment web --timeout=20s >/dev/null
)sh";

// `forward ARGS...` starts `kubectl port-forward ARGS` in the background (output in $OUT) and
// sets $P to its first local port ($OUT: its output); `stop` ends it and shows the output.
constexpr const char* kForward = R"sh(
N=0
forward() {
  N=$((N+1)); OUT=pf$N.out
  kubectl port-forward "$@" > $OUT 2>&1 & PF=$!
  P=
  for i in $(seq 100); do
    P=$(grep -om1 'Forwarding from 127.0.0.1:[0-9]*' $OUT | grep -o '[0-9]*$')
    [ -n "$P" ] && break
    sleep 0.1
  done
}
stop() { kill $PF; wait $PF 2>/dev/null; cat $OUT; }
)sh";

class KubectlPortForward : public KubectlCluster {
 protected:
  void SetUp() override {
    KubectlCluster::SetUp();
    if (IsSkipped()) return;
    if (test::Bash("command -v curl && command -v jq").code != 0)
      GTEST_SKIP() << "curl or jq is not installed";
    Serve({"--stages", Write("stages.yaml", kStages).string()});
    auto r = Kubectl(kWeb);
    ASSERT_EQ(r.code, 0) << r.output;
  }
  test::ShellResult Forwarding(const std::string& script) {
    return Kubectl(std::string(kForward) + script);
  }
};

TEST_F(KubectlPortForward, PodPortReachesTheContainersResponderOverWebSocketAndSpdy) {
  auto r = Forwarding(R"sh(
POD=$(kubectl get pods -l app=web -o name)
forward $POD 0:80
curl -sS -m 10 http://127.0.0.1:$P/through-websocket
stop
KUBECTL_PORT_FORWARD_WEBSOCKETS=false forward $POD 0:80
curl -sS -m 10 http://127.0.0.1:$P/through-spdy
curl -sS -m 10 http://127.0.0.1:$P/again
stop
)sh");
  EXPECT_THAT(r.output, HasSubstr("container nginx (nginx:1.27), port 80\nGET /through-websocket"));
  EXPECT_THAT(r.output, HasSubstr("container nginx (nginx:1.27), port 80\nGET /through-spdy"));
  EXPECT_THAT(r.output, HasSubstr("GET /again HTTP/1.1"));
  EXPECT_THAT(r.output, HasSubstr("Handling connection for"));
  EXPECT_THAT(r.output, Not(HasSubstr("Upgrade request required")));
}

TEST_F(KubectlPortForward, ServiceAndDeploymentResolveToAPodAsKubectlDoes) {
  auto r = Forwarding(R"sh(
forward svc/web 0:8080
echo "svc port $(grep -om1 ' -> [0-9]*' $OUT)"
curl -sS -m 10 http://127.0.0.1:$P/via-service
stop
forward deploy/web 0:9000
exec 3<>/dev/tcp/127.0.0.1/$P
printf 'ping over echo\n' >&3
read -t 10 line <&3 && echo "echoed: $line"
exec 3<&-
stop
)sh");
  EXPECT_THAT(r.output, HasSubstr("svc port  -> 80\n"));
  EXPECT_THAT(r.output, HasSubstr("port 80\nGET /via-service HTTP/1.1"));
  EXPECT_THAT(r.output, HasSubstr("echoed: ping over echo\n"));
}

TEST_F(KubectlPortForward, PortNothingListensOnGetsTheKubeletsError) {
  auto r = Forwarding(R"sh(
forward deploy/web 0:81
curl -sS -m 10 http://127.0.0.1:$P/ ; echo "curl exit $?"
sleep 0.5
stop
)sh");
  EXPECT_THAT(r.output, ::testing::ContainsRegex(
                            "an error occurred forwarding [0-9]+ -> 81: error forwarding port 81 "
                            "to pod [0-9a-f]+, uid : failed to execute portforward in network "
                            "namespace .*/var/run/netns/cni-[0-9a-f-]+.*: failed to connect to "
                            "localhost:81 inside namespace .*connect: connection refused"));
  EXPECT_THAT(r.output, Not(HasSubstr("curl exit 0")));
}

// The journal records a port-forward as it does an exec: the protocol it switched to, how long
// its stream lasted, and what it did — connections carried to a container port, and refused.
TEST_F(KubectlPortForward, TheJournalRecordsEachSessionsUpgradeDurationAndConnections) {
  auto r = Forwarding(R"sh(
forward deploy/web 0:80 0:81
P81=$(grep -om1 'Forwarding from 127.0.0.1:[0-9]* -> 81' $OUT | grep -o ':[0-9]* ' | tr -d ': ')
curl -sS -m 10 -o /dev/null http://127.0.0.1:$P/one
curl -sS -m 10 -o /dev/null http://127.0.0.1:$P/two
curl -sS -m 10 -o /dev/null http://127.0.0.1:$P81/refused
sleep 0.3
stop >/dev/null
KUBECTL_PORT_FORWARD_WEBSOCKETS=false forward deploy/web 0:9000
curl -sS -m 10 -o /dev/null http://127.0.0.1:$P/echo
stop >/dev/null
for i in $(seq 100); do  # an entry is recorded as its stream closes
  kubectl get --raw '/__kubedouble/requests?path=.*/portforward' > journal.json
  [ "$(jq .count journal.json)" = 2 ] && break
  sleep 0.1
done
jq -c '.requests[] | {status, upgrade, forwardedConnections, refusedConnections,
                      streamed: (.streamMicros > 0)}' journal.json
)sh");
  EXPECT_THAT(r.output, HasSubstr(R"({"status":101,"upgrade":"SPDY/3.1+portforward.k8s.io",)"
                                  R"("forwardedConnections":2,"refusedConnections":1,)"
                                  R"("streamed":true})"));
  EXPECT_THAT(r.output, HasSubstr(R"({"status":101,"upgrade":"SPDY/3.1",)"
                                  R"("forwardedConnections":1,"refusedConnections":0,)"
                                  R"("streamed":true})"));
}

// A user whose role grants get and list on pods, nothing on their subresources: real kubectl
// reports the server's denials of port-forward, exec and logs in kube-apiserver's words.
TEST_F(KubectlPortForward, AUserWhoMayOnlyReadPodsIsDeniedPortForwardExecAndLogs) {
  auto r = Forwarding(R"sh(
kubectl create role pod-reader --verb=get,list --resource=pods >/dev/null &&
kubectl create rolebinding pod-reader --role=pod-reader --user=kubedouble-user >/dev/null || exit
POD=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
echo "pod $POD"
as_user() {
  kubectl --kubeconfig=state/kubeconfigs/token.yaml --token="$(sed -n 2p state/tokens.csv | cut -d, -f1)" "$@"
}
as_user get pod $POD -o name
as_user port-forward $POD 0:80 2>&1; echo "port-forward exit $?"
as_user exec $POD -- true 2>&1; echo "exec exit $?"
as_user logs $POD 2>&1; echo "logs exit $?"
)sh");
  const std::string pod = r.output.substr(4, r.output.find('\n') - 4);
  auto denied = [&](const std::string& verb, const std::string& resource) {
    return "pods \"" + pod + "\" is forbidden: User \"kubedouble-user\" cannot " + verb +
           " resource \"" + resource + "\" in API group \"\" in the namespace \"default\"";
  };
  EXPECT_THAT(r.output, HasSubstr("pod/" + pod + "\n"));  // reading the pod is allowed
  EXPECT_THAT(r.output, HasSubstr("error: error upgrading connection: " +
                                  denied("create", "pods/portforward") + "\nport-forward exit 1"));
  EXPECT_THAT(r.output, HasSubstr(denied("create", "pods/exec")));
  EXPECT_THAT(r.output, HasSubstr("exec exit 1"));
  EXPECT_THAT(r.output, HasSubstr("Error from server (Forbidden): " + denied("get", "pods/log") +
                                  "\nlogs exit 1"));
}

TEST_F(KubectlPortForward, PythonClientPortforwardSpeaksTheChannelProtocol) {
  if (test::Bash("/usr/bin/python3 -c 'import kubernetes'").code != 0) {
    GTEST_SKIP() << "the Python kubernetes client is not installed";
  }
  auto r = Kubectl(R"sh(
POD=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
timeout 30 /usr/bin/python3 - "$POD" <<'PY'
import sys
from kubernetes import client, config
from kubernetes.stream import portforward
config.load_kube_config()
api = client.CoreV1Api()
pf = portforward(api.connect_get_namespaced_pod_portforward, sys.argv[1], "default",
                 ports="80,9000,81")
echo = pf.socket(9000)
echo.setblocking(True)
echo.sendall(b"hello echo")
print("echo:", echo.recv(100).decode())
echo.close()
web = pf.socket(80)
web.setblocking(True)
web.sendall(b"GET /py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while b"Host: x" not in data.partition(b"\r\n\r\n")[2]:  # the echoed request in the body
    chunk = web.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode())
print("81:", pf.error(81))
pf.close()
PY
)sh");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("echo: hello echo\n"));
  EXPECT_THAT(r.output, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(r.output, HasSubstr("port 80\nGET /py HTTP/1.1"));
  EXPECT_THAT(r.output, HasSubstr("81: error forwarding port 81 to pod "));
}

TEST_F(KubectlPortForward, WebSocketWithoutPortsIsRefusedInTheKubeletsWords) {
  auto r = Kubectl(R"sh(
POD=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
kubectl get --raw /api/v1/namespaces/default/pods/$POD/portforward 2>&1
SERVER=$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
TOKEN=$(head -1 state/tokens.csv | cut -d, -f1)  # the admin's
# A WebSocket handshake is HTTP/1.1: over h2 curl would drop Connection and Upgrade.
curl -sk --http1.1 -m 10 -H "Authorization: Bearer $TOKEN" -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
  -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
  -H 'Sec-WebSocket-Protocol: v4.channel.k8s.io' -w ' status %{http_code}\n' \
  "$SERVER/api/v1/namespaces/default/pods/$POD/portforward"
)sh");
  EXPECT_THAT(r.output, HasSubstr("Upgrade request required"));
  EXPECT_THAT(r.output, HasSubstr("query parameter \"port\" is required status 400"));
}

}  // namespace
}  // namespace kubedouble
