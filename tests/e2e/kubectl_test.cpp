// kubectl with each kubeconfig of the state folder.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

class KubectlAsAdmin : public ::testing::TestWithParam<std::string> {};

std::filesystem::path Kubeconfig(const fake::StatePaths& p, const std::string& which) {
  if (which == "kubeconfig") return p.kubeconfig;
  if (which == "token") return p.token_kubeconfig;
  if (which == "mtls") return p.mtls_kubeconfig;
  if (which == "insecure") return p.insecure_kubeconfig;
  return p.serviceaccount_kubeconfig;
}

TEST_P(KubectlAsAdmin, EveryCommandOfTheIssue) {
  fake::TestServer srv;
  std::string env = KubectlEnv(Kubeconfig(srv.paths(), GetParam()));

  auto pods = Bash(env + "kubectl get pods -A");
  ASSERT_EQ(pods.code, 0) << pods.output;
  EXPECT_THAT(pods.output, MatchesRegex("NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE\n(.|\n)*"));
  EXPECT_THAT(pods.output, HasSubstr("kube-system   coredns-668d6bf9bc-k7x2m"));
  EXPECT_THAT(
      pods.output,
      MatchesRegex("(.|\n)*default +nginx-7c5ddbdf54-2xq8k +1/1 +Running +0 +26h\n(.|\n)*"));

  auto wide = Bash(env + "kubectl get pods -o wide");
  ASSERT_EQ(wide.code, 0) << wide.output;
  EXPECT_THAT(wide.output, HasSubstr("NOMINATED NODE"));
  EXPECT_THAT(wide.output,
              MatchesRegex("(.|\n)*redis-0 +1/1 +Running +0 +[0-9a-z]+ +10\\.244\\.1\\.13 "
                           "+kubedouble-worker +<none> +<none>\n(.|\n)*"));

  auto secrets = Bash(env + "kubectl get secrets");
  ASSERT_EQ(secrets.code, 0) << secrets.output;
  EXPECT_THAT(secrets.output, MatchesRegex("NAME +TYPE +DATA +AGE\ndefault-token-[a-z0-9]{5} "
                                           "+kubernetes.io/service-account-token +3 +3d\n"));

  auto describe =
      Bash(env + "kubectl describe secret $(kubectl get secrets -o name | head -1 | cut -d/ -f2)");
  ASSERT_EQ(describe.code, 0) << describe.output;
  EXPECT_THAT(describe.output, HasSubstr("Type:  kubernetes.io/service-account-token"));
  EXPECT_THAT(describe.output, MatchesRegex("(.|\n)*\ntoken: +eyJ[A-Za-z0-9_.-]+\n(.|\n)*"));
  EXPECT_THAT(describe.output, HasSubstr("namespace:  7 bytes"));

  auto whoami = Bash(env + "kubectl auth whoami");
  ASSERT_EQ(whoami.code, 0) << whoami.output;
  EXPECT_THAT(whoami.output, MatchesRegex("ATTRIBUTE +VALUE\nUsername +kubedouble-admin\n(.|\n)*"));
  EXPECT_THAT(whoami.output, HasSubstr("[system:masters system:authenticated]"));

  auto can_i = Bash(env + "kubectl auth can-i list pods");
  EXPECT_EQ(can_i.output, "yes\n");
  EXPECT_EQ(can_i.code, 0);
  auto list = Bash(env + "kubectl auth can-i --list");
  ASSERT_EQ(list.code, 0) << list.output;
  EXPECT_THAT(list.output, MatchesRegex("(.|\n)*\n\\*\\.\\* +\\[\\] +\\[\\] +\\[\\*\\]\n(.|\n)*"));

  auto token = Bash(env + "kubectl create token default");
  ASSERT_EQ(token.code, 0) << token.output;
  // kubectl ends the token with a newline only when stdout is a terminal.
  EXPECT_THAT(token.output, MatchesRegex("eyJ[A-Za-z0-9_.-]+\n?"));

  auto version = Bash(env + "kubectl version");
  ASSERT_EQ(version.code, 0) << version.output;
  EXPECT_THAT(version.output, HasSubstr("Server Version: v1.32.0"));
}

INSTANTIATE_TEST_SUITE_P(Kubeconfigs, KubectlAsAdmin,
                         ::testing::Values("kubeconfig", "token", "mtls", "insecure"));

TEST(Kubectl, ServiceAccountKubeconfigIsTheDefaultServiceAccount) {
  fake::TestServer srv;
  std::string env = KubectlEnv(srv.paths().serviceaccount_kubeconfig);
  auto whoami = Bash(env + "kubectl auth whoami");
  ASSERT_EQ(whoami.code, 0) << whoami.output;
  EXPECT_THAT(whoami.output,
              MatchesRegex("(.|\n)*Username +system:serviceaccount:default:default\n(.|\n)*"));
  EXPECT_THAT(
      whoami.output,
      HasSubstr("[system:serviceaccounts system:serviceaccounts:default system:authenticated]"));
  auto can_i = Bash(env + "kubectl auth can-i list pods");
  EXPECT_EQ(can_i.output, "no\n");
  EXPECT_NE(can_i.code, 0);
  auto pods = Bash(env + "kubectl get pods -A");
  EXPECT_NE(pods.code, 0);
  EXPECT_THAT(pods.output,
              HasSubstr("Error from server (Forbidden): pods is forbidden: User "
                        "\"system:serviceaccount:default:default\" cannot list resource \"pods\" "
                        "in API group \"\" at the cluster scope"));
  auto version = Bash(env + "kubectl version");
  EXPECT_EQ(version.code, 0) << version.output;
  // kubectl auth can-i --list (SelfSubjectRulesReview): the self reviews and the public paths.
  auto list = Bash(env + "kubectl auth can-i --list");
  ASSERT_EQ(list.code, 0) << list.output;
  EXPECT_THAT(list.output, MatchesRegex("Resources +Non-Resource URLs +Resource Names +Verbs\n"
                                        "(.|\n)*selfsubjectrulesreviews.authorization.k8s.io +"
                                        "\\[\\] +\\[\\] +\\[create\\]\n(.|\n)*"));
  EXPECT_THAT(list.output, MatchesRegex("(.|\n)* +\\[/healthz\\] +\\[\\] +\\[get\\]\n(.|\n)*"));
  EXPECT_THAT(list.output, Not(HasSubstr("pods")));
  auto token = Bash(env + "kubectl create token default");
  EXPECT_NE(token.code, 0);
  EXPECT_THAT(token.output, HasSubstr("cannot create resource \"serviceaccounts/token\""));
}

// kubectl 1.32 sends the typed writes of `kubectl create ...` as protobuf (the "k8s\0"
// envelope); labels, annotations and deletes follow as JSON.
TEST(Kubectl, CreateCommandsSendingProtobuf) {
  fake::TestServer srv;
  std::string env = KubectlEnv(srv);
  auto ok = [&](const std::string& cmd) {
    auto r = Bash(env + cmd);
    EXPECT_EQ(r.code, 0) << cmd << "\n" << r.output;
    return r.output;
  };
  auto fails = [&](const std::string& cmd, const std::string& text) {
    auto r = Bash(env + cmd);
    EXPECT_NE(r.code, 0) << cmd;
    EXPECT_THAT(r.output, HasSubstr(text)) << cmd;
  };

  Bash(env + "printf '\\000\\377\\376bin' > bin.dat");
  EXPECT_EQ(ok("kubectl create configmap cm1 --from-literal=a=b --from-file=bin.dat"),
            "configmap/cm1 created\n");
  EXPECT_EQ(ok("kubectl get cm cm1 -o jsonpath='{.data.a} {.binaryData.bin\\.dat}'"), "b AP/+Ymlu");

  EXPECT_EQ(ok("kubectl create secret generic s1 --from-literal=user=admin --type=Custom"),
            "secret/s1 created\n");
  EXPECT_EQ(ok("kubectl get secret s1 -o jsonpath='{.type} {.data.user}'"), "Custom YWRtaW4=");
  ok("kubectl create secret generic s2 --from-literal=a=b");
  EXPECT_EQ(ok("kubectl get secret s2 -o jsonpath='{.type}'"), "Opaque");
  EXPECT_EQ(ok("kubectl create secret tls t1 --cert=pki/server.crt --key=pki/server.key"),
            "secret/t1 created\n");
  EXPECT_EQ(ok("kubectl get secret t1 -o jsonpath='{.type}'"), "kubernetes.io/tls");
  ok("kubectl get secret t1 -o jsonpath='{.data.tls\\.crt}' | base64 -d | cmp - pki/server.crt");
  ok("kubectl create secret docker-registry r1 --docker-server=registry.example "
     "--docker-username=u --docker-password=p");
  EXPECT_THAT(ok("kubectl get secret r1 -o jsonpath='{.type} {.data.\\.dockerconfigjson}' | "
                 "{ read t d; echo $t; echo $d | base64 -d; }"),
              MatchesRegex("kubernetes.io/dockerconfigjson\n\\{\"auths\":\\{\"registry.example\":"
                           "\\{\"username\":\"u\",\"password\":\"p\".*"));

  EXPECT_EQ(ok("kubectl create namespace team-a"), "namespace/team-a created\n");
  EXPECT_EQ(ok("kubectl get ns team-a -o jsonpath='{.status.phase} {.spec.finalizers}'"),
            "Active [\"kubernetes\"]");
  EXPECT_EQ(ok("kubectl create serviceaccount builder -n team-a"),
            "serviceaccount/builder created\n");
  EXPECT_EQ(ok("kubectl get sa -n team-a builder -o name"), "serviceaccount/builder\n");
  EXPECT_EQ(ok("kubectl create service clusterip web --tcp=80:8080"), "service/web created\n");
  EXPECT_EQ(ok("kubectl get svc web -o jsonpath='{.spec.ports[0].port} "
               "{.spec.ports[0].targetPort} {.spec.selector.app} {.spec.type}'"),
            "80 8080 web ClusterIP");

  EXPECT_EQ(ok("kubectl create configmap dry --from-literal=a=b --dry-run=server"),
            "configmap/dry created (server dry run)\n");
  EXPECT_THAT(Bash(env + "kubectl get cm dry").output, HasSubstr("NotFound"));
  fails("kubectl create namespace team-a", "AlreadyExists");
  fails("kubectl create configmap x -n nowhere --from-literal=a=b",
        "namespaces \"nowhere\" not found");

  EXPECT_EQ(ok("kubectl label configmap cm1 tier=db"), "configmap/cm1 labeled\n");
  EXPECT_EQ(ok("kubectl annotate configmap cm1 note=hi"), "configmap/cm1 annotated\n");
  EXPECT_EQ(ok("kubectl get cm cm1 -o jsonpath='{.metadata.labels.tier} "
               "{.metadata.annotations.note}'"),
            "db hi");
  EXPECT_EQ(ok("kubectl delete configmap cm1"), "configmap \"cm1\" deleted\n");
  ok("kubectl delete secret s1 s2 t1 r1");
  ok("kubectl delete service web");
  ok("kubectl delete serviceaccount builder -n team-a");
  EXPECT_EQ(ok("kubectl delete namespace team-a"), "namespace \"team-a\" deleted\n");
  EXPECT_THAT(ok("kubectl get cm,secrets,svc -o name"), Not(HasSubstr("cm1")));

  // Deployments (apps/v1, from the schema) and their scale subresource.
  EXPECT_EQ(ok("kubectl create deployment web --image=nginx"), "deployment.apps/web created\n");
  EXPECT_EQ(ok("kubectl scale deployment web --replicas=3"), "deployment.apps/web scaled\n");
  EXPECT_EQ(ok("kubectl get deployment web -o jsonpath='{.spec.replicas}'"), "3");
  fails("kubectl scale deployment nothing --replicas=2", "not found");
}

// kubectl's typed clients accept protobuf first: the answers they decode (the created object,
// the SelfSubjectAccessReview, the TokenRequest, the error Status) are protobuf now.
TEST(Kubectl, DecodesProtobufAnswers) {
  fake::TestServer srv;
  std::string env = KubectlEnv(srv);
  auto created = Bash(env + "kubectl create configmap pb --from-literal=a=b -v=8 2>&1");
  ASSERT_EQ(created.code, 0) << created.output;
  EXPECT_THAT(created.output, HasSubstr("Accept: application/vnd.kubernetes.protobuf"));
  EXPECT_THAT(created.output, MatchesRegex("(.|\n)*Response Headers:(.|\n)*Content-Type: "
                                           "application/vnd.kubernetes.protobuf\n(.|\n)*"));
  EXPECT_THAT(created.output, HasSubstr("configmap/pb created"));

  // The answer decoded by kubectl, printed back as YAML: what the JSON answer says.
  auto yaml = Bash(env + "kubectl create deployment zero --image=nginx --replicas=0 -o yaml");
  ASSERT_EQ(yaml.code, 0) << yaml.output;
  EXPECT_THAT(yaml.output, HasSubstr("  replicas: 0\n"));
  EXPECT_THAT(yaml.output, HasSubstr("    type: RollingUpdate\n"));
  EXPECT_THAT(yaml.output, MatchesRegex("(.|\n)*  uid: [0-9a-f-]{36}\n(.|\n)*"));
  auto stored = Bash(env + "kubectl get deployment zero -o jsonpath='{.spec.replicas}'");
  EXPECT_EQ(stored.output, "0");

  auto svc = Bash(env +
                  "kubectl create service nodeport np --tcp=80 -o jsonpath="
                  "'{.spec.ports[0].nodePort} {.spec.ports[0].targetPort}'");
  ASSERT_EQ(svc.code, 0) << svc.output;
  EXPECT_THAT(svc.output, MatchesRegex("3[0-9]{4} 80"));

  // The error Status in protobuf ("k8s\0" and the envelope in kubectl's dump of the body).
  auto exists = Bash(env + "kubectl create configmap pb --from-literal=a=b -v=8 2>&1");
  EXPECT_NE(exists.code, 0);
  EXPECT_THAT(exists.output, HasSubstr("|k8s.....v1..Stat|"));
  EXPECT_THAT(exists.output,
              HasSubstr("error: failed to create configmap: configmaps \"pb\" already exists"));

  auto can_i = Bash(env + "kubectl auth can-i create configmaps");
  EXPECT_EQ(can_i.output, "yes\n");
  auto token = Bash(env + "kubectl create token default --duration=1h");
  EXPECT_THAT(token.output, MatchesRegex("eyJ[A-Za-z0-9_.-]+\n?"));
}

TEST(Kubectl, CreatedTokenWorksForTheDefaultServiceAccount) {
  fake::TestServer srv;
  auto r = Bash(KubectlEnv(srv.paths().kubeconfig) +
                "T=$(kubectl create token default --duration=15m) && "
                "kubectl --kubeconfig " +
                srv.paths().token_kubeconfig.string() + " --token \"$T\" auth whoami");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("system:serviceaccount:default:default"));
}

}  // namespace
}  // namespace kubedouble::e2e
