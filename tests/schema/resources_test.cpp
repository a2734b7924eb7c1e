// The generated resource tables: what a default 1.32 server serves, as discovery shows it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "kubedouble/schema/resources.h"

namespace kubedouble::schema {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Strings(std::span<const std::string_view> s) {
  return {s.begin(), s.end()};
}

TEST(SchemaResources, EveryDefaultEnabledResourceOf132) {
  EXPECT_EQ(Resources().size(), 59u);
  std::set<std::string> gvs;
  for (const Resource& r : Resources()) {
    gvs.insert(std::string(r.group) + "/" + std::string(r.version));
    EXPECT_FALSE(r.kind.empty()) << r.plural;
    EXPECT_NE(r.verbs, 0) << r.plural;
  }
  EXPECT_EQ(gvs.size(), 21u);  // 20 groups; autoscaling serves v2 and v1
  for (const char* gv : {"/v1", "apps/v1", "batch/v1", "rbac.authorization.k8s.io/v1",
                         "coordination.k8s.io/v1", "policy/v1", "scheduling.k8s.io/v1"}) {
    EXPECT_TRUE(gvs.count(gv)) << gv;
  }
  EXPECT_FALSE(gvs.count("resource.k8s.io/v1beta1"));  // beta: off by default
}

TEST(SchemaResources, DeploymentAsDiscoveryShowsIt) {
  const Resource* d = FindResource("apps", "v1", "deployments");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, "Deployment");
  EXPECT_EQ(d->singular, "deployment");
  EXPECT_TRUE(d->namespaced);
  EXPECT_THAT(Strings(d->short_names), ElementsAre("deploy"));
  EXPECT_THAT(Strings(d->categories), ElementsAre("all"));
  EXPECT_THAT(VerbNames(d->verbs), ElementsAre("create", "delete", "deletecollection", "get",
                                               "list", "patch", "update", "watch"));
  ASSERT_EQ(d->subresources.size(), 2u);
  EXPECT_EQ(d->subresources[0].name, "scale");
  EXPECT_EQ(d->subresources[0].group, "autoscaling");
  EXPECT_EQ(d->subresources[0].kind, "Scale");
  EXPECT_THAT(VerbNames(d->subresources[0].verbs), ElementsAre("get", "patch", "update"));
  EXPECT_EQ(d->subresources[1].name, "status");
  EXPECT_EQ(d->subresources[1].group, "");
}

TEST(SchemaResources, ScopesAndVerbsDiffer) {
  const Resource* ns = FindResource("", "v1", "namespaces");
  ASSERT_NE(ns, nullptr);
  EXPECT_FALSE(ns->namespaced);
  EXPECT_FALSE(ns->verbs & kDeleteCollection);
  EXPECT_FALSE(FindResource("rbac.authorization.k8s.io", "v1", "clusterroles")->namespaced);
  EXPECT_TRUE(FindResource("coordination.k8s.io", "v1", "leases")->namespaced);
  EXPECT_EQ(FindResource("authentication.k8s.io", "v1", "tokenreviews")->verbs, kCreate);
  EXPECT_THAT(Strings(FindResource("", "v1", "resourcequotas")->short_names), ElementsAre("quota"));
  EXPECT_EQ(FindResource("apps", "v1", "nothings"), nullptr);
  EXPECT_EQ(VerbBit("watch"), kWatch);
  EXPECT_EQ(VerbBit("proxy"), 0);
}

TEST(SchemaResources, GroupsInDiscoveryOrder) {
  auto groups = Groups();
  ASSERT_GE(groups.size(), 20u);
  EXPECT_EQ(groups[0].name, "");
  EXPECT_EQ(groups[1].name, "apiregistration.k8s.io");  // first in GET /apis
  EXPECT_EQ(groups[2].name, "apps");
  const Group* autoscaling = FindGroup("autoscaling");
  ASSERT_NE(autoscaling, nullptr);
  EXPECT_THAT(Strings(autoscaling->versions), ElementsAre("v2", "v1"));
  EXPECT_EQ(autoscaling->preferred_version, "v2");
  EXPECT_EQ(GroupPosition(""), 0);
  EXPECT_EQ(GroupPosition("example.com"), -1);
  EXPECT_EQ(FindGroup("resource.k8s.io"), nullptr);  // nothing served by default
}

}  // namespace
}  // namespace kubedouble::schema
