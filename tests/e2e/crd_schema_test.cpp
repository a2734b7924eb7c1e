// A CRD with a structural schema and a Pod update, as kubectl users meet them: values checked
// with upstream's messages, undeclared fields refused (kubectl's default validation) or pruned,
// schema defaults, printer columns, the scale and status subresources, and pod updates refused
// beyond images.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kCrd[] = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec]
            properties:
              cronSpec: {type: string, pattern: '^[0-9*/ ,-]+$'}
              replicas: {type: integer, minimum: 0, default: 1}
              image: {type: string, default: 'cron:1'}
          status:
            type: object
            properties:
              replicas: {type: integer}
)";

TEST(KubectlCrdSchema, ValidatesPrunesAndDefaultsCustomResources) {
  fake::TestServer srv;
  const std::string kubectl = KubectlEnv(srv);
  std::ofstream(srv.paths().dir / "crd.yaml") << kCrd;
  auto crd = Bash(kubectl + "kubectl apply -f crd.yaml");
  ASSERT_EQ(crd.code, 0) << crd.output;

  std::ofstream(srv.paths().dir / "bad.yaml") << R"(apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: bad}
spec: {cronSpec: '*/5 * * * *', replicas: three}
)";
  auto bad = Bash(kubectl + "kubectl apply -f bad.yaml");
  EXPECT_NE(bad.code, 0);
  EXPECT_THAT(bad.output, HasSubstr("The CronTab \"bad\" is invalid: spec.replicas: Invalid "
                                    "value: \"string\": spec.replicas in body must be of type "
                                    "integer: \"string\""));

  std::ofstream(srv.paths().dir / "ct.yaml") << R"(apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: c1}
spec: {cronSpec: '*/5 * * * *', colour: blue}
status: {replicas: 7}
)";
  auto strict = Bash(kubectl + "kubectl apply -f ct.yaml");
  EXPECT_NE(strict.code, 0);
  EXPECT_THAT(strict.output, HasSubstr("strict decoding error: unknown field \"spec.colour\""));

  auto lax = Bash(kubectl + "kubectl apply --validate=false -f ct.yaml");
  ASSERT_EQ(lax.code, 0) << lax.output;
  auto spec = Bash(kubectl + "kubectl get crontab c1 -o jsonpath='{.spec}{\" \"}{.status}'");
  ASSERT_EQ(spec.code, 0) << spec.output;
  EXPECT_EQ(spec.output, R"({"cronSpec":"*/5 * * * *","image":"cron:1","replicas":1} )");

  auto scaled = Bash(kubectl + "kubectl scale crontab c1 --replicas=3");
  ASSERT_EQ(scaled.code, 0) << scaled.output;
  auto table = Bash(kubectl + "kubectl get ct");
  ASSERT_EQ(table.code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("SPEC"));
  EXPECT_THAT(table.output, testing::MatchesRegex("(.|\n)*c1 +\\*/5 \\* \\* \\* \\* +3 *\n"));
}

TEST(KubectlCrdSchema, NonStructuralCrdIsRefusedNamingThePath) {
  fake::TestServer srv;
  std::ofstream(srv.paths().dir / "crd.yaml") << R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {properties: {size: {type: integer}}}
)";
  auto r = Bash(KubectlEnv(srv) + "kubectl apply -f crd.yaml");
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.output, HasSubstr("spec.versions[0].schema.openAPIV3Schema.properties[spec].type: "
                                  "Required value: must not be empty for specified object fields"));
}

TEST(KubectlPodUpdates, OnlyImagesMayChange) {
  fake::TestServer srv;
  const std::string kubectl = KubectlEnv(srv);
  std::ofstream(srv.paths().dir / "pod.yaml") << R"(apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: main, image: 'nginx:1.27', ports: [{containerPort: 80}]}
)";
  auto made = Bash(kubectl + "kubectl apply -f pod.yaml");
  ASSERT_EQ(made.code, 0) << made.output;
  auto image = Bash(kubectl + "kubectl set image pod/web main=nginx:1.28");
  ASSERT_EQ(image.code, 0) << image.output;

  std::ofstream(srv.paths().dir / "pod.yaml") << R"(apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: main, image: 'nginx:1.28', ports: [{containerPort: 8080}]}
)";
  auto changed = Bash(kubectl + "kubectl apply -f pod.yaml");
  EXPECT_NE(changed.code, 0);
  EXPECT_THAT(changed.output,
              HasSubstr("The Pod \"web\" is invalid: spec: Forbidden: pod updates may not change "
                        "fields other than `spec.containers[*].image`"));
  auto stored = Bash(kubectl +
                     "kubectl get pod web -o jsonpath='{.spec.containers[0].ports[0]."
                     "containerPort} {.spec.containers[0].image}'");
  EXPECT_EQ(stored.output, "80 nginx:1.28");
  EXPECT_THAT(stored.output, Not(HasSubstr("8080")));
}

}  // namespace
}  // namespace kubedouble::e2e
