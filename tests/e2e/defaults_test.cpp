// What kubectl shows of the server's defaulting and validation: `kubectl get -o yaml` carries the
// defaults a 1.32 server fills in, and an invalid manifest is refused with upstream's 422 wording
// and never stored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(KubectlDefaults, CreatedDeploymentShowsUpstreamDefaults) {
  fake::TestServer srv;
  auto created = Bash(KubectlEnv(srv) + "kubectl create deployment web --image=nginx");
  ASSERT_EQ(created.code, 0) << created.output;
  auto yaml = Bash(KubectlEnv(srv) + "kubectl get deploy web -o yaml");
  ASSERT_EQ(yaml.code, 0) << yaml.output;
  for (const char* line :
       {"  generation: 1\n", "  progressDeadlineSeconds: 600\n", "  replicas: 1\n",
        "  revisionHistoryLimit: 10\n", "      maxSurge: 25%\n", "      maxUnavailable: 25%\n",
        "    type: RollingUpdate\n", "      dnsPolicy: ClusterFirst\n",
        "      restartPolicy: Always\n", "      schedulerName: default-scheduler\n",
        "      securityContext: {}\n", "      terminationGracePeriodSeconds: 30\n",
        "        imagePullPolicy: Always\n",
        "        terminationMessagePath: /dev/termination-log\n",
        "        terminationMessagePolicy: File\n"}) {
    EXPECT_THAT(yaml.output, HasSubstr(line));
  }
  auto svc = Bash(KubectlEnv(srv) + "kubectl create service clusterip web --tcp=80:8080 && " +
                  "kubectl get svc web -o jsonpath='{.spec.clusterIP} {.spec.ipFamilies} "
                  "{.spec.sessionAffinity}'");
  EXPECT_THAT(svc.output, MatchesRegex("service/web created\n10\\.[0-9.]+ \\[\"IPv4\"\\] None"));
}

TEST(KubectlDefaults, InvalidPodIsRefusedWithUpstreamWordingAndNeverListed) {
  fake::TestServer srv;
  std::ofstream(srv.paths().dir / "empty.yaml")
      << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\nspec:\n  containers: []\n";
  auto refused = Bash(KubectlEnv(srv) + "kubectl apply -f empty.yaml");
  EXPECT_NE(refused.code, 0);
  EXPECT_THAT(refused.output,
              HasSubstr("The Pod \"empty\" is invalid: spec.containers: Required value"));
  std::ofstream(srv.paths().dir / "bad.yaml")
      << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n"
         "  - {name: main, image: busybox}\n";
  auto bad_name = Bash(KubectlEnv(srv) + "kubectl apply -f bad.yaml");
  EXPECT_NE(bad_name.code, 0);
  EXPECT_THAT(bad_name.output,
              HasSubstr("metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 "
                        "subdomain must consist of"));
  auto run = Bash(KubectlEnv(srv) + "kubectl run ok --image=busybox:1.36 && kubectl get pods");
  ASSERT_EQ(run.code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("\nok "));
  EXPECT_THAT(run.output, Not(HasSubstr("empty")));
}

TEST(KubectlDefaults, MismatchedSelectorAndImmutableSelector) {
  fake::TestServer srv;
  std::ofstream(srv.paths().dir / "deploy.yaml")
      << "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
         "  selector: {matchLabels: {app: web}}\n"
         "  template:\n    metadata: {labels: {app: other}}\n"
         "    spec: {containers: [{name: main, image: nginx}]}\n";
  auto mismatch = Bash(KubectlEnv(srv) + "kubectl apply -f deploy.yaml");
  EXPECT_NE(mismatch.code, 0);
  EXPECT_THAT(mismatch.output,
              HasSubstr("The Deployment \"web\" is invalid: spec.template.metadata.labels: "
                        "Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not "
                        "match template `labels`"));
  ASSERT_EQ(Bash(KubectlEnv(srv) + "kubectl create deployment web --image=nginx").code, 0);
  auto changed = Bash(KubectlEnv(srv) +
                      "kubectl patch deployment web --type=merge -p "
                      "'{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"x\"}},"
                      "\"template\":{\"metadata\":{\"labels\":{\"app\":\"x\"}}}}}'");
  EXPECT_NE(changed.code, 0);
  EXPECT_THAT(changed.output,
              HasSubstr("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:"
                        "map[string]string{\"app\":\"x\"}, MatchExpressions:[]v1."
                        "LabelSelectorRequirement(nil)}: field is immutable"));
}

}  // namespace
}  // namespace kubedouble::e2e
