// RBAC policy rules and how a request or another rule is matched against them, as
// kube-apiserver's RBAC authorizer resolves them.
//
// Matching a request: the verb is in `verbs` (or "*"); for a resource request the API group is in
// `apiGroups` (or "*"), the resource in `resources` — "*", the resource, "resource/subresource"
// for a subresource, or "*/subresource" — and the name in `resourceNames` when that is not empty;
// for a non-resource request the path is in `nonResourceURLs`, "*" or a "prefix*" entry.
//
// Covering (escalation prevention): a rule covers another when it allows everything the other
// allows; a set of rules covers a rule when every single (group, resource, verb, name) or
// (url, verb) of it is covered by one rule of the set.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kubedouble::fake {

struct Rule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  bool operator==(const Rule&) const = default;

  // From a PolicyRule object ({"verbs":[...],"apiGroups":[...],...}); missing or non-string
  // entries are skipped (validation reports them).
  static Rule FromJson(const nlohmann::json& j);
  nlohmann::json ToJson() const;  // a PolicyRule object, empty lists left out
  // Upstream's compact form, as escalation errors print it:
  // {APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}.
  std::string CompactString() const;
};

// Go's %q of a []string, as upstream's messages print lists: ["a" "b"].
std::string GoQuotedList(const std::vector<std::string>& list);

// The rules of a "rules" list (anything else: none).
std::vector<Rule> RulesFromJson(const nlohmann::json& list);

// What a request asks, as a rule is matched against it.
struct RuleRequest {
  bool resource_request = false;
  const std::string& verb;
  const std::string& api_group;
  const std::string& resource;
  const std::string& subresource;
  const std::string& name;
  const std::string& path;
};

bool RuleAllows(const Rule& rule, const RuleRequest& request);

// The single-permission rules `rule` is made of: one per group × resource × verb (× name), and
// one per URL × verb.
std::vector<Rule> BreakdownRule(const Rule& rule);
// Whether `owner` allows everything the single-permission rule `sub` allows.
bool RuleCovers(const Rule& owner, const Rule& sub);
// The single-permission rules of `wanted` that no rule of `owned` covers, merged back as upstream
// compacts them (same group, resource and name: verbs together). Empty: `owned` covers `wanted`.
std::vector<Rule> MissingRules(const std::vector<Rule>& owned, const std::vector<Rule>& wanted);

}  // namespace kubedouble::fake
