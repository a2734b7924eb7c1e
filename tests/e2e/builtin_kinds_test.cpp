// Every built-in kind of 1.32, as a developer reaches it: kubectl api-resources, create, apply
// with kubectl's default validation, explain and get all; the Python and JavaScript clients'
// typed AppsV1 APIs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/schema/resources.h>

#include <fstream>
#include <set>
#include <sstream>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(KubectlBuiltIns, ApiResourcesListsEveryDefaultEnabledResource) {
  fake::TestServer srv;
  auto r = Bash(KubectlEnv(srv) + "kubectl api-resources -o name");
  ASSERT_EQ(r.code, 0) << r.output;
  std::set<std::string> listed;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) listed.insert(line);
  std::set<std::string> want;
  for (const auto& res : schema::Resources()) {
    std::string name(res.plural);  // pods, deployments.apps
    if (!res.group.empty()) name.append(".").append(res.group);
    want.insert(name);
  }
  EXPECT_EQ(listed, want);  // autoscaling's v1 and v2 HPAs are one line
  EXPECT_GE(listed.size(), 58u);
  auto wide = Bash(KubectlEnv(srv) + "kubectl api-resources --api-group=apps");
  EXPECT_THAT(wide.output,
              MatchesRegex("(.|\n)*deployments +deploy +apps/v1 +true +Deployment\n(.|\n)*"));
}

TEST(KubectlBuiltIns, CreateCommandsOfEveryEverydayKind) {
  fake::TestServer srv;
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"kubectl create deployment web --image=nginx:1.27 --replicas=2", "deployment.apps/web"},
      {"kubectl create job once --image=busybox:1.36", "job.batch/once"},
      {"kubectl create cronjob nightly --image=busybox:1.36 --schedule='0 3 * * *'",
       "cronjob.batch/nightly"},
      {"kubectl create role reader --verb=get,list --resource=pods",
       "role.rbac.authorization.k8s.io/reader"},
      {"kubectl create rolebinding reader --role=reader --user=jane",
       "rolebinding.rbac.authorization.k8s.io/reader"},
      {"kubectl create clusterrole node-reader --verb=get --resource=nodes",
       "clusterrole.rbac.authorization.k8s.io/node-reader"},
      {"kubectl create clusterrolebinding node-reader --clusterrole=node-reader --user=jane",
       "clusterrolebinding.rbac.authorization.k8s.io/node-reader"},
      {"kubectl create service clusterip web --tcp=80:8080", "service/web"},
      {"kubectl create ingress web --rule='example.com/=web:80'", "ingress.networking.k8s.io/web"},
      {"kubectl create poddisruptionbudget web --selector=app=web --min-available=1",
       "poddisruptionbudget.policy/web"},
      {"kubectl create priorityclass high --value=1000", "priorityclass.scheduling.k8s.io/high"},
      {"kubectl create quota pods --hard=pods=10", "resourcequota/pods"},
  };
  for (const auto& [cmd, created] : commands) {
    auto r = Bash(KubectlEnv(srv) + cmd);
    EXPECT_EQ(r.code, 0) << cmd << "\n" << r.output;
    EXPECT_EQ(r.output, created + " created\n") << cmd;
  }
  auto deploy = Bash(KubectlEnv(srv) +
                     "kubectl get deployment web -o jsonpath='{.spec.replicas} "
                     "{.spec.template.spec.containers[0].image}'");
  EXPECT_EQ(deploy.output, "2 nginx:1.27");
  auto role = Bash(KubectlEnv(srv) + "kubectl get role reader -o jsonpath='{.rules[0].verbs}'");
  EXPECT_EQ(role.output, R"(["get","list"])");
  auto cron = Bash(KubectlEnv(srv) + "kubectl get cronjob nightly -o jsonpath='{.spec.schedule}'");
  EXPECT_EQ(cron.output, "0 3 * * *");
  auto pdb = Bash(KubectlEnv(srv) + "kubectl get pdb web -o jsonpath='{.spec.minAvailable}'");
  EXPECT_EQ(pdb.output, "1");
  auto quota = Bash(KubectlEnv(srv) + "kubectl get quota pods -o jsonpath='{.spec.hard.pods}'");
  EXPECT_EQ(quota.output, "10");
  auto crb = Bash(KubectlEnv(srv) + "kubectl get clusterrolebinding node-reader -o name");
  EXPECT_EQ(crb.output, "clusterrolebinding.rbac.authorization.k8s.io/node-reader\n");
}

constexpr char kManifest[] = R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ghcr.io/example/api:2.3.1
        ports: [{containerPort: 8080}]
        resources: {limits: {cpu: 500m, memory: 256Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: api-config}
data: {LOG_LEVEL: info}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: api-reader}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: api-reader}
subjects:
- {kind: ServiceAccount, name: default, namespace: default}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: api}
spec:
  rules:
  - host: api.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: busybox:1.36, command: [sh, -c, "echo ok"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: busybox:1.36}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: api}}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: api-high}
value: 100000
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: api-leader}
spec: {holderIdentity: api-0, leaseDurationSeconds: 15}
)";

TEST(KubectlBuiltIns, ApplyAManifestOfManyKindsWithDefaultValidation) {
  fake::TestServer srv;
  auto manifest = srv.paths().dir / "app.yaml";
  std::ofstream(manifest) << kManifest;
  auto first = Bash(KubectlEnv(srv) + "kubectl apply -f app.yaml");
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_EQ(first.output,
            "deployment.apps/api created\n"
            "service/api created\n"
            "configmap/api-config created\n"
            "role.rbac.authorization.k8s.io/api-reader created\n"
            "rolebinding.rbac.authorization.k8s.io/api-reader created\n"
            "ingress.networking.k8s.io/api created\n"
            "job.batch/migrate created\n"
            "cronjob.batch/report created\n"
            "poddisruptionbudget.policy/api created\n"
            "priorityclass.scheduling.k8s.io/api-high created\n"
            "lease.coordination.k8s.io/api-leader created\n");
  // kubectl left validation to the server: it found fieldValidation in the OpenAPI v3 document
  // and never fell back to downloading /openapi/v2.
  auto strict = srv.journal().Find([](const auto& e) {
    return e.method == "POST" && e.query.find("fieldValidation=Strict") != std::string::npos;
  });
  EXPECT_EQ(strict.size(), 11u);
  auto again = Bash(KubectlEnv(srv) + "kubectl apply -f app.yaml");
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("deployment.apps/api unchanged\n"));
  EXPECT_THAT(again.output, HasSubstr("lease.coordination.k8s.io/api-leader unchanged\n"));
  auto scaled = Bash(KubectlEnv(srv) + "sed -i 's/replicas: 2/replicas: 4/' app.yaml && " +
                     "kubectl apply -f app.yaml && kubectl get deploy api -o "
                     "jsonpath='{.spec.replicas}'");
  ASSERT_EQ(scaled.code, 0) << scaled.output;
  EXPECT_THAT(scaled.output, HasSubstr("deployment.apps/api configured\n"));
  EXPECT_THAT(scaled.output, ::testing::EndsWith("\n4"));
}

// kubectl validates a `kind: List` (and a kind the server does not serve) on the client, with the
// protobuf form of /openapi/v2.
TEST(KubectlBuiltIns, ClientSideValidationOfListsAndUnknownKinds) {
  fake::TestServer srv;
  ASSERT_EQ(Bash(KubectlEnv(srv) + "kubectl create deployment web --image=nginx:1.27").code, 0);
  auto list = Bash(KubectlEnv(srv) +
                   "kubectl get deployments -o yaml > list.yaml && "
                   "kubectl apply -f list.yaml");
  ASSERT_EQ(list.code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("deployment.apps/web configured\n"));
  std::ofstream(srv.paths().dir / "bogus.yaml") << R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: settings}
  data: {a: "1"}
  bogus: 2
)";
  auto bogus = Bash(KubectlEnv(srv) + "kubectl apply -f bogus.yaml");
  EXPECT_NE(bogus.code, 0);
  EXPECT_THAT(bogus.output, HasSubstr("ValidationError(ConfigMap): unknown field \"bogus\" in "
                                      "io.k8s.api.core.v1.ConfigMap"));
  std::ofstream(srv.paths().dir / "widget.yaml") << "apiVersion: example.com/v1\nkind: Widget\n"
                                                    "metadata: {name: w}\n";
  auto widget = Bash(KubectlEnv(srv) + "kubectl apply -f widget.yaml");
  EXPECT_NE(widget.code, 0);
  EXPECT_THAT(widget.output,
              HasSubstr("no matches for kind \"Widget\" in version \"example.com/v1\""));
  auto v2 = Bash(KubectlEnv(srv) +
                 "kubectl explain deployment.spec.strategy "
                 "--output=plaintext-openapiv2");
  ASSERT_EQ(v2.code, 0) << v2.output;
  EXPECT_THAT(v2.output, HasSubstr("rollingUpdate\t<Object>"));
}

TEST(KubectlBuiltIns, ApplyRefusesAMisspelledFieldAsTheServerValidates) {
  fake::TestServer srv;
  std::ofstream(srv.paths().dir / "typo.yaml") << R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replcas: 2
  selector: {matchLabels: {app: t}}
  template:
    metadata: {labels: {app: t}}
    spec: {containers: [{name: t, image: nginx, imagee: x}]}
)";
  auto strict = Bash(KubectlEnv(srv) + "kubectl apply -f typo.yaml");
  EXPECT_NE(strict.code, 0);
  EXPECT_THAT(strict.output,
              HasSubstr("Deployment in version \"v1\" cannot be handled as a Deployment: strict "
                        "decoding error: unknown field \"spec.replcas\", unknown field "
                        "\"spec.template.spec.containers[0].imagee\""));
  auto warn = Bash(KubectlEnv(srv) + "kubectl apply -f typo.yaml --validate=warn");
  EXPECT_EQ(warn.code, 0) << warn.output;
  EXPECT_THAT(warn.output, HasSubstr("Warning: unknown field \"spec.replcas\""));
  EXPECT_THAT(warn.output, HasSubstr("deployment.apps/typo created"));
}

TEST(KubectlBuiltIns, ExplainPrintsTheFieldsOfAType) {
  fake::TestServer srv;
  auto r = Bash(KubectlEnv(srv) + "kubectl explain deployment.spec.strategy");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("KIND:       Deployment"));
  EXPECT_THAT(r.output, HasSubstr("FIELD: strategy <DeploymentStrategy>"));
  EXPECT_THAT(r.output, MatchesRegex("(.|\n)*FIELDS:\n  rollingUpdate\t<RollingUpdateDeployment>"
                                     "(.|\n)*  type\t<string>(.|\n)*"));
  auto lease = Bash(KubectlEnv(srv) + "kubectl explain lease.spec --recursive");
  ASSERT_EQ(lease.code, 0) << lease.output;
  EXPECT_THAT(lease.output, HasSubstr("holderIdentity\t<string>"));
}

TEST(KubectlBuiltIns, ExplainAndApplyOfACustomResource) {
  fake::TestServer srv;
  std::ofstream(srv.paths().dir / "crd.yaml") << R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, kind: CronTab}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {cronSpec: {type: string}, replicas: {type: integer}}}
)";
  std::ofstream(srv.paths().dir / "ct.yaml") << R"(apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: c1}
spec: {cronSpec: '*/5 * * * *'}
)";
  auto crd = Bash(KubectlEnv(srv) + "kubectl apply -f crd.yaml");
  ASSERT_EQ(crd.code, 0) << crd.output;
  auto explain = Bash(KubectlEnv(srv) + "kubectl explain crontab.spec");
  ASSERT_EQ(explain.code, 0) << explain.output;
  EXPECT_THAT(explain.output, HasSubstr("KIND:       CronTab"));
  EXPECT_THAT(explain.output, HasSubstr("cronSpec\t<string>"));
  EXPECT_THAT(explain.output, HasSubstr("replicas\t<integer>"));
  auto cr = Bash(KubectlEnv(srv) +
                 "kubectl apply -f ct.yaml && kubectl get crontab c1 -o "
                 "jsonpath='{.spec.cronSpec}'");
  ASSERT_EQ(cr.code, 0) << cr.output;
  EXPECT_EQ(cr.output, "crontab.stable.example.com/c1 created\n*/5 * * * *");
}

TEST(KubectlBuiltIns, GetAllShowsWorkloadsOfEveryGroup) {
  fake::TestServer srv;
  for (const char* cmd :
       {"kubectl create deployment web --image=nginx:1.27",
        "kubectl create job once --image=busybox:1.36",
        "kubectl create cronjob nightly --image=busybox:1.36 --schedule='@daily'"}) {
    ASSERT_EQ(Bash(KubectlEnv(srv) + cmd).code, 0) << cmd;
  }
  auto r = Bash(KubectlEnv(srv) + "kubectl get all");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("pod/nginx-7c5ddbdf54-2xq8k"));
  EXPECT_THAT(r.output, HasSubstr("deployment.apps/web"));
  EXPECT_THAT(r.output, HasSubstr("job.batch/once"));
  EXPECT_THAT(r.output, HasSubstr("cronjob.batch/nightly"));
}

TEST(PythonBuiltIns, AppsV1CreatesAndListsDeployments) {
  fake::TestServer srv;
  auto r = Bash("export KUBECONFIG=" + srv.paths().kubeconfig.string() + R"(
/usr/bin/python3 - <<'PY'
from kubernetes import client, config
config.load_kube_config()
apps = client.AppsV1Api()
body = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="nginx:1.27")]))))
apps.create_namespaced_deployment("default", body)
for d in apps.list_namespaced_deployment("default").items:
    print("%s\t%d\t%s" % (d.metadata.name, d.spec.replicas, d.spec.template.spec.containers[0].image))
rbac = client.RbacAuthorizationV1Api()
rbac.create_cluster_role(client.V1ClusterRole(
    metadata=client.V1ObjectMeta(name="reader"),
    rules=[client.V1PolicyRule(api_groups=[""], resources=["pods"], verbs=["get"])]))
print("reader listed:", "reader" in [r.metadata.name for r in rbac.list_cluster_role().items])
PY
)");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("web\t2\tnginx:1.27\n"));
  EXPECT_THAT(r.output, HasSubstr("reader listed: True"));
}

TEST(NodeBuiltIns, AppsV1CreatesAndListsDeployments) {
  fake::TestServer srv;
  auto r = Bash(std::string("node ") + KUBEDOUBLE_E2E_DIR + "/deployments.mjs " +
                KUBEDOUBLE_CLIENT_NODE_DIR + " " + srv.paths().token_kubeconfig.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output, "web\t3\tnginx:1.27\n");
}

}  // namespace
}  // namespace kubedouble::e2e
