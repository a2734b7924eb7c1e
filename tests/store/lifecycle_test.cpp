// The deletion lifecycle: finalizers, graceful pod deletion, the three propagation policies,
// the garbage collector and terminating namespaces — what a client sees of each.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class LifecycleTest : public StoreTest {
 protected:
  bool Exists(const ResourceInfo& res, const std::string& ns, const std::string& name) {
    try {
      store_->Get(res, ns, name);
      return true;
    } catch (const StatusError& e) {
      EXPECT_EQ(e.code(), 404) << e.what();
      return false;
    }
  }

  json ConfigMap(const std::string& ns, const std::string& name, json metadata = json::object()) {
    metadata["name"] = name;
    return store_->Create(configmaps_, ns, {{"metadata", metadata}});
  }

  static json OwnerRef(const json& owner, bool block = false) {
    json ref = {{"apiVersion", owner["apiVersion"]},
                {"kind", owner["kind"]},
                {"name", owner["metadata"]["name"]},
                {"uid", owner["metadata"]["uid"]}};
    if (block) ref["blockOwnerDeletion"] = true;
    return ref;
  }

  json Delete(const ResourceInfo& res, const std::string& ns, const std::string& name,
              const std::string& policy = "", bool* removed = nullptr) {
    DeleteOptions d;
    d.propagation_policy = policy;
    return store_->Delete(res, ns, name, d, removed);
  }

  json RemoveFinalizers(const ResourceInfo& res, const std::string& ns, const std::string& name) {
    return store_->Patch(res, ns, name, PatchType::kMerge, R"({"metadata":{"finalizers":null}})");
  }
};

TEST_F(LifecycleTest, FinalizerHoldsTheObjectUntilItIsRemoved) {
  ConfigMap("default", "held", {{"finalizers", {"example.com/hold"}}});
  bool removed = true;
  json marked = Delete(configmaps_, "default", "held", "", &removed);
  EXPECT_FALSE(removed);
  EXPECT_EQ(marked["metadata"]["deletionTimestamp"], "2026-01-02T03:04:05Z");
  EXPECT_EQ(marked["metadata"]["deletionGracePeriodSeconds"], 0);
  EXPECT_TRUE(Exists(configmaps_, "default", "held"));

  // A second DELETE changes nothing; a new finalizer is refused with upstream's words.
  EXPECT_EQ(Delete(configmaps_, "default", "held")["metadata"]["resourceVersion"],
            marked["metadata"]["resourceVersion"]);
  auto err = Error([&] {
    store_->Patch(configmaps_, "default", "held", PatchType::kMerge,
                  R"({"metadata":{"finalizers":["example.com/hold","example.com/more"]}})");
  });
  EXPECT_EQ(err.code(), 422);
  EXPECT_THAT(err.what(),
              HasSubstr("metadata.finalizers: Forbidden: no new finalizers can be added if the "
                        "object is being deleted, found new finalizers "
                        "[]string{\"example.com/more\"}"));

  json released = RemoveFinalizers(configmaps_, "default", "held");
  EXPECT_FALSE(released["metadata"].contains("finalizers"));
  EXPECT_FALSE(Exists(configmaps_, "default", "held"));
}

TEST_F(LifecycleTest, ObjectWithoutFinalizersGoesAtOnce) {
  ConfigMap("default", "plain");
  bool removed = false;
  Delete(configmaps_, "default", "plain", "", &removed);
  EXPECT_TRUE(removed);
  EXPECT_FALSE(Exists(configmaps_, "default", "plain"));
}

TEST_F(LifecycleTest, BoundPodWaitsForItsGracePeriodOnTheClock) {
  Pod("default", "web");
  bool removed = true;
  json pod = Delete(pods_, "default", "web", "", &removed);
  EXPECT_FALSE(removed);
  EXPECT_EQ(pod["metadata"]["deletionGracePeriodSeconds"], 30);
  EXPECT_EQ(pod["metadata"]["deletionTimestamp"], "2026-01-02T03:04:35Z");

  now_ += std::chrono::seconds(29);
  EXPECT_FALSE(store_->Tick());
  EXPECT_TRUE(Exists(pods_, "default", "web"));
  now_ += std::chrono::seconds(1);
  EXPECT_TRUE(store_->Tick());
  EXPECT_FALSE(Exists(pods_, "default", "web"));
}

TEST_F(LifecycleTest, PodGracePeriodFromSpecAndForcedDeletion) {
  json body = PodBody("short");
  body["spec"]["nodeName"] = "node-1";
  body["spec"]["terminationGracePeriodSeconds"] = 5;
  store_->Create(pods_, "default", body);
  EXPECT_EQ(Delete(pods_, "default", "short")["metadata"]["deletionGracePeriodSeconds"], 5);

  // kubectl delete --grace-period=0 --force: a shorter period ends it now.
  DeleteOptions force;
  force.grace_period_seconds = 0;
  bool removed = false;
  store_->Delete(pods_, "default", "short", force, &removed);
  EXPECT_TRUE(removed);
  EXPECT_FALSE(Exists(pods_, "default", "short"));
}

TEST_F(LifecycleTest, UnboundAndFinishedPodsGoAtOnce) {
  store_->Create(pods_, "default", PodBody("pending"));
  Pod("default", "done", json::object(), "Succeeded");
  bool removed = false;
  Delete(pods_, "default", "pending", "", &removed);
  EXPECT_TRUE(removed);
  Delete(pods_, "default", "done", "", &removed);
  EXPECT_TRUE(removed);
}

TEST_F(LifecycleTest, BackgroundDeletionCollectsDependentsRecursively) {
  json owner = ConfigMap("default", "owner");
  json child = ConfigMap("default", "child", {{"ownerReferences", {OwnerRef(owner)}}});
  ConfigMap("default", "grandchild", {{"ownerReferences", {OwnerRef(child)}}});
  json other = ConfigMap("default", "other-owner");
  ConfigMap("default", "shared", {{"ownerReferences", {OwnerRef(owner), OwnerRef(other)}}});

  Delete(configmaps_, "default", "owner");
  EXPECT_FALSE(Exists(configmaps_, "default", "child"));
  EXPECT_FALSE(Exists(configmaps_, "default", "grandchild"));
  // A dependent with another owner stays, without the reference to the one that went.
  json shared = store_->Get(configmaps_, "default", "shared");
  ASSERT_EQ(shared["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(shared["metadata"]["ownerReferences"][0]["name"], "other-owner");
}

TEST_F(LifecycleTest, DependentOfAnOwnerThatNeverExistedIsCollected) {
  ConfigMap("default", "orphaned",
            {{"ownerReferences",
              {{{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"name", "gone"},
                {"uid", "no-such-uid"}}}}});
  EXPECT_FALSE(Exists(configmaps_, "default", "orphaned"));
}

TEST_F(LifecycleTest, OrphanPolicyKeepsDependentsAndDropsTheirReferences) {
  json owner = ConfigMap("default", "owner");
  ConfigMap("default", "child", {{"ownerReferences", {OwnerRef(owner)}}});
  Delete(configmaps_, "default", "owner", "Orphan");
  EXPECT_FALSE(Exists(configmaps_, "default", "owner"));
  json child = store_->Get(configmaps_, "default", "child");
  EXPECT_FALSE(child["metadata"].contains("ownerReferences"));
}

TEST_F(LifecycleTest, ForegroundDeletionWaitsForBlockingDependents) {
  json owner = ConfigMap("default", "owner");
  ConfigMap("default", "blocker",
            {{"ownerReferences", {OwnerRef(owner, true)}}, {"finalizers", {"example.com/hold"}}});
  bool removed = true;
  json marked = Delete(configmaps_, "default", "owner", "Foreground", &removed);
  EXPECT_FALSE(removed);
  EXPECT_THAT(marked["metadata"]["finalizers"], ElementsAre("foregroundDeletion"));
  // The blocking dependent is being deleted, and holds the owner while its finalizer stays.
  EXPECT_TRUE(
      store_->Get(configmaps_, "default", "blocker")["metadata"].contains("deletionTimestamp"));
  EXPECT_TRUE(Exists(configmaps_, "default", "owner"));

  RemoveFinalizers(configmaps_, "default", "blocker");
  EXPECT_FALSE(Exists(configmaps_, "default", "blocker"));
  EXPECT_FALSE(Exists(configmaps_, "default", "owner"));
}

TEST_F(LifecycleTest, UnknownPropagationPolicyIsInvalid) {
  ConfigMap("default", "cm");
  auto err = Error([&] { Delete(configmaps_, "default", "cm", "Sideways"); });
  EXPECT_EQ(err.code(), 422);
  EXPECT_STREQ(err.what(),
               "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: "
               "\"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\", "
               "\"nil\"");
  EXPECT_TRUE(Exists(configmaps_, "default", "cm"));
}

TEST_F(LifecycleTest, NamespaceTerminatesUntilItsContentIsGone) {
  Namespace("doomed");
  ConfigMap("doomed", "plain");
  ConfigMap("doomed", "held", {{"finalizers", {"example.com/hold"}}});
  Pod("doomed", "web");

  json ns = Delete(namespaces_, "", "doomed");
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  EXPECT_FALSE(Exists(configmaps_, "doomed", "plain"));

  json now = store_->Get(namespaces_, "", "doomed");
  const json& conditions = now["status"]["conditions"];
  ASSERT_EQ(conditions.size(), 5u);
  EXPECT_EQ(conditions[3]["type"], "NamespaceContentRemaining");
  EXPECT_EQ(conditions[3]["message"],
            "Some resources are remaining: configmaps. has 1 resource instances, pods. has 1 "
            "resource instances");
  EXPECT_EQ(conditions[4]["message"],
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
            "resource instances");

  // Nothing new may be created there, in upstream's words.
  auto err = Error([&] { ConfigMap("doomed", "late"); });
  EXPECT_EQ(err.code(), 403);
  EXPECT_STREQ(err.what(),
               "configmaps \"late\" is forbidden: unable to create new content in namespace "
               "doomed because it is being terminated");
  EXPECT_EQ(err.details()["causes"][0]["reason"], "NamespaceTerminating");
  // Deleting it again is a conflict.
  EXPECT_EQ(Error([&] { Delete(namespaces_, "", "doomed"); }).code(), 409);

  RemoveFinalizers(configmaps_, "doomed", "held");
  EXPECT_TRUE(Exists(namespaces_, "", "doomed"));  // the pod's grace period still runs
  now_ += std::chrono::seconds(30);
  store_->Tick();
  EXPECT_FALSE(Exists(pods_, "doomed", "web"));
  EXPECT_FALSE(Exists(namespaces_, "", "doomed"));
}

TEST_F(LifecycleTest, EmptyNamespaceGoesWithinTheDelete) {
  Namespace("empty");
  json ns = Delete(namespaces_, "", "empty");
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  EXPECT_FALSE(Exists(namespaces_, "", "empty"));
}

TEST_F(LifecycleTest, WatchSeesTheMarkThenTheRemoval) {
  ConfigMap("default", "held", {{"finalizers", {"example.com/hold"}}});
  ListOptions from;
  from.resource_version = std::to_string(store_->resource_version());
  auto watch = store_->StartWatch(configmaps_, "default", from);
  Delete(configmaps_, "default", "held");
  RemoveFinalizers(configmaps_, "default", "held");
  std::vector<std::string> types;
  while (auto e = watch->Next(std::chrono::milliseconds(50))) types.push_back(e->type);
  EXPECT_THAT(types, ElementsAre("MODIFIED", "MODIFIED", "DELETED"));
}

TEST_F(LifecycleTest, NamespaceFinalizeSubresourceTakesOnlySpecFinalizers) {
  Namespace("stuck");
  ConfigMap("stuck", "held", {{"finalizers", {"example.com/hold"}}});
  Delete(namespaces_, "", "stuck");
  WriteOptions finalize;
  finalize.finalizers_only = true;
  json body = store_->Get(namespaces_, "", "stuck");
  body["spec"]["finalizers"] = json::array();
  body["metadata"]["labels"]["ignored"] = "yes";
  json out = store_->Update(namespaces_, "", "stuck", body, finalize);
  EXPECT_FALSE(out["metadata"]["labels"].contains("ignored"));
  // Without its finalizer the namespace goes; what its content's finalizers held stays behind,
  // as in a real cluster whose namespace was force-finalized.
  EXPECT_FALSE(Exists(namespaces_, "", "stuck"));
  EXPECT_THAT(Names(store_->List(configmaps_, "stuck", {})), ElementsAre("held"));
}

}  // namespace
}  // namespace kubedouble::fake::testing
