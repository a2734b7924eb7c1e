// kubectl get of the built-in kinds prints the columns of a real cluster's printers: the server's
// Tables, built from the schema's printer columns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubedouble/fakeserver/clock.h"
#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// Runs each kubectl command (create ...) and fails the test on the first that fails.
void RunAll(const fake::TestServer& srv, std::initializer_list<const char*> commands) {
  for (const char* cmd : commands) {
    auto r = Bash(KubectlEnv(srv) + cmd);
    ASSERT_EQ(r.code, 0) << cmd << "\n" << r.output;
  }
}

std::string Get(const fake::TestServer& srv, const std::string& args) {
  auto r = Bash(KubectlEnv(srv) + "kubectl get " + args);
  EXPECT_EQ(r.code, 0) << args << "\n" << r.output;
  return r.output;
}

TEST(KubectlTables, WorkloadsShowTheirPrintersColumns) {
  fake::TestServer srv;
  RunAll(srv, {"kubectl create deployment web --image=nginx:1.27 --replicas=2",
               "kubectl create job once --image=busybox:1.36",
               "kubectl create cronjob nightly --image=busybox:1.36 --schedule='0 3 * * *'"});
  EXPECT_THAT(Get(srv, "deployments"), MatchesRegex("NAME +READY +UP-TO-DATE +AVAILABLE +AGE\n"
                                                    "web +0/2 +0 +0 +[0-9]+s\n"));
  EXPECT_THAT(Get(srv, "deploy -o wide"),
              MatchesRegex("NAME +READY +UP-TO-DATE +AVAILABLE +AGE +CONTAINERS +IMAGES +SELECTOR\n"
                           "web +0/2 +0 +0 +[0-9]+s +nginx +nginx:1.27 +app=web\n"));
  EXPECT_THAT(Get(srv, "jobs"), MatchesRegex("NAME +STATUS +COMPLETIONS +DURATION +AGE\n"
                                             "once +Running +0/1 +[0-9]+s\n"));
  // SUSPEND: False once spec.suspend is defaulted (as kube-apiserver does), <unset> before.
  EXPECT_THAT(
      Get(srv, "cronjobs"),
      MatchesRegex("NAME +SCHEDULE +TIMEZONE +SUSPEND +ACTIVE +LAST SCHEDULE +AGE\n"
                   "nightly +0 3 \\* \\* \\* +<none> +(False|<unset>) +0 +<none> +[0-9]+s\n"));
}

// Ages count to the server's clock: with a fake clock moved two days on, an object created now is
// seconds old (it was "<invalid>": ages counted to the system's clock, two days behind), and one
// created before the move is two days old.
TEST(KubectlTables, AgesFollowTheServersClock) {
  fake::TestServer srv({.clock = fake::ClockMode::kFake});
  RunAll(srv, {"kubectl create configmap before --from-literal=a=b"});
  srv.server().clock().Advance(std::chrono::hours(48));
  RunAll(srv, {"kubectl create configmap after --from-literal=a=b"});
  std::string out = Get(srv, "configmaps before after");
  EXPECT_THAT(out, MatchesRegex("NAME +DATA +AGE\n"
                                "before +1 +2d\n"
                                "after +1 +[0-9]s\n"));
  EXPECT_THAT(out, Not(HasSubstr("<invalid>")));
}

TEST(KubectlTables, ServicesIngressesAndRbacShowTheirPrintersColumns) {
  fake::TestServer srv;
  RunAll(srv, {"kubectl create service clusterip web --tcp=80:8080",
               "kubectl create ingress web --class=nginx --rule='example.com/=web:80'",
               "kubectl create role reader --verb=get --resource=pods",
               "kubectl create rolebinding reader --role=reader --user=jane"});
  EXPECT_THAT(Get(srv, "services web"),
              MatchesRegex("NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\\(S\\) +AGE\n"
                           "web +ClusterIP +([0-9.]+|<none>) +<none> +80/TCP +[0-9]+s\n"));
  EXPECT_THAT(Get(srv, "ingresses"), MatchesRegex("NAME +CLASS +HOSTS +ADDRESS +PORTS +AGE\n"
                                                  "web +nginx +example.com +80 +[0-9]+s\n"));
  EXPECT_THAT(Get(srv, "rolebindings -o wide"),
              MatchesRegex("NAME +ROLE +AGE +USERS +GROUPS +SERVICEACCOUNTS\n"
                           "reader +Role/reader +[0-9]+s +jane +\n"));
  EXPECT_THAT(Get(srv, "roles"), MatchesRegex("NAME +CREATED AT\nreader +[0-9TZ:-]+\n"));
}

TEST(KubectlTables, StrategicMergePatchOfADeploymentKeepsTheOtherContainers) {
  fake::TestServer srv;
  RunAll(srv, {"kubectl create deployment web --image=nginx:1.27"});
  auto patch = Bash(KubectlEnv(srv) +
                    "kubectl patch deployment web -p "
                    "'{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                    "[{\"name\":\"sidecar\",\"image\":\"envoy:1\"}]}}}}'");
  ASSERT_EQ(patch.code, 0) << patch.output;
  EXPECT_THAT(patch.output, HasSubstr("deployment.apps/web patched"));
  auto set = Bash(KubectlEnv(srv) + "kubectl set image deployment/web nginx=nginx:1.28");
  ASSERT_EQ(set.code, 0) << set.output;
  EXPECT_EQ(Get(srv, "deployment web -o jsonpath='{.spec.template.spec.containers[*].image}'"),
            "nginx:1.28 envoy:1");
}

TEST(KubectlTables, CustomResourcesShowTheirAdditionalPrinterColumns) {
  fake::TestServer srv;
  auto crd = Bash(KubectlEnv(srv) + R"(kubectl apply -f - <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: backups.ops.example.com}
spec:
  group: ops.example.com
  scope: Namespaced
  names: {plural: backups, singular: backup, kind: Backup}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Target, type: string, jsonPath: .spec.target}
    - {name: Keep, type: integer, jsonPath: .spec.keep}
    - {name: Paused, type: boolean, priority: 1, jsonPath: .spec.paused}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
EOF
)");
  ASSERT_EQ(crd.code, 0) << crd.output;
  auto cr = Bash(KubectlEnv(srv) +
                 "kubectl apply -f - <<< '{\"apiVersion\":\"ops.example.com/v1alpha1\","
                 "\"kind\":\"Backup\",\"metadata\":{\"name\":\"db\"},"
                 "\"spec\":{\"target\":\"postgres\",\"keep\":7,\"paused\":false}}'");
  ASSERT_EQ(cr.code, 0) << cr.output;
  EXPECT_THAT(Get(srv, "backups"),
              MatchesRegex("NAME +TARGET +KEEP +AGE\ndb +postgres +7 +[0-9]+s\n"));
  EXPECT_THAT(Get(srv, "backups -o wide"),
              MatchesRegex("NAME +TARGET +KEEP +PAUSED +AGE\ndb +postgres +7 +false +[0-9]+s\n"));
}

}  // namespace
}  // namespace kubedouble::e2e
