// The proxy subresources as a kind user reaches them: `curl localhost:8001/api/v1/namespaces/
// default/services/web:80/proxy/` through a real `kubectl proxy` and through `kubedouble proxy`,
// and `kubectl get --raw .../pods/NAME:80/proxy/healthz`, against `kubedouble serve` whose
// stage file scripts the containers' answers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/free_port.h"
#include "common/shell.h"
#include "controlplane/kubectl_cluster.h"

namespace kubedouble {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr const char* kStages = R"(kind: PodStage
metadata: {name: web-ports}
spec:
  selector: {matchLabels: {app: web}}
  ports:
  - port: http
    http:
    - {path: /healthz, body: ok}
    - {path: /broken, status: 500, body: oops}
)";

// A Deployment of two nginx pods declaring port 80 (named http) and a Service web:80 → http.
constexpr const char* kWeb = R"sh(
kubectl create deployment web --image=nginx:1.27 --replicas=2 --dry-run=client -o json |
  jq '.spec.template.spec.containers[0].ports=[{"containerPort":80,"name":"http"}]' |
  kubectl apply -f - >/dev/null &&
kubectl expose deployment web --port=80 --target-port=http >/dev/null &&
kubectl rollout status deployment web --timeout=20s >/dev/null &&
for i in $(seq 100); do
  [ "$(kubectl get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w)" = 2 ] && break
  sleep 0.1
done
)sh";

class KubectlProxyPorts : public KubectlCluster {
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

  // Starts `proxy` (a kubectl proxy command line without --port) on a free port, runs
  // `script` with $PORT set, and stops the proxy.
  test::ShellResult ThroughProxy(const std::string& proxy, const std::string& script) {
    const std::string port = std::to_string(test::FreePort());
    return Kubectl("PORT=" + port + "; " + proxy + " --port=$PORT > proxy.out 2>&1 & PROXY=$!\n" +
                   "for i in $(seq 100); do curl -s localhost:$PORT/api >/dev/null && break; "
                   "sleep 0.1; done\n" +
                   script + "\nkill $PROXY; wait $PROXY 2>/dev/null; true");
  }
};

constexpr const char* kCurls = R"(
curl -sS localhost:$PORT/api/v1/namespaces/default/services/web:80/proxy/
echo "--"
curl -sS localhost:$PORT/api/v1/namespaces/default/services/web:80/proxy/healthz
echo "--"
curl -sS -o /dev/null -w '%{http_code}\n' localhost:$PORT/api/v1/namespaces/default/services/web:80/proxy/broken
curl -sS localhost:$PORT/api/v1/namespaces/default/services/web:81/proxy/ | jq -r .message
)";

// What kCurls prints, through either proxy: a pod of the Service echoing curl's request, the
// stage's answers, and upstream's refusal of a port the Service lacks.
void ExpectTheServicesAnswers(const test::ShellResult& r) {
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*kubedouble: pod default/web-[a-z0-9]+-[a-z0-9]+, "
                                     "container nginx \\(nginx:1.27\\), port 80\nGET / HTTP/1.1\n"
                                     "(.|\n)*"))
      << r.output;
  EXPECT_THAT(r.output, HasSubstr("User-Agent: curl/"));
  EXPECT_THAT(r.output,
              HasSubstr("X-Forwarded-Uri: /api/v1/namespaces/default/services/web:80/proxy/\n"));
  EXPECT_THAT(r.output, HasSubstr("--\nok--\n500\n"));
  EXPECT_THAT(r.output, HasSubstr("no service port 81 found for service \"web\""));
}

TEST_F(KubectlProxyPorts, CurlThroughKubectlProxyReachesAServicesPods) {
  ExpectTheServicesAnswers(ThroughProxy("kubectl proxy", kCurls));
}

TEST_F(KubectlProxyPorts, CurlThroughKubedoubleProxyAnswersTheSame) {
  ExpectTheServicesAnswers(
      ThroughProxy(std::string(KUBEDOUBLE_BINARY) + " proxy --kubeconfig \"$KUBECONFIG\"", kCurls));
}

TEST_F(KubectlProxyPorts, KubectlGetRawReachesAPodPortAndReportsUpstreamsErrors) {
  auto r = Kubectl(R"sh(
POD=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
kubectl get --raw /api/v1/namespaces/default/pods/$POD:80/proxy/healthz; echo
kubectl get --raw /api/v1/namespaces/default/pods/$POD:8080/proxy/healthz 2>&1
kubectl scale deployment web --replicas=0 >/dev/null
for i in $(seq 100); do
  [ -z "$(kubectl get endpoints web -o jsonpath='{.subsets}')" ] && break; sleep 0.1
done
kubectl get --raw /api/v1/namespaces/default/services/web:80/proxy/ 2>&1
true)sh");
  EXPECT_THAT(r.output, HasSubstr("ok\n")) << r.output;
  EXPECT_THAT(r.output, HasSubstr("Error from server (ServiceUnavailable): error trying to reach "
                                  "service: dial tcp 10.244."))
      << r.output;
  EXPECT_THAT(r.output, HasSubstr(":8080: connect: connection refused"));
  EXPECT_THAT(r.output, HasSubstr("Error from server (ServiceUnavailable): no endpoints "
                                  "available for service \"web\""));
}

}  // namespace
}  // namespace kubedouble
