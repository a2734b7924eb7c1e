// The deletion lifecycle through real clients: finalizers that hold an object, kubectl's three
// cascades, a namespace that terminates, graceful and forced pod deletion on the server's clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "kubedouble/fakeserver/clock.h"
#include "run.h"

namespace kubedouble::e2e {
namespace {

using ::testing::HasSubstr;

// Runs `cmd` with kubectl set up for `srv`; fails the test when it fails.
std::string Ok(const fake::TestServer& srv, const std::string& cmd) {
  auto r = Bash(KubectlEnv(srv) + cmd);
  EXPECT_EQ(r.code, 0) << cmd << "\n" << r.output;
  return r.output;
}

// A ConfigMap `name` owned by the ConfigMap `owner` (blocking its foreground deletion when
// `block`), with the finalizer `finalizer` when not empty.
void OwnedConfigMap(const fake::TestServer& srv, const std::string& name, const std::string& owner,
                    bool block, const std::string& finalizer = "") {
  std::string uid = Ok(srv, "kubectl get cm " + owner + " -o jsonpath='{.metadata.uid}'");
  std::ofstream(srv.paths().dir / (name + ".yaml"))
      << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " << name
      << "\n  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: " << owner
      << "\n    uid: " << uid << "\n    blockOwnerDeletion: " << (block ? "true" : "false") << "\n"
      << (finalizer.empty() ? "" : "  finalizers: [" + finalizer + "]\n");
  Ok(srv, "kubectl apply -f " + name + ".yaml");
}

TEST(Lifecycle, FinalizerHoldsAConfigMapUntilReleased) {
  fake::TestServer srv;
  Ok(srv, "kubectl create configmap held");
  Ok(srv,
     "kubectl patch configmap held -p '{\"metadata\":{\"finalizers\":[\"example.com/hold\"]}}'");
  EXPECT_EQ(Ok(srv, "kubectl delete configmap held --wait=false"), "configmap \"held\" deleted\n");
  EXPECT_THAT(Ok(srv, "kubectl get configmap held -o jsonpath='{.metadata.deletionTimestamp}'"),
              ::testing::MatchesRegex("20[0-9-]+T[0-9:]+Z"));
  auto more = Bash(KubectlEnv(srv) +
                   "kubectl patch configmap held --type=json -p "
                   "'[{\"op\":\"add\",\"path\":\"/metadata/finalizers/-\",\"value\":\"x.io/y\"}]'");
  EXPECT_NE(more.code, 0);
  EXPECT_THAT(more.output,
              HasSubstr("no new finalizers can be added if the object is being deleted"));
  Ok(srv, "kubectl patch configmap held --type=merge -p '{\"metadata\":{\"finalizers\":null}}'");
  auto gone = Bash(KubectlEnv(srv) + "kubectl get configmap held");
  EXPECT_THAT(gone.output, HasSubstr("configmaps \"held\" not found"));
}

TEST(Lifecycle, KubectlCascadesBackgroundOrphanAndForeground) {
  fake::TestServer srv;
  for (const char* owner : {"bg", "orphan", "fg"}) {
    Ok(srv, std::string("kubectl create configmap ") + owner);
    OwnedConfigMap(srv, std::string(owner) + "-child", owner, true,
                   owner == std::string("fg") ? "example.com/hold" : "");
  }
  Ok(srv, "kubectl delete configmap bg --cascade=background");
  EXPECT_THAT(Bash(KubectlEnv(srv) + "kubectl get cm bg-child").output, HasSubstr("not found"));

  Ok(srv, "kubectl delete configmap orphan --cascade=orphan");
  EXPECT_EQ(Ok(srv, "kubectl get cm orphan-child -o jsonpath='{.metadata.ownerReferences}'"), "");

  // Foreground: the owner stays, with the collector's finalizer, while its blocking child does.
  Ok(srv, "kubectl delete configmap fg --cascade=foreground --wait=false");
  EXPECT_EQ(Ok(srv, "kubectl get cm fg -o jsonpath='{.metadata.finalizers}'"),
            "[\"foregroundDeletion\"]");
  Ok(srv, "kubectl patch cm fg-child --type=merge -p '{\"metadata\":{\"finalizers\":null}}'");
  EXPECT_THAT(Bash(KubectlEnv(srv) + "kubectl get cm fg fg-child").output,
              HasSubstr("configmaps \"fg\" not found"));
}

TEST(Lifecycle, NamespaceTerminatesThenGoes) {
  fake::TestServer srv;
  Ok(srv, "kubectl create namespace doomed");
  Ok(srv, "kubectl create configmap held -n doomed");
  Ok(srv,
     "kubectl patch cm held -n doomed -p '{\"metadata\":{\"finalizers\":[\"example.com/x\"]}}'");
  Ok(srv, "kubectl delete namespace doomed --wait=false");
  EXPECT_THAT(Ok(srv, "kubectl get namespace doomed"),
              ::testing::MatchesRegex("NAME +STATUS +AGE\ndoomed +Terminating "
                                      "+[0-9a-z]+\n"));
  EXPECT_THAT(Ok(srv,
                 "kubectl get namespace doomed -o "
                 "jsonpath='{.status.conditions[?(@.type==\"NamespaceFinalizersRemaining\")]."
                 "message}'"),
              HasSubstr("example.com/x in 1 resource instances"));
  auto late = Bash(KubectlEnv(srv) + "kubectl create configmap late -n doomed");
  EXPECT_NE(late.code, 0);
  EXPECT_THAT(late.output, HasSubstr("configmaps \"late\" is forbidden: unable to create new "
                                     "content in namespace doomed because it is being terminated"));
  Ok(srv, "kubectl patch cm held -n doomed --type=merge -p '{\"metadata\":{\"finalizers\":null}}'");
  Ok(srv, "kubectl wait --for=delete namespace/doomed --timeout=10s");
}

TEST(Lifecycle, BoundPodTerminatesOnTheFakeClockOrGoesWhenForced) {
  fake::ServerOptions options;
  options.clock = fake::ClockMode::kFake;
  fake::TestServer srv(options);
  for (const char* name : {"graceful", "forced"}) {
    Ok(srv, std::string("kubectl run ") + name +
                " --image=nginx --overrides='{\"spec\":{\"nodeName\":\"kubedouble-worker\"}}'");
  }
  Ok(srv, "kubectl delete pod graceful --wait=false");
  EXPECT_THAT(Ok(srv, "kubectl get pod graceful"), HasSubstr("Terminating"));
  EXPECT_EQ(
      Ok(srv, "kubectl get pod graceful -o jsonpath='{.metadata.deletionGracePeriodSeconds}'"),
      "30");
  srv.server().clock().Advance(std::chrono::seconds(30));
  EXPECT_THAT(Bash(KubectlEnv(srv) + "kubectl get pod graceful").output, HasSubstr("not found"));

  auto forced = Bash(KubectlEnv(srv) + "kubectl delete pod forced --grace-period=0 --force");
  EXPECT_EQ(forced.code, 0) << forced.output;
  EXPECT_THAT(forced.output, HasSubstr("pod \"forced\" force deleted"));
  EXPECT_THAT(Bash(KubectlEnv(srv) + "kubectl get pod forced").output, HasSubstr("not found"));
}

TEST(Lifecycle, PythonClientOrphansDependents) {
  fake::TestServer srv;
  Ok(srv, "kubectl create configmap owner");
  OwnedConfigMap(srv, "child", "owner", false);
  std::string script = srv.paths().dir.string() + "/orphan.py";
  std::ofstream(script) << R"(from kubernetes import client, config
config.load_kube_config()
v1 = client.CoreV1Api()
v1.delete_namespaced_config_map("owner", "default",
                                body=client.V1DeleteOptions(propagation_policy="Orphan"))
child = v1.read_namespaced_config_map("child", "default")
print("refs:", child.metadata.owner_references)
)";
  auto r = Bash(KubectlEnv(srv) + "/usr/bin/python3 " + script);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("refs: None"));
}

}  // namespace
}  // namespace kubedouble::e2e
