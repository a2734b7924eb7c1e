// Registry: the built-in resources discovery shows, and resources added at run time.
#include <algorithm>
#include <cstdio>
#include <fstream>

#include "store_fixture.h"

namespace kubedouble::fake {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RegistryTest, ServesTheBuiltInCoreResources) {
  Registry r;
  auto pods = r.Find("", "v1", "pods");
  ASSERT_TRUE(pods);
  EXPECT_EQ(pods->kind, "Pod");
  EXPECT_EQ(pods->singular, "pod");
  EXPECT_TRUE(pods->namespaced);
  EXPECT_THAT(pods->short_names, ElementsAre("po"));
  EXPECT_THAT(pods->categories, ElementsAre("all"));
  EXPECT_THAT(pods->verbs, ElementsAre("create", "delete", "deletecollection", "get", "list",
                                       "patch", "update", "watch"));
  auto ns = r.Find("", "v1", "namespaces");
  ASSERT_TRUE(ns);
  EXPECT_FALSE(ns->namespaced);
  EXPECT_THAT(ns->short_names, ElementsAre("ns"));
  auto nodes = r.Find("", "v1", "nodes");
  ASSERT_TRUE(nodes);
  EXPECT_FALSE(nodes->namespaced);
  EXPECT_THAT(nodes->short_names, ElementsAre("no"));
  EXPECT_THAT(r.Find("", "v1", "serviceaccounts")->short_names, ElementsAre("sa"));
  EXPECT_THAT(r.Find("", "v1", "configmaps")->short_names, ElementsAre("cm"));
  EXPECT_THAT(r.Find("", "v1", "events")->short_names, ElementsAre("ev"));
  EXPECT_THAT(r.Find("", "v1", "services")->short_names, ElementsAre("svc"));
  EXPECT_TRUE(r.Find("", "v1", "secrets"));
  auto crd = r.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  ASSERT_TRUE(crd);
  EXPECT_EQ(crd->ApiVersion(), "apiextensions.k8s.io/v1");
  EXPECT_FALSE(r.Find("", "v1", "widgets"));
  EXPECT_FALSE(r.Find("", "v2", "pods"));
}

TEST(RegistryTest, FindsByKindAndListsCoreFirst) {
  Registry r;
  auto secret = r.FindByKind("v1", "Secret");
  ASSERT_TRUE(secret);
  EXPECT_EQ(secret->plural, "secrets");
  EXPECT_EQ(secret->ListKind(), "SecretList");
  EXPECT_FALSE(r.FindByKind("apps/v1", "Secret"));
  ResourceInfo w;
  w.group = "aaa.example.com";
  w.version = "v1";
  w.kind = "Widget";
  w.plural = "widgets";
  w.singular = "widget";
  r.Add(w);
  auto all = r.All();
  ASSERT_GE(all.size(), 60u);
  EXPECT_EQ(all.front().group, "");
  // Built-in groups in the order of GET /apis (apiregistration first), then the others.
  auto first_not_core =
      std::find_if(all.begin(), all.end(), [](const ResourceInfo& x) { return !x.group.empty(); });
  ASSERT_NE(first_not_core, all.end());
  EXPECT_EQ(first_not_core->group, "apiregistration.k8s.io");
  EXPECT_EQ(all.back().group, "aaa.example.com");
}

TEST(RegistryTest, ServesEveryDefaultEnabledResourceOf132) {
  Registry r;
  EXPECT_EQ(r.All().size(), 59u);
  auto deploy = r.Find("apps", "v1", "deployments");
  ASSERT_TRUE(deploy);
  EXPECT_EQ(deploy->kind, "Deployment");
  EXPECT_THAT(deploy->short_names, ElementsAre("deploy"));
  EXPECT_THAT(deploy->categories, ElementsAre("all"));
  ASSERT_NE(deploy->Subresource("scale"), nullptr);
  EXPECT_EQ(deploy->Subresource("scale")->kind, "Scale");
  EXPECT_EQ(deploy->Subresource("scale")->group, "autoscaling");
  EXPECT_EQ(deploy->Subresource("exec"), nullptr);
  EXPECT_FALSE(r.Find("rbac.authorization.k8s.io", "v1", "clusterroles")->namespaced);
  EXPECT_TRUE(r.Find("coordination.k8s.io", "v1", "leases")->namespaced);
  EXPECT_TRUE(r.FindByKind("autoscaling/v1", "HorizontalPodAutoscaler"));
  EXPECT_TRUE(r.FindByKind("autoscaling/v2", "HorizontalPodAutoscaler"));
  EXPECT_TRUE(r.FindByKind("scheduling.k8s.io/v1", "PriorityClass"));
  auto ns = r.Find("", "v1", "namespaces");
  EXPECT_FALSE(ns->Allows("deletecollection"));
  EXPECT_TRUE(ns->Allows("delete"));
  EXPECT_THAT(r.Find("authentication.k8s.io", "v1", "tokenreviews")->verbs, ElementsAre("create"));
}

TEST(RegistryTest, GenerationChangesOnAddAndRemove) {
  Registry r;
  auto g0 = r.generation();
  ResourceInfo w;
  w.group = "example.com";
  w.version = "v1";
  w.kind = "Widget";
  w.plural = "widgets";
  r.Add(w);
  EXPECT_GT(r.generation(), g0);
  w.short_names = {"wd"};
  r.Add(w);  // replaces
  EXPECT_THAT(r.Find("example.com", "v1", "widgets")->short_names, ElementsAre("wd"));
  auto g1 = r.generation();
  EXPECT_TRUE(r.Remove("example.com", "widgets"));
  EXPECT_GT(r.generation(), g1);
  EXPECT_FALSE(r.Find("example.com", "v1", "widgets"));
  EXPECT_FALSE(r.Remove("example.com", "widgets"));
}

TEST(ResourcesFileTest, ParsesEntriesWithDefaults) {
  auto rs = ParseResources(R"(
- group: example.com
  version: v1
  kind: Widget
  plural: widgets
  singular: widget
  namespaced: true
  shortNames: [wd]
- group: example.com
  version: v1alpha1
  kind: Gadget
  namespaced: false
)",
                           "res.yaml");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].ApiVersion(), "example.com/v1");
  EXPECT_THAT(rs[0].short_names, ElementsAre("wd"));
  EXPECT_EQ(rs[1].plural, "gadgets");
  EXPECT_EQ(rs[1].singular, "gadget");
  EXPECT_FALSE(rs[1].namespaced);
  auto wrapped = ParseResources("resources:\n- {version: v1, kind: Thing}\n", "r.yaml");
  ASSERT_EQ(wrapped.size(), 1u);
  EXPECT_EQ(wrapped[0].group, "");
}

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseResources(yaml, "res.yaml");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(ResourcesFileTest, ErrorsNameTheFileAndTheEntry) {
  EXPECT_EQ(ErrorOf("- {version: v1, kind: A}\n- {version: v1}\n"),
            "res.yaml: entry 2: missing required field \"kind\"");
  EXPECT_EQ(ErrorOf("- {kind: Widget}\n"),
            "res.yaml: entry 1 (kind Widget): missing required field \"version\"");
  EXPECT_EQ(ErrorOf("- {kind: Widget, version: v1, plural: Wid_gets}\n"),
            "res.yaml: entry 1 (kind Widget): plural \"Wid_gets\" is not a lower-case DNS label");
  EXPECT_EQ(ErrorOf("- {kind: Widget, version: v1, namespaced: maybe}\n"),
            "res.yaml: entry 1 (kind Widget): namespaced must be true or false");
  EXPECT_EQ(ErrorOf("- {kind: Widget, version: v1, colour: red}\n"),
            "res.yaml: entry 1 (kind Widget): unknown field \"colour\"");
  EXPECT_EQ(ErrorOf("- {kind: A, version: v1}\n- {kind: A, version: v1}\n"),
            "res.yaml: entry 2 (kind A): resource as in v1 is listed twice");
  EXPECT_THAT(ErrorOf("kind: [\n"), HasSubstr("res.yaml: not valid YAML"));
  EXPECT_EQ(ErrorOf("just a string\n"),
            "res.yaml: expected a list of resources (or a map with \"resources:\")");
}

TEST(ResourcesFileTest, LoadsAFileAndReportsAMissingOne) {
  std::string path = ::testing::TempDir() + "/store-resources.yaml";
  {
    std::ofstream out(path);
    out << "- {group: example.com, version: v1, kind: Widget}\n";
  }
  auto rs = LoadResourcesFile(path);
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].plural, "widgets");
  std::remove(path.c_str());
  try {
    LoadResourcesFile(path);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot read the resources file");
  }
}

}  // namespace
}  // namespace kubedouble::fake
