// metadata.generation and the status subresource: the main resource never changes status, …/status
// changes nothing else, and the generation counts spec changes of the kinds that carry one.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

class GenerationTest : public StoreTest {
 protected:
  // A custom resource (served, without a CRD object): example.com/v1 widgets.
  ResourceInfo Widgets() {
    ResourceInfo widgets;
    widgets.group = "example.com";
    widgets.version = "v1";
    widgets.kind = "Widget";
    widgets.plural = "widgets";
    registry_->Add(widgets);
    return widgets;
  }
  ResourceInfo Deployments() { return V1("apps", "deployments"); }
  json Deployment() {
    return store_->Create(
        Deployments(), "default",
        {{"metadata", {{"name", "web"}}},
         {"spec",
          {{"selector", {{"matchLabels", {{"app", "web"}}}}},
           {"template",
            {{"metadata", {{"labels", {{"app", "web"}}}}},
             {"spec", {{"containers", {{{"name", "main"}, {"image", "nginx"}}}}}}}}}}});
  }
};

TEST_F(GenerationTest, StartsAtOneAndMovesOnlyOnSpecChanges) {
  auto d = Deployment();
  EXPECT_EQ(d["metadata"]["generation"], 1);
  d["metadata"]["labels"]["tier"] = "front";
  d = store_->Update(Deployments(), "default", "web", d);
  EXPECT_EQ(d["metadata"]["generation"], 1);  // metadata only
  d["spec"]["replicas"] = 3;
  d = store_->Update(Deployments(), "default", "web", d);
  EXPECT_EQ(d["metadata"]["generation"], 2);
  d["status"] = {{"replicas", 3}};
  d = store_->Update(Deployments(), "default", "web", d, {.status_only = true});
  EXPECT_EQ(d["metadata"]["generation"], 2);  // status only
  auto patched = store_->Patch(Deployments(), "default", "web", PatchType::kMerge,
                               R"({"spec":{"replicas":5}})");
  EXPECT_EQ(patched["metadata"]["generation"], 3);
}

TEST_F(GenerationTest, KindsWithoutOneHaveNone) {
  auto pod = Pod("default", "web");
  EXPECT_FALSE(pod["metadata"].contains("generation"));
  auto cm = store_->Create(configmaps_, "default", {{"metadata", {{"name", "cfg"}}}});
  EXPECT_FALSE(cm["metadata"].contains("generation"));
  cm["data"] = {{"a", "1"}};
  EXPECT_FALSE(
      store_->Update(configmaps_, "default", "cfg", cm)["metadata"].contains("generation"));
}

TEST_F(GenerationTest, CustomResourcesCountStatusOnlyWithoutAStatusSubresource) {
  ResourceInfo widgets = Widgets();
  auto w =
      store_->Create(widgets, "default", {{"metadata", {{"name", "w"}}}, {"spec", {{"a", 1}}}});
  EXPECT_EQ(w["metadata"]["generation"], 1);
  w["status"] = {{"ok", true}};
  w = store_->Update(widgets, "default", "w", w);
  EXPECT_EQ(w["status"]["ok"], true);
  EXPECT_EQ(w["metadata"]["generation"], 2);  // no status subresource: status is content

  widgets.subresources.push_back({"status", "", "", "Widget", {"get", "patch", "update"}});
  registry_->Add(widgets);
  w["status"] = {{"ok", false}};
  w = store_->Update(widgets, "default", "w", w);
  EXPECT_EQ(w["status"]["ok"], true);  // kept: only …/status changes it now
  EXPECT_EQ(w["metadata"]["generation"], 2);
}

TEST_F(GenerationTest, TheMainResourceNeverChangesStatus) {
  Deployment();
  auto d = store_->Get(Deployments(), "default", "web");
  d["status"] = {{"replicas", 7}};
  d["spec"]["replicas"] = 2;
  auto out = store_->Update(Deployments(), "default", "web", d);
  EXPECT_EQ(out["spec"]["replicas"], 2);
  EXPECT_FALSE(out.contains("status"));
  auto patched = store_->Patch(Deployments(), "default", "web", PatchType::kMerge,
                               R"({"status":{"replicas":9}})");
  EXPECT_FALSE(patched.contains("status"));
}

TEST_F(GenerationTest, StatusWritesChangeOnlyStatus) {
  Deployment();
  auto d = store_->Get(Deployments(), "default", "web");
  d["status"] = {{"replicas", 1}};
  d["spec"]["replicas"] = 4;
  d["metadata"]["labels"] = {{"sneaky", "yes"}};
  auto out = store_->Update(Deployments(), "default", "web", d, {.status_only = true});
  EXPECT_EQ(out["status"]["replicas"], 1);
  EXPECT_EQ(out["spec"]["replicas"], 1);  // the default, untouched
  EXPECT_FALSE(out["metadata"].contains("labels"));
  auto patched = store_->Patch(Deployments(), "default", "web", PatchType::kMerge,
                               R"({"status":{"readyReplicas":1},"spec":{"replicas":8}})",
                               {.status_only = true});
  EXPECT_EQ(patched["status"], json({{"replicas", 1}, {"readyReplicas", 1}}));
  EXPECT_EQ(patched["spec"]["replicas"], 1);
}

TEST_F(GenerationTest, CreateDropsTheStatusOfKindsWithAStatusSubresource) {
  json body = {{"metadata", {{"name", "web"}}},
               {"spec",
                {{"selector", {{"matchLabels", {{"app", "web"}}}}},
                 {"template",
                  {{"metadata", {{"labels", {{"app", "web"}}}}},
                   {"spec", {{"containers", {{{"name", "main"}, {"image", "nginx"}}}}}}}}}},
               {"status", {{"replicas", 5}, {"readyReplicas", 5}}}};
  EXPECT_FALSE(store_->Create(Deployments(), "default", body).contains("status"));
  EXPECT_FALSE(store_->Get(Deployments(), "default", "web").contains("status"));

  auto svc = store_->Create(services_, "default",
                            {{"metadata", {{"name", "lb"}}},
                             {"spec", {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}}}}},
                             {"status", {{"loadBalancer", {{"ingress", {{{"ip", "1.2.3.4"}}}}}}}}});
  EXPECT_FALSE(svc.contains("status") && svc["status"].contains("loadBalancer") &&
               svc["status"]["loadBalancer"].contains("ingress"));

  auto ns = store_->Create(
      namespaces_, "", {{"metadata", {{"name", "gone"}}}, {"status", {{"phase", "Terminating"}}}});
  EXPECT_EQ(ns["status"], json({{"phase", "Active"}}));

  auto pv = store_->Create(V1("", "persistentvolumes"), "",
                           {{"metadata", {{"name", "pv1"}}},
                            {"spec",
                             {{"capacity", {{"storage", "1Gi"}}},
                              {"accessModes", {"ReadWriteOnce"}},
                              {"hostPath", {{"path", "/tmp/pv1"}}}}},
                            {"status", {{"phase", "Bound"}}}});
  EXPECT_EQ(pv["status"]["phase"], "Pending");
  EXPECT_EQ(pv["status"]["lastPhaseTransitionTime"], "2026-01-02T03:04:05Z");

  // Nodes keep theirs (kubelets register with one); so do Pods here, as no kubelet runs.
  auto node = store_->Create(
      nodes_, "", {{"metadata", {{"name", "n1"}}}, {"status", {{"capacity", {{"cpu", "4"}}}}}});
  EXPECT_EQ(node["status"]["capacity"]["cpu"], "4");
  EXPECT_EQ(Pod("default", "p")["status"]["phase"], "Running");
}

TEST_F(GenerationTest, CreateDropsTheStatusOfCustomResourcesWithAStatusSubresource) {
  ResourceInfo widgets = Widgets();
  json body = {{"metadata", {{"name", "w"}}}, {"status", {{"ok", true}}}};
  EXPECT_EQ(store_->Create(widgets, "default", body)["status"]["ok"], true);  // plain content
  widgets.subresources.push_back({"status", "", "", "Widget", {"get", "patch", "update"}});
  registry_->Add(widgets);
  body["metadata"]["name"] = "w2";
  EXPECT_FALSE(store_->Create(widgets, "default", body).contains("status"));
}

}  // namespace
}  // namespace kubedouble::fake::testing
