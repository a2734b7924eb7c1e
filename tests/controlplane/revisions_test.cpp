// StatefulSets and DaemonSets on the fake clock: the ControllerRevisions `kubectl rollout
// history` lists, and the PersistentVolumeClaims of volumeClaimTemplates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "controlplane/fake_cluster.h"

namespace kubedouble::controlplane {
namespace {

using namespace std::chrono_literals;

json StatefulSet(const std::string& image) {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
    "spec": {"serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
      "template": {"metadata": {"labels": {"app": "db"}},
                   "spec": {"containers": [{"name": "db", "image": ")" +
                     image + R"("}]}},
      "volumeClaimTemplates": [{"metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"],
                 "resources": {"requests": {"storage": "1Gi"}}}}]}})");
}

// Sets the image of the first container of `plural`/`name`'s pod template, as kubectl set image.
void SetImage(Cluster& c, const std::string& plural, const std::string& name,
              const std::string& image) {
  json o = c.Get("apps", "v1", plural, "default", name);
  o["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  c.store().Update(c.Res("apps", "v1", plural), "default", name, o);
}

// ControllerRevision name -> revision number.
std::map<std::string, int64_t> Revisions(Cluster& c) {
  std::map<std::string, int64_t> out;
  for (const auto& r : c.List("apps", "v1", "controllerrevisions", "default"))
    out[r["metadata"]["name"]] = r["revision"];
  return out;
}

TEST(WorkloadHistory, StatefulSetTemplatesBecomeNumberedRevisions) {
  Cluster c;
  c.Create("apps", "v1", "statefulsets", "default", StatefulSet("postgres:16"));
  c.Advance(1s);
  auto first = Revisions(c);
  ASSERT_EQ(first.size(), 1u);
  const std::string v1 = first.begin()->first;
  EXPECT_EQ(first.begin()->second, 1);
  json rev = c.Get("apps", "v1", "controllerrevisions", "default", v1);
  EXPECT_EQ(rev["metadata"]["ownerReferences"][0]["kind"], "StatefulSet");
  EXPECT_EQ(rev["metadata"]["labels"]["app"], "db");  // kubectl finds them by the selector
  EXPECT_EQ(rev["data"]["spec"]["template"]["$patch"], "replace");
  EXPECT_EQ(rev["data"]["spec"]["template"]["spec"]["containers"][0]["image"], "postgres:16");
  // The pods carry the revision's name.
  for (const auto& p : c.List("", "v1", "pods", "default", "app=db"))
    EXPECT_EQ(p["metadata"]["labels"]["controller-revision-hash"], v1);

  SetImage(c, "statefulsets", "db", "postgres:17");
  c.Advance(1s);
  auto second = Revisions(c);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[v1], 1);
  // Back to the first template (what `kubectl rollout undo` does): its revision becomes 3.
  SetImage(c, "statefulsets", "db", "postgres:16");
  c.Advance(1s);
  auto third = Revisions(c);
  ASSERT_EQ(third.size(), 2u);
  EXPECT_EQ(third[v1], 3);
}

TEST(WorkloadHistory, StatefulSetPodsGetBoundClaimsNamedAsUpstream) {
  Cluster c;
  c.Create("apps", "v1", "statefulsets", "default", StatefulSet("postgres:16"));
  c.Advance(1s);
  for (const char* name : {"data-db-0", "data-db-1"}) {
    json pvc = c.Get("", "v1", "persistentvolumeclaims", "default", name);
    EXPECT_EQ(pvc["status"]["phase"], "Bound") << pvc.dump();
    EXPECT_EQ(pvc["status"]["capacity"]["storage"], "1Gi");
    EXPECT_EQ(pvc["spec"]["storageClassName"], "standard");
    EXPECT_THAT(pvc["spec"]["volumeName"].get<std::string>(), ::testing::StartsWith("pvc-"));
    EXPECT_EQ(pvc["metadata"]["labels"]["app"], "db");
    EXPECT_FALSE(pvc["metadata"].contains("ownerReferences"));  // Retain: they outlive the set
  }
  json pod = c.Get("", "v1", "pods", "default", "db-1");
  EXPECT_EQ(pod["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"], "data-db-1");
  // Scaled down and up again, db-1 finds its claim as it was.
  const std::string volume =
      c.Get("", "v1", "persistentvolumeclaims", "default", "data-db-1")["spec"]["volumeName"];
  json sts = c.Get("apps", "v1", "statefulsets", "default", "db");
  sts["spec"]["replicas"] = 1;
  c.store().Update(c.Res("apps", "v1", "statefulsets"), "default", "db", sts);
  c.Advance(1s);
  EXPECT_EQ(c.List("", "v1", "persistentvolumeclaims", "default").size(), 2u);
  sts = c.Get("apps", "v1", "statefulsets", "default", "db");
  sts["spec"]["replicas"] = 2;
  c.store().Update(c.Res("apps", "v1", "statefulsets"), "default", "db", sts);
  c.Advance(1s);
  EXPECT_EQ(c.Get("", "v1", "persistentvolumeclaims", "default", "data-db-1")["spec"]["volumeName"],
            volume);
}

TEST(WorkloadHistory, DaemonSetTemplatesBecomeRevisions) {
  Cluster c;
  c.Create("apps", "v1", "daemonsets", "default", json::parse(R"({
    "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
    "spec": {"selector": {"matchLabels": {"app": "agent"}},
      "template": {"metadata": {"labels": {"app": "agent"}},
                   "spec": {"containers": [{"name": "a", "image": "fluentd:1"}]}}}})"));
  c.Advance(1s);
  SetImage(c, "daemonsets", "agent", "fluentd:2");
  c.Advance(1s);
  auto revisions = Revisions(c);
  ASSERT_EQ(revisions.size(), 2u);
  int64_t highest = 0;
  for (const auto& [name, number] : revisions) {
    EXPECT_THAT(name, ::testing::StartsWith("agent-"));
    highest = std::max(highest, number);
  }
  EXPECT_EQ(highest, 2);
  // The pods' controller-revision-hash is the revision's hash label.
  json pod = c.List("", "v1", "pods", "default", "app=agent")[0];
  const std::string hash = pod["metadata"]["labels"]["controller-revision-hash"];
  EXPECT_EQ(revisions["agent-" + hash], 2);
}

}  // namespace
}  // namespace kubedouble::controlplane
