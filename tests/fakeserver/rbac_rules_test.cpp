// RBAC rule resolution (fakeserver/src/rbac): requests against rules, covering, the subject
// index and aggregation — as kube-apiserver's RBAC authorizer resolves them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "rbac/rbac_index.h"
#include "rbac/rules.h"

namespace kubedouble::fake {
namespace {

using nlohmann::json;

Rule R(json j) { return Rule::FromJson(j); }

bool Allows(const Rule& rule, const std::string& verb, const std::string& group,
            const std::string& resource, const std::string& sub = "",
            const std::string& name = "") {
  std::string path;
  return RuleAllows(rule, RuleRequest{true, verb, group, resource, sub, name, path});
}

bool AllowsPath(const Rule& rule, const std::string& verb, const std::string& path) {
  std::string none;
  return RuleAllows(rule, RuleRequest{false, verb, none, none, none, none, path});
}

TEST(RbacRules, VerbsGroupsAndResourcesWithStars) {
  Rule pods = R({{"verbs", {"get", "list"}}, {"apiGroups", {""}}, {"resources", {"pods"}}});
  EXPECT_TRUE(Allows(pods, "list", "", "pods"));
  EXPECT_FALSE(Allows(pods, "delete", "", "pods"));
  EXPECT_FALSE(Allows(pods, "list", "apps", "pods"));
  EXPECT_FALSE(Allows(pods, "list", "", "secrets"));
  Rule all = R({{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}});
  EXPECT_TRUE(Allows(all, "deletecollection", "apps", "deployments", "scale"));
}

TEST(RbacRules, SubresourcesNeedTheirOwnEntryOrStarSlash) {
  Rule pods = R({{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods"}}});
  EXPECT_FALSE(Allows(pods, "get", "", "pods", "log"));
  Rule log = R({{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods/log"}}});
  EXPECT_TRUE(Allows(log, "get", "", "pods", "log"));
  EXPECT_FALSE(Allows(log, "get", "", "pods"));
  EXPECT_FALSE(Allows(log, "get", "", "pods", "exec"));
  Rule scale = R({{"verbs", {"update"}}, {"apiGroups", {"*"}}, {"resources", {"*/scale"}}});
  EXPECT_TRUE(Allows(scale, "update", "apps", "deployments", "scale"));
  EXPECT_FALSE(Allows(scale, "update", "apps", "deployments"));
  // Upstream has no "pods/*": it names only the subresource literally called "*".
  Rule pods_star = R({{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods/*"}}});
  EXPECT_FALSE(Allows(pods_star, "get", "", "pods", "log"));
}

TEST(RbacRules, ResourceNamesLimitTheObjects) {
  Rule one = R({{"verbs", {"get"}},
                {"apiGroups", {""}},
                {"resources", {"configmaps"}},
                {"resourceNames", {"settings"}}});
  EXPECT_TRUE(Allows(one, "get", "", "configmaps", "", "settings"));
  EXPECT_FALSE(Allows(one, "get", "", "configmaps", "", "other"));
  EXPECT_FALSE(Allows(one, "get", "", "configmaps"));  // a list has no name
}

TEST(RbacRules, NonResourceUrlsWithStarSuffix) {
  Rule urls = R({{"verbs", {"get"}}, {"nonResourceURLs", {"/healthz", "/logs/*"}}});
  EXPECT_TRUE(AllowsPath(urls, "get", "/healthz"));
  EXPECT_FALSE(AllowsPath(urls, "get", "/healthz/ping"));
  EXPECT_TRUE(AllowsPath(urls, "get", "/logs/kubelet.log"));
  EXPECT_TRUE(AllowsPath(urls, "get", "/logs/"));
  EXPECT_FALSE(AllowsPath(urls, "get", "/logs"));
  EXPECT_FALSE(AllowsPath(urls, "post", "/healthz"));
  // A resource rule never allows a path, nor a URL rule a resource.
  EXPECT_FALSE(AllowsPath(R({{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}}), "get",
                          "/healthz"));
  EXPECT_FALSE(Allows(urls, "get", "", "pods"));
}

TEST(RbacRules, MissingRulesListsWhatIsNotCoveredCompacted) {
  std::vector<Rule> owned = {
      R({{"verbs", {"get", "list"}}, {"apiGroups", {""}}, {"resources", {"pods", "*/scale"}}}),
      R({{"verbs", {"get"}}, {"nonResourceURLs", {"/logs/*"}}})};
  EXPECT_TRUE(
      MissingRules(owned, {R({{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods"}}})})
          .empty());
  EXPECT_TRUE(MissingRules(owned, {R({{"verbs", {"list"}},
                                      {"apiGroups", {""}},
                                      {"resources", {"replicationcontrollers/scale"}}})})
                  .empty());
  EXPECT_TRUE(
      MissingRules(owned, {R({{"verbs", {"get"}}, {"nonResourceURLs", {"/logs/a"}}})}).empty());
  auto missing = MissingRules(
      owned,
      {R({{"verbs", {"get", "delete", "watch"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}),
       R({{"verbs", {"get"}}, {"nonResourceURLs", {"/metrics"}}})});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].CompactString(),
            R"({APIGroups:[""], Resources:["pods"], Verbs:["delete" "watch"]})");
  EXPECT_EQ(missing[1].CompactString(), R"({NonResourceURLs:["/metrics"], Verbs:["get"]})");
  // Holding names only does not cover every name.
  std::vector<Rule> named = {R({{"verbs", {"get"}},
                                {"apiGroups", {""}},
                                {"resources", {"secrets"}},
                                {"resourceNames", {"a"}}})};
  EXPECT_EQ(MissingRules(named,
                         {R({{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}})})
                .size(),
            1u);
}

json Binding(const std::string& kind, const std::string& ns, const std::string& name,
             const std::string& role_kind, const std::string& role, json subjects) {
  json b = {{"kind", kind},
            {"metadata", {{"name", name}}},
            {"roleRef", {{"kind", role_kind}, {"name", role}}},
            {"subjects", subjects}};
  if (!ns.empty()) b["metadata"]["namespace"] = ns;
  return b;
}

std::vector<std::string> Sources(const RbacIndex& index, const UserInfo& user,
                                 const std::string& ns) {
  std::vector<std::string> out;
  index.Visit(user, ns, [&](const Rule&, const RuleSource& s) {
    out.push_back(s.Describe());
    return true;
  });
  return out;
}

TEST(RbacIndex, SubjectsOfEveryKindAndNamespaceScoping) {
  RbacIndex index;
  json reader = {{"metadata", {{"name", "reader"}}},
                 {"rules", {{{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}}}};
  index.Apply(RbacKind::kClusterRole, nullptr, &reader);
  json rb = Binding("RoleBinding", "dev", "sa-read", "ClusterRole", "reader",
                    {{{"kind", "ServiceAccount"}, {"name", "app"}}});
  index.Apply(RbacKind::kRoleBinding, nullptr, &rb);
  json crb = Binding("ClusterRoleBinding", "", "all-sas", "ClusterRole", "reader",
                     {{{"kind", "Group"}, {"name", "system:serviceaccounts:ops"}}});
  index.Apply(RbacKind::kClusterRoleBinding, nullptr, &crb);

  UserInfo app{"system:serviceaccount:dev:app",
               "",
               {"system:serviceaccounts", "system:serviceaccounts:dev"},
               {}};
  EXPECT_THAT(
      Sources(index, app, "dev"),
      ::testing::ElementsAre(
          R"(RoleBinding "sa-read/dev" of ClusterRole "reader" to ServiceAccount "dev/app")"));
  EXPECT_TRUE(Sources(index, app, "other").empty());
  EXPECT_TRUE(Sources(index, app, "").empty());  // cluster scope: RoleBindings never apply
  UserInfo ops{"system:serviceaccount:ops:x", "", {"system:serviceaccounts:ops"}, {}};
  EXPECT_THAT(
      Sources(index, ops, "anything"),
      ::testing::ElementsAre(
          R"(ClusterRoleBinding "all-sas" of ClusterRole "reader" to Group "system:serviceaccounts:ops")"));

  index.Apply(RbacKind::kRoleBinding, &rb, nullptr);
  EXPECT_TRUE(Sources(index, app, "dev").empty());
  // A binding whose role does not exist grants nothing.
  json dangling = Binding("RoleBinding", "dev", "d", "Role", "missing",
                          {{{"kind", "User"}, {"name", "alice"}}});
  index.Apply(RbacKind::kRoleBinding, nullptr, &dangling);
  EXPECT_TRUE(Sources(index, UserInfo{"alice", "", {}, {}}, "dev").empty());
}

TEST(RbacIndex, AggregationFollowsLabelsAndChains) {
  RbacIndex index;
  json view = {{"metadata", {{"name", "view"}, {"labels", {{"aggregate-to-edit", "true"}}}}},
               {"aggregationRule",
                {{"clusterRoleSelectors", {{{"matchLabels", {{"aggregate-to-view", "true"}}}}}}}},
               {"rules", json::array()}};
  json edit = {{"metadata", {{"name", "edit"}}},
               {"aggregationRule",
                {{"clusterRoleSelectors", {{{"matchLabels", {{"aggregate-to-edit", "true"}}}}}}}}};
  json widgets = {
      {"metadata", {{"name", "widgets-view"}, {"labels", {{"aggregate-to-view", "true"}}}}},
      {"rules",
       {{{"verbs", {"get"}}, {"apiGroups", {"example.com"}}, {"resources", {"widgets"}}}}}};
  index.Apply(RbacKind::kClusterRole, nullptr, &view);
  index.Apply(RbacKind::kClusterRole, nullptr, &edit);
  bool found = false;
  EXPECT_TRUE(index.RoleRules("ClusterRole", "view", "", &found).empty());
  EXPECT_TRUE(found);
  index.Apply(RbacKind::kClusterRole, nullptr, &widgets);
  EXPECT_EQ(index.RoleRules("ClusterRole", "view", "", nullptr).size(), 1u);
  EXPECT_EQ(index.RoleRules("ClusterRole", "edit", "", nullptr).size(), 1u);  // through view
  auto pending = index.AggregatedRules();
  ASSERT_EQ(pending.count("view"), 1u);
  EXPECT_EQ(pending["view"][0]["resources"], json({"widgets"}));
  index.Apply(RbacKind::kClusterRole, &widgets, nullptr);
  EXPECT_TRUE(index.RoleRules("ClusterRole", "view", "", nullptr).empty());
  EXPECT_TRUE(index.RoleRules("ClusterRole", "edit", "", nullptr).empty());
}

// What aggregation writes back is decided by the rules, not their JSON: stored rules that say the
// same (an empty list where aggregation gives none) need no write; different ones do.
TEST(RbacIndex, AggregatedRulesDifferOnlyByWhatTheRulesSay) {
  RbacIndex index;
  json widgets = {
      {"metadata", {{"name", "widgets-view"}, {"labels", {{"aggregate-to-view", "true"}}}}},
      {"rules",
       {{{"verbs", {"get"}}, {"resources", {"widgets"}}, {"apiGroups", {"example.com"}}}}}};
  json view = {{"metadata", {{"name", "view"}}},
               {"aggregationRule",
                {{"clusterRoleSelectors", {{{"matchLabels", {{"aggregate-to-view", "true"}}}}}}}},
               {"rules",
                {{{"verbs", {"get"}},
                  {"apiGroups", {"example.com"}},
                  {"resources", {"widgets"}},
                  {"resourceNames", json::array()}}}}};
  index.Apply(RbacKind::kClusterRole, nullptr, &widgets);
  index.Apply(RbacKind::kClusterRole, nullptr, &view);
  EXPECT_TRUE(index.AggregatedRules().empty());

  json more = view;
  more["rules"].push_back({{"verbs", {"list"}}, {"apiGroups", {""}}, {"resources", {"pods"}}});
  index.Apply(RbacKind::kClusterRole, &view, &more);
  auto pending = index.AggregatedRules();
  ASSERT_EQ(pending.count("view"), 1u);
  EXPECT_EQ(
      pending["view"],
      json::array(
          {{{"verbs", {"get"}}, {"apiGroups", {"example.com"}}, {"resources", {"widgets"}}}}));

  json none = view;
  none.erase("rules");  // an aggregating role stored without rules, nothing selected by it
  index.Apply(RbacKind::kClusterRole, &widgets, nullptr);
  index.Apply(RbacKind::kClusterRole, &more, &none);
  EXPECT_TRUE(index.AggregatedRules().empty());
}

}  // namespace
}  // namespace kubedouble::fake
