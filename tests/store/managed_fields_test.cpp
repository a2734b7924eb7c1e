// Field ownership (metadata.managedFields) and server-side apply, as kube-apiserver keeps them.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::HasSubstr;

class ManagedFieldsTest : public StoreTest {
 protected:
  static WriteOptions By(const std::string& manager, bool force = false) {
    WriteOptions o;
    o.field_manager = manager;
    o.force = force;
    return o;
  }
  json Apply(const ResourceInfo& res, const std::string& name, const json& config,
             const std::string& manager, bool force = false) {
    return store_->Patch(res, "default", name, PatchType::kApply, config.dump(),
                         By(manager, force));
  }
  static json Deployment(int replicas, json containers) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", std::move(containers)}}}}}}}};
  }
  static json Container(const std::string& name, const std::string& image) {
    return {{"name", name}, {"image", image}};
  }
  static json ConfigMap(json data) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", "cm"}}},
            {"data", std::move(data)}};
  }
  // The entry of `manager` (and `operation`) in the object's managedFields; null when none.
  static json Entry(const json& object, const std::string& manager, const std::string& operation) {
    for (const auto& e : object["metadata"].value("managedFields", json::array())) {
      if (e["manager"] == manager && e["operation"] == operation) return e;
    }
    return nullptr;
  }
  StatusError ApplyError(const ResourceInfo& res, const std::string& name, const json& config,
                         const std::string& manager) {
    try {
      Apply(res, name, config, manager);
    } catch (const StatusError& e) {
      return e;
    }
    ADD_FAILURE() << "the apply succeeded";
    return StatusError(0, "", "");
  }
  ResourceInfo deployments_ = V1("apps", "deployments");
};

TEST_F(ManagedFieldsTest, CreateRecordsAnUpdateEntryForTheManager) {
  json cm = store_->Create(
      configmaps_, "default",
      {{"metadata", {{"name", "cm"}, {"labels", {{"app", "x"}}}}}, {"data", {{"a", "1"}}}},
      By("kubectl-create"));
  json want = json::array(
      {{{"manager", "kubectl-create"},
        {"operation", "Update"},
        {"apiVersion", "v1"},
        {"time", "2026-01-02T03:04:05Z"},
        {"fieldsType", "FieldsV1"},
        {"fieldsV1",
         {{"f:data", {{".", json::object()}, {"f:a", json::object()}}},
          {"f:metadata", {{"f:labels", {{".", json::object()}, {"f:app", json::object()}}}}}}}}});
  EXPECT_EQ(cm["metadata"]["managedFields"], want);
  EXPECT_EQ(store_->Get(configmaps_, "default", "cm")["metadata"]["managedFields"], want);
}

TEST_F(ManagedFieldsTest, UpdatesMergePerManagerAndMoveChangedFields) {
  json cm = store_->Create(configmaps_, "default",
                           {{"metadata", {{"name", "cm"}}}, {"data", {{"a", "1"}, {"b", "2"}}}},
                           By("creator"));
  cm["data"]["a"] = "changed";
  cm = store_->Update(configmaps_, "default", "cm", cm, By("kubectl-edit"));
  EXPECT_EQ(Entry(cm, "creator", "Update")["fieldsV1"],
            json({{"f:data", {{".", json::object()}, {"f:b", json::object()}}}}));
  EXPECT_EQ(Entry(cm, "kubectl-edit", "Update")["fieldsV1"],
            json({{"f:data", {{"f:a", json::object()}}}}));
  cm["data"]["c"] = "3";
  cm = store_->Update(configmaps_, "default", "cm", cm, By("kubectl-edit"));
  EXPECT_EQ(cm["metadata"]["managedFields"].size(), 2u);
  EXPECT_EQ(Entry(cm, "kubectl-edit", "Update")["fieldsV1"],
            json({{"f:data", {{"f:a", json::object()}, {"f:c", json::object()}}}}));
  // A write that changes nothing keeps the resourceVersion and the entries.
  json again = store_->Update(configmaps_, "default", "cm", cm, By("someone-else"));
  EXPECT_EQ(again["metadata"]["resourceVersion"], cm["metadata"]["resourceVersion"]);
  EXPECT_EQ(again["metadata"]["managedFields"], cm["metadata"]["managedFields"]);
}

TEST_F(ManagedFieldsTest, ApplyCreatesTheObjectAndOwnsWhatItSent) {
  json cm = Apply(configmaps_, "cm", ConfigMap({{"a", "1"}}), "flux");
  EXPECT_EQ(cm["data"], json({{"a", "1"}}));
  ASSERT_EQ(cm["metadata"]["managedFields"].size(), 1u);
  json e = cm["metadata"]["managedFields"][0];
  EXPECT_EQ(e["manager"], "flux");
  EXPECT_EQ(e["operation"], "Apply");
  EXPECT_EQ(e["apiVersion"], "v1");
  EXPECT_EQ(e["fieldsV1"], json({{"f:data", {{"f:a", json::object()}}}}));
  EXPECT_FALSE(cm["metadata"]["uid"].get<std::string>().empty());
}

TEST_F(ManagedFieldsTest, ApplyNeedsAFieldManager) {
  auto e = ApplyError(configmaps_, "cm", ConfigMap({{"a", "1"}}), "");
  EXPECT_EQ(e.code(), 422);
  EXPECT_STREQ(e.what(),
               "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is "
               "required for apply patch");
}

TEST_F(ManagedFieldsTest, ApplyRefusesManagedFieldsAndOtherKinds) {
  json config = ConfigMap({{"a", "1"}});
  config["metadata"]["managedFields"] = json::array();
  auto e = ApplyError(configmaps_, "cm", config, "m");
  EXPECT_EQ(e.code(), 400);
  EXPECT_STREQ(e.what(), "metadata.managedFields must be nil");
  json secret = ConfigMap({{"a", "1"}});
  secret["kind"] = "Secret";
  EXPECT_EQ(ApplyError(configmaps_, "cm", secret, "m").code(), 400);
  EXPECT_EQ(ApplyError(configmaps_, "cm", {{"metadata", {{"name", "cm"}}}}, "m").code(), 400);
}

TEST_F(ManagedFieldsTest, ApplyConflictsWithAnotherManagersField) {
  store_->Create(deployments_, "default", Deployment(3, {Container("web", "nginx:1")}),
                 By("kubectl-client-side-apply"));
  auto e = ApplyError(deployments_, "web", Deployment(5, {Container("web", "nginx:1")}), "kubectl");
  EXPECT_EQ(e.code(), 409);
  EXPECT_EQ(e.reason(), "Conflict");
  EXPECT_STREQ(e.what(),
               "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
               "apps/v1: .spec.replicas");
  EXPECT_EQ(e.details()["causes"],
            json::array({{{"reason", "FieldManagerConflict"},
                          {"message", "conflict with \"kubectl-client-side-apply\" using apps/v1"},
                          {"field", ".spec.replicas"}}}));
  // Nothing changed.
  EXPECT_EQ(store_->Get(deployments_, "default", "web")["spec"]["replicas"], 3);
}

TEST_F(ManagedFieldsTest, ConflictsListEveryFieldByManager) {
  store_->Create(deployments_, "default", Deployment(3, {Container("web", "nginx:1")}),
                 By("creator"));
  auto e = ApplyError(deployments_, "web", Deployment(5, {Container("web", "nginx:2")}), "mgr");
  EXPECT_STREQ(e.what(),
               "Apply failed with 2 conflicts: conflicts with \"creator\" using apps/v1:\n"
               "- .spec.replicas\n"
               "- .spec.template.spec.containers[name=\"web\"].image");
  ASSERT_EQ(e.details()["causes"].size(), 2u);
  EXPECT_EQ(e.details()["causes"][1]["field"],
            ".spec.template.spec.containers[name=\"web\"].image");
}

TEST_F(ManagedFieldsTest, TheSameValueIsSharedNotAConflict) {
  store_->Create(deployments_, "default", Deployment(3, {Container("web", "nginx:1")}),
                 By("creator"));
  json d = Apply(deployments_, "web", Deployment(3, {Container("web", "nginx:1")}), "mgr");
  EXPECT_TRUE(Entry(d, "creator", "Update")["fieldsV1"]["f:spec"].contains("f:replicas"));
  EXPECT_TRUE(Entry(d, "mgr", "Apply")["fieldsV1"]["f:spec"].contains("f:replicas"));
}

TEST_F(ManagedFieldsTest, ForceTakesTheFields) {
  store_->Create(deployments_, "default", Deployment(3, {Container("web", "nginx:1")}),
                 By("creator"));
  json d = Apply(deployments_, "web", Deployment(5, {Container("web", "nginx:1")}), "mgr", true);
  EXPECT_EQ(d["spec"]["replicas"], 5);
  EXPECT_FALSE(Entry(d, "creator", "Update")["fieldsV1"]["f:spec"].contains("f:replicas"));
  EXPECT_TRUE(Entry(d, "mgr", "Apply")["fieldsV1"]["f:spec"].contains("f:replicas"));
  // The selector is atomic: owned as one field.
  EXPECT_EQ(Entry(d, "mgr", "Apply")["fieldsV1"]["f:spec"]["f:selector"], json::object());
}

TEST_F(ManagedFieldsTest, KeyedListsMergeItemByItem) {
  Apply(deployments_, "web", Deployment(1, {Container("web", "nginx:1")}), "a");
  json sidecar = Deployment(1, {Container("proxy", "envoy:1")});
  sidecar["spec"].erase("replicas");
  json d = Apply(deployments_, "web", sidecar, "b");
  const json& containers = d["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["name"], "web");
  EXPECT_EQ(containers[1]["name"], "proxy");
  EXPECT_EQ(
      Entry(d, "b", "Apply")["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"],
      json({{"k:{\"name\":\"proxy\"}",
             {{".", json::object()}, {"f:image", json::object()}, {"f:name", json::object()}}}}));
}

TEST_F(ManagedFieldsTest, FieldsAManagerStopsApplyingAreRemoved) {
  Apply(configmaps_, "cm", ConfigMap({{"a", "1"}, {"b", "2"}}), "m");
  json cm = Apply(configmaps_, "cm", ConfigMap({{"a", "1"}}), "m");
  EXPECT_EQ(cm["data"], json({{"a", "1"}}));
  // ... unless another manager owns them too.
  Apply(configmaps_, "cm", ConfigMap({{"a", "1"}, {"c", "3"}}), "m");
  Apply(configmaps_, "cm", ConfigMap({{"c", "3"}}), "other");
  cm = Apply(configmaps_, "cm", ConfigMap({{"a", "1"}}), "m");
  EXPECT_EQ(cm["data"], json({{"a", "1"}, {"c", "3"}}));
  // A container a manager stops applying goes as a whole.
  Apply(deployments_, "web",
        Deployment(1, {Container("web", "nginx:1"), Container("proxy", "envoy:1")}), "m");
  json d = Apply(deployments_, "web", Deployment(1, {Container("web", "nginx:1")}), "m");
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"].size(), 1u);
}

TEST_F(ManagedFieldsTest, SetsAndCustomResourcesMergeByTheirListTypes) {
  json crd = json::parse(R"({
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {
            "ports": {"type": "array", "x-kubernetes-list-type": "map",
                      "x-kubernetes-list-map-keys": ["name"],
                      "items": {"type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string"}, "port": {"type": "integer"}}}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set",
                     "items": {"type": "string"}},
            "args": {"type": "array", "items": {"type": "string"}}}}}}}}]}})");
  store_->Create(crds_, "", crd);
  ResourceInfo widgets = *registry_->Find("example.com", "v1", "widgets");
  auto widget = [](json spec) {
    return json{{"apiVersion", "example.com/v1"},
                {"kind", "Widget"},
                {"metadata", {{"name", "w"}}},
                {"spec", std::move(spec)}};
  };
  Apply(widgets, "w",
        widget({{"ports", {{{"name", "http"}, {"port", 80}}}}, {"tags", {"a"}}, {"args", {"x"}}}),
        "one");
  json w = Apply(widgets, "w",
                 widget({{"ports", {{{"name", "grpc"}, {"port", 90}}}}, {"tags", {"b"}}}), "two");
  EXPECT_EQ(w["spec"]["ports"].size(), 2u);
  EXPECT_EQ(w["spec"]["tags"], json({"a", "b"}));
  EXPECT_EQ(Entry(w, "two", "Apply")["fieldsV1"]["f:spec"]["f:tags"],
            json({{"v:\"b\"", json::object()}}));
  // An atomic list (no list type in a CRD) is one field: another value is a conflict.
  auto e = ApplyError(widgets, "w", widget({{"args", {"y"}}}), "two");
  EXPECT_EQ(e.code(), 409);
  EXPECT_THAT(e.what(), HasSubstr("conflict with \"one\": .spec.args"));
}

TEST_F(ManagedFieldsTest, KubectlTakesOverClientSideApplyFields) {
  json last = Deployment(3, {Container("web", "nginx:1")});
  json body = last;
  body["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", last.dump()}};
  store_->Create(deployments_, "default", body, By("kubectl-client-side-apply"));
  // Another manager conflicts ...
  EXPECT_EQ(
      ApplyError(deployments_, "web", Deployment(5, {Container("web", "nginx:1")}), "other").code(),
      409);
  // ... kubectl's server-side apply takes over what the last applied configuration set.
  json d = Apply(deployments_, "web", Deployment(5, {Container("web", "nginx:1")}), "kubectl");
  EXPECT_EQ(d["spec"]["replicas"], 5);
  EXPECT_TRUE(Entry(d, "kubectl", "Apply")["fieldsV1"]["f:spec"].contains("f:replicas"));
  // The annotation now holds what kubectl applied.
  json annotated =
      json::parse(d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
                      .get<std::string>());
  EXPECT_EQ(annotated["spec"]["replicas"], 5);
}

TEST_F(ManagedFieldsTest, AnUnmanagedObjectIsOwnedBeforeTheFirstApply) {
  store_->Put(configmaps_,
              {{"metadata", {{"name", "cm"}, {"namespace", "default"}}}, {"data", {{"a", "1"}}}});
  auto e = ApplyError(configmaps_, "cm", ConfigMap({{"a", "2"}}), "m");
  EXPECT_STREQ(e.what(),
               "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: "
               ".data.a");
}

TEST_F(ManagedFieldsTest, ClientsResetManagedFieldsWithOneEmptyEntry) {
  json cm = store_->Create(configmaps_, "default",
                           {{"metadata", {{"name", "cm"}}}, {"data", {{"a", "1"}}}}, By("c"));
  cm["metadata"]["managedFields"] = json::array();  // []: kept as stored
  cm["data"]["b"] = "2";
  cm = store_->Update(configmaps_, "default", "cm", cm, By("u"));
  EXPECT_EQ(cm["metadata"]["managedFields"].size(), 2u);
  cm["metadata"]["managedFields"] = json::array({json::object()});  // [{}]: removed
  cm = store_->Update(configmaps_, "default", "cm", cm, By("u"));
  EXPECT_FALSE(cm["metadata"].contains("managedFields"));
  // Invalid entries are ignored: the stored ones stay.
  cm = store_->Update(configmaps_, "default", "cm",
                      {{"metadata", {{"name", "cm"}}}, {"data", {{"a", "1"}}}}, By("u"));
  cm["metadata"]["managedFields"] = json::array({{{"manager", "x"}, {"operation", "Bogus"}}});
  cm["data"]["z"] = "9";
  cm = store_->Update(configmaps_, "default", "cm", cm, By("u"));
  ASSERT_EQ(cm["metadata"]["managedFields"].size(), 1u);
  EXPECT_EQ(cm["metadata"]["managedFields"][0]["manager"], "u");
}

TEST_F(ManagedFieldsTest, AtMostTenUpdateEntriesTheOldestMergedIntoAncientChanges) {
  json cm = store_->Create(configmaps_, "default", {{"metadata", {{"name", "cm"}}}}, By("m0"));
  for (int i = 1; i <= 11; ++i) {
    now_ += std::chrono::seconds(1);
    cm["data"]["k" + std::to_string(i)] = "v";
    cm = store_->Update(configmaps_, "default", "cm", cm, By("m" + std::to_string(i)));
  }
  const json& entries = cm["metadata"]["managedFields"];
  ASSERT_EQ(entries.size(), 10u);
  json ancient = Entry(cm, "ancient-changes", "Update");
  ASSERT_FALSE(ancient.is_null());
  // m1 and m2, the oldest with fields, are in it; m11 still has its own entry.
  EXPECT_TRUE(ancient["fieldsV1"]["f:data"].contains("f:k1"));
  EXPECT_TRUE(ancient["fieldsV1"]["f:data"].contains("f:k2"));
  EXPECT_FALSE(Entry(cm, "m11", "Update").is_null());
  EXPECT_TRUE(Entry(cm, "m1", "Update").is_null());
}

// Configurations of the wrong shape are 4xx answers (or applied as the values they are), never
// another exception.
TEST_F(ManagedFieldsTest, MisshapenConfigurationsAreClientErrors) {
  Apply(deployments_, "web", Deployment(1, {Container("web", "nginx:1")}), "m");
  const char* bodies[] = {
      "[]",
      "\"text\"",
      "{",
      "a: [b",
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: 5",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":5})",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
          "spec":{"template":{"spec":{"containers":[1,"x",{"noname":1},null]}}}})",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
          "spec":{"template":{"spec":{"containers":{"a":1}}}}})",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
          "spec":{"template":[],"selector":"x"}})",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",
          "labels":[1],"finalizers":{"a":1},"ownerReferences":[{"uid":5}]}})",
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
          "spec":{"template":{"spec":{"containers":[{"name":"web","ports":[{"protocol":"UDP"}]}]}}}})",
  };
  for (const char* body : bodies) {
    for (const char* name : {"web", "fresh"}) {
      try {
        store_->Patch(deployments_, "default", name, PatchType::kApply, body, By("m"));
      } catch (const StatusError& e) {
        EXPECT_LT(e.code(), 500) << body << ": " << e.what();
        EXPECT_GE(e.code(), 400) << body;
      } catch (const std::exception& e) {
        ADD_FAILURE() << body << ": " << e.what();
      }
    }
  }
  // Stored entries that are not FieldsV1 (a fixture's) are replaced, not a failure.
  store_->Put(configmaps_, {{"metadata",
                             {{"name", "odd"},
                              {"namespace", "default"},
                              {"managedFields",
                               {{{"manager", "x"},
                                 {"operation", "Update"},
                                 {"fieldsType", "FieldsV1"},
                                 {"fieldsV1", {{"f:data", {{"f:a", 7}}}}}}}}}},
                            {"data", {{"a", "1"}}}});
  json odd = store_->Get(configmaps_, "default", "odd");
  odd["data"]["a"] = "2";
  EXPECT_NO_THROW(odd = store_->Update(configmaps_, "default", "odd", odd, By("u")));
  json config = ConfigMap({{"c", "3"}});
  config["metadata"]["name"] = "odd";
  EXPECT_NO_THROW(Apply(configmaps_, "odd", config, "m"));
}

TEST_F(ManagedFieldsTest, StatusWritesNameTheSubresource) {
  json d = store_->Create(deployments_, "default", Deployment(1, {Container("web", "nginx:1")}),
                          By("creator"));
  d["status"] = {{"replicas", 1}};
  WriteOptions status = By("controller");
  status.status_only = true;
  d = store_->Update(deployments_, "default", "web", d, status);
  json e = Entry(d, "controller", "Update");
  EXPECT_EQ(e["subresource"], "status");
  EXPECT_EQ(e["fieldsV1"], json({{"f:status", {{"f:replicas", json::object()}}}}));
  // A server-side apply of …/status owns the status it sent, under its subresource.
  WriteOptions apply = By("status-applier");
  apply.status_only = true;
  json config = Deployment(9, {Container("web", "nginx:1")});
  config["status"] = {{"observedGeneration", 1}};
  d = store_->Patch(deployments_, "default", "web", PatchType::kApply, config.dump(), apply);
  EXPECT_EQ(d["spec"]["replicas"], 1);  // the spec is not the status subresource's
  EXPECT_EQ(d["status"]["observedGeneration"], 1);
  json applied = Entry(d, "status-applier", "Apply");
  EXPECT_EQ(applied["subresource"], "status");
  EXPECT_EQ(applied["fieldsV1"], json({{"f:status", {{"f:observedGeneration", json::object()}}}}));
}

}  // namespace
}  // namespace kubedouble::fake::testing
