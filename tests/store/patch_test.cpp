// PATCH: merge, JSON and strategic merge patches, as kubectl sends them.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::HasSubstr;

class PatchTest : public StoreTest {
 protected:
  void SetUp() override {
    // A PodTemplate: a PodSpec to patch, without the limits of Pod updates.
    json pod = {{"metadata", {{"name", "web"}, {"labels", {{"app", "web"}}}}},
                {"template",
                 {{"spec",
                   {{"containers",
                     {{{"name", "main"},
                       {"image", "nginx:1"},
                       {"env", {{{"name", "A"}, {"value", "1"}}, {{"name", "B"}, {"value", "2"}}}},
                       {"ports", {{{"containerPort", 80}, {"protocol", "TCP"}}}},
                       {"volumeMounts", {{{"name", "data"}, {"mountPath", "/data"}}}}},
                      {{"name", "sidecar"}, {"image", "envoy:1"}}}},
                    {"volumes", {{{"name", "data"}, {"emptyDir", json::object()}}}},
                    {"tolerations", {{{"key", "a"}, {"operator", "Exists"}}}}}}}}};
    templates_ = V1("", "podtemplates");
    pod_ = store_->Create(templates_, "default", pod);
  }
  json Patch(PatchType type, const std::string& body) {
    return store_->Patch(templates_, "default", "web", type, body);
  }
  ResourceInfo templates_;
  json pod_;
};

TEST_F(PatchTest, ParsesTheContentTypes) {
  EXPECT_EQ(ParsePatchType("application/merge-patch+json"), PatchType::kMerge);
  EXPECT_EQ(ParsePatchType("application/json-patch+json; charset=utf-8"), PatchType::kJson);
  EXPECT_EQ(ParsePatchType("application/strategic-merge-patch+json"), PatchType::kStrategicMerge);
  EXPECT_EQ(ParsePatchType("application/apply-patch+yaml"), PatchType::kApply);
  // CBOR apply is behind a feature gate that 1.32 leaves off; JSON apply does not exist.
  EXPECT_FALSE(ParsePatchType("application/apply-patch+cbor"));
  EXPECT_FALSE(ParsePatchType("application/apply-patch+json"));
  EXPECT_FALSE(ParsePatchType("application/json"));
  EXPECT_FALSE(ParsePatchType("text/plain"));
}

// A number beyond a double in a patch was an out_of_range exception, answered 500 (ci/fuzz patch
// found it); it is a 400 like any patch that does not decode.
TEST_F(PatchTest, NumberOverflowInAPatchIs400) {
  for (PatchType type : {PatchType::kMerge, PatchType::kJson, PatchType::kStrategicMerge}) {
    auto e = Error([&] { Patch(type, R"({"metadata":{"labels":{"a":1e999}}})"); });
    EXPECT_EQ(e.code(), 400);
    EXPECT_THAT(e.what(), HasSubstr("error decoding patch: number overflow parsing '1e999'"));
  }
}

TEST_F(PatchTest, MergePatchAsKubectlLabelSendsIt) {
  auto out = Patch(PatchType::kMerge, R"({"metadata":{"labels":{"tier":"front","app":null}}})");
  EXPECT_EQ(out["metadata"]["labels"], json({{"tier", "front"}}));
  EXPECT_GT(Rv(out), Rv(pod_));
  auto annotated = Patch(PatchType::kMerge, R"({"metadata":{"annotations":{"note":"hi"}}})");
  EXPECT_EQ(annotated["metadata"]["annotations"]["note"], "hi");
  // Lists are replaced whole by a merge patch.
  auto replaced = Patch(PatchType::kMerge,
                        R"({"template":{"spec":{"containers":[{"name":"only","image":"x"}]}}})");
  EXPECT_EQ(replaced["template"]["spec"]["containers"].size(), 1u);
}

TEST_F(PatchTest, JsonPatchOperations) {
  auto out = Patch(PatchType::kJson, R"([
    {"op":"add","path":"/metadata/labels/tier","value":"front"},
    {"op":"replace","path":"/template/spec/containers/0/image","value":"nginx:2"},
    {"op":"remove","path":"/template/spec/tolerations"},
    {"op":"copy","from":"/metadata/labels/app","path":"/metadata/labels/copy"},
    {"op":"move","from":"/metadata/labels/copy","path":"/metadata/labels/moved"},
    {"op":"test","path":"/metadata/labels/app","value":"web"}])");
  EXPECT_EQ(out["metadata"]["labels"], json({{"app", "web"}, {"tier", "front"}, {"moved", "web"}}));
  EXPECT_EQ(out["template"]["spec"]["containers"][0]["image"], "nginx:2");
  EXPECT_FALSE(out["template"]["spec"].contains("tolerations"));
  EXPECT_FALSE(out["metadata"].contains("generation"));  // PodTemplates have none

  auto failed = Error([&] {
    Patch(PatchType::kJson, R"([{"op":"test","path":"/metadata/labels/app","value":"db"}])");
  });
  EXPECT_EQ(failed.code(), 422);
  EXPECT_THAT(failed.what(), HasSubstr("the JSON patch could not be applied"));
  auto missing = Error([&] { Patch(PatchType::kJson, R"([{"op":"remove","path":"/nope"}])"); });
  EXPECT_EQ(missing.code(), 422);
  EXPECT_EQ(Error([&] { Patch(PatchType::kJson, R"({"op":"add"})"); }).code(), 400);
}

TEST_F(PatchTest, StrategicMergeMergesNamedLists) {
  auto out = Patch(PatchType::kStrategicMerge, R"({"template":{"spec":{
    "containers":[{"name":"main","image":"nginx:2",
                   "env":[{"name":"B","value":"20"},{"name":"C","value":"3"}],
                   "ports":[{"containerPort":443}],
                   "volumeMounts":[{"mountPath":"/cache","name":"cache"}]}],
    "volumes":[{"name":"cache","emptyDir":{}}],
    "tolerations":[{"key":"b","operator":"Exists"}]}}})");
  const auto& containers = out["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);  // sidecar kept
  EXPECT_EQ(containers[0]["image"], "nginx:2");
  EXPECT_EQ(containers[1]["name"], "sidecar");
  EXPECT_EQ(
      containers[0]["env"],
      json::parse(
          R"([{"name":"A","value":"1"},{"name":"B","value":"20"},{"name":"C","value":"3"}])"));
  EXPECT_EQ(containers[0]["ports"].size(), 2u);
  EXPECT_EQ(containers[0]["volumeMounts"].size(), 2u);
  EXPECT_EQ(out["template"]["spec"]["volumes"].size(), 2u);
  EXPECT_EQ(out["template"]["spec"]["tolerations"],
            json::parse(R"([{"key":"b","operator":"Exists"}])"));
}

TEST_F(PatchTest, StrategicMergeDirectives) {
  auto deleted = Patch(PatchType::kStrategicMerge,
                       R"({"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}],
                           "volumes":[{"name":"data","$patch":"delete"}]}}})");
  ASSERT_EQ(deleted["template"]["spec"]["containers"].size(), 1u);
  EXPECT_EQ(deleted["template"]["spec"]["containers"][0]["name"], "main");
  EXPECT_TRUE(deleted["template"]["spec"]["volumes"].empty());

  auto replaced = Patch(
      PatchType::kStrategicMerge,
      R"({"template":{"spec":{"containers":[{"name":"new","image":"x"},{"$patch":"replace"}]}}})");
  ASSERT_EQ(replaced["template"]["spec"]["containers"].size(), 1u);
  EXPECT_EQ(replaced["template"]["spec"]["containers"][0]["name"], "new");
  EXPECT_EQ(replaced["template"]["spec"]["containers"][0]["image"], "x");

  auto map_replace = Patch(PatchType::kStrategicMerge,
                           R"({"metadata":{"labels":{"only":"this","$patch":"replace"}}})");
  EXPECT_EQ(map_replace["metadata"]["labels"], json({{"only", "this"}}));

  auto retained = Patch(
      PatchType::kStrategicMerge,
      R"({"template":{"spec":{"$retainKeys":["containers"],"containers":[{"name":"new","image":"y"}]}}})");
  EXPECT_FALSE(retained["template"]["spec"].contains("volumes"));
  EXPECT_EQ(retained["template"]["spec"]["containers"][0]["image"], "y");
}

TEST_F(PatchTest, ClientSideApplyPatchWithElementOrder) {
  // What `kubectl apply` sends the second time: a strategic patch with $setElementOrder.
  auto out = Patch(PatchType::kStrategicMerge, R"({
    "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},
    "template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"main"}],
            "containers":[{"name":"main","image":"nginx:3"}]}}})");
  ASSERT_EQ(out["template"]["spec"]["containers"].size(), 2u);
  EXPECT_EQ(out["template"]["spec"]["containers"][0]["name"], "sidecar");
  EXPECT_EQ(out["template"]["spec"]["containers"][1]["image"], "nginx:3");
  EXPECT_FALSE(out["template"]["spec"].contains("$setElementOrder/containers"));
}

TEST_F(PatchTest, ResourceVersionInThePatchIsAPrecondition) {
  auto e = Error([&] {
    Patch(PatchType::kMerge, R"({"metadata":{"resourceVersion":"1","labels":{"a":"b"}}})");
  });
  EXPECT_EQ(e.code(), 409);
  EXPECT_EQ(e.reason(), "Conflict");
  auto body =
      json{{"metadata",
            {{"resourceVersion", pod_["metadata"]["resourceVersion"]}, {"labels", {{"a", "b"}}}}}};
  EXPECT_NO_THROW(Patch(PatchType::kMerge, body.dump()));
}

TEST_F(PatchTest, ErrorsAreClientErrors) {
  auto apply = Error([&] { Patch(PatchType::kApply, "{}"); });
  EXPECT_EQ(apply.code(), 422);  // no fieldManager
  EXPECT_THAT(apply.what(), HasSubstr("is required for apply patch"));
  auto garbage = Error([&] { Patch(PatchType::kMerge, "{not json"); });
  EXPECT_EQ(garbage.code(), 400);
  EXPECT_THAT(garbage.what(), HasSubstr("error decoding patch"));
  auto missing =
      Error([&] { store_->Patch(templates_, "default", "ghost", PatchType::kMerge, "{}"); });
  EXPECT_EQ(missing.code(), 404);
  auto rename = Error([&] { Patch(PatchType::kMerge, R"({"metadata":{"name":"other"}})"); });
  EXPECT_EQ(rename.code(), 400);
  auto dry = store_->Patch(templates_, "default", "web", PatchType::kMerge,
                           R"({"metadata":{"labels":{"dry":"run"}}})", {.dry_run = true});
  EXPECT_EQ(dry["metadata"]["labels"]["dry"], "run");
  EXPECT_FALSE(store_->Get(templates_, "default", "web")["metadata"]["labels"].contains("dry"));
}

TEST_F(PatchTest, ServicePortsMergeByPort) {
  store_->Create(
      services_, "default",
      json::parse(R"({"metadata":{"name":"svc"},"spec":{"ports":[{"port":80,"name":"http"}]}})"));
  auto out = store_->Patch(services_, "default", "svc", PatchType::kStrategicMerge,
                           R"({"spec":{"ports":[{"port":443,"name":"https"}]}})");
  EXPECT_EQ(out["spec"]["ports"].size(), 2u);
}

TEST_F(PatchTest, DeploymentContainersMergeByNameFromTheSchema) {
  // kubectl set image / kubectl patch deployment: the pod template's lists merge as a Pod's do.
  ResourceInfo deployments = *registry_->Find("apps", "v1", "deployments");
  store_->Create(deployments, "default", json::parse(R"({"metadata":{"name":"web"},"spec":{
    "selector":{"matchLabels":{"app":"web"}},
    "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
      {"name":"main","image":"nginx:1","env":[{"name":"A","value":"1"}]},
      {"name":"sidecar","image":"envoy:1"}],
      "topologySpreadConstraints":[{"topologyKey":"zone","maxSkew":1,
                                    "whenUnsatisfiable":"DoNotSchedule"}],
      "schedulingGates":[{"name":"a"}]}}}})"));
  auto out = store_->Patch(deployments, "default", "web", PatchType::kStrategicMerge,
                           R"({"spec":{"template":{"spec":{"containers":[
                               {"name":"main","image":"nginx:2","env":[{"name":"B","value":"2"}]}]}}}})");
  const json& containers = out["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);  // the sidecar is kept
  EXPECT_EQ(containers[0]["image"], "nginx:2");
  EXPECT_EQ(containers[0]["env"].size(), 2u);
  EXPECT_EQ(containers[1]["name"], "sidecar");
  // Lists the old hand table of merge keys did not know merge too (by topologyKey, by name).
  auto more = store_->Patch(deployments, "default", "web", PatchType::kStrategicMerge,
                            R"({"spec":{"template":{"spec":{
                                "topologySpreadConstraints":[{"topologyKey":"host","maxSkew":2,
                                  "whenUnsatisfiable":"ScheduleAnyway"}],
                                "schedulingGates":[{"name":"b"}]}}}})");
  EXPECT_EQ(more["spec"]["template"]["spec"]["topologySpreadConstraints"].size(), 2u);
  EXPECT_EQ(more["spec"]["template"]["spec"]["schedulingGates"].size(), 2u);
}

TEST_F(PatchTest, ListsWithoutAMergeStrategyAreReplaced) {
  // Role rules are atomic (x-kubernetes-list-type: atomic, no patch strategy).
  ResourceInfo roles = *registry_->Find("rbac.authorization.k8s.io", "v1", "roles");
  store_->Create(roles, "default", json::parse(R"({"metadata":{"name":"reader"},"rules":[
    {"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]})"));
  auto out =
      store_->Patch(roles, "default", "reader", PatchType::kStrategicMerge,
                    R"({"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}]})");
  ASSERT_EQ(out["rules"].size(), 1u);
  EXPECT_EQ(out["rules"][0]["resources"], json::array({"secrets"}));
  // A Pod's tolerations have no merge key: replaced, as kube-apiserver does.
  auto pod =
      Patch(PatchType::kStrategicMerge, R"({"template":{"spec":{"tolerations":[{"key":"b"}]}}})");
  EXPECT_EQ(pod["template"]["spec"]["tolerations"], json::parse(R"([{"key":"b"}])"));
}

TEST_F(PatchTest, FinalizersMergeAsASet) {
  Patch(PatchType::kMerge, R"({"metadata":{"finalizers":["a/x"]}})");
  auto out = Patch(PatchType::kStrategicMerge, R"({"metadata":{"finalizers":["b/y"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], json::parse(R"(["a/x","b/y"])"));
}

}  // namespace
}  // namespace kubedouble::fake::testing
