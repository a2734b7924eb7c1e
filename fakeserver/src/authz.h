// Authorization: RBAC-like rules, checked before routing (as kube-apiserver does).
//
// The default policy mirrors a fresh cluster: system:masters may do everything; everyone (even
// system:anonymous when anonymous requests are on) may GET the discovery, version and health
// paths; every authenticated user may create SelfSubjectReviews, SelfSubjectAccessReviews and
// SelfSubjectRulesReviews. A --policy file adds rules (format in fakeserver/README.md).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "identity.h"
#include "request_info.h"

namespace kubedouble::fake {

struct Attributes {
  UserInfo user;
  std::string verb;
  bool resource_request = false;
  std::string api_group;
  std::string api_version;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string path;  // non-resource requests
};

Attributes MakeAttributes(const UserInfo& user, const RequestInfo& info);

struct PolicyRule {
  // Subjects: a rule applies when the user's name is in `users`, one of the user's groups is in
  // `groups`, or the user is one of `service_accounts` ("NAMESPACE/NAME" or "NAMESPACE:NAME").
  std::vector<std::string> users;
  std::vector<std::string> groups;
  std::vector<std::string> service_accounts;
  std::vector<std::string> verbs;              // "*" for all
  std::vector<std::string> api_groups;         // "" is the core group, "*" all
  std::vector<std::string> resources;          // "pods", "pods/log", "*", "*/scale"
  std::vector<std::string> resource_names;     // empty: any
  std::vector<std::string> namespaces;         // empty: any (and cluster-scoped)
  std::vector<std::string> non_resource_urls;  // "/healthz", "/api/*"

  bool AppliesTo(const UserInfo& user) const;
  bool Allows(const Attributes& a) const;
};

class Authorizer {
 public:
  // mode "RBAC" (the default policy) or "AlwaysAllow"; anything else throws std::runtime_error.
  explicit Authorizer(const std::string& mode = "RBAC");
  void AddRules(const std::vector<PolicyRule>& rules);
  bool Allowed(const Attributes& a) const;
  // What `user` may do in namespace `ns` (cluster-wide rules included), as the status of a
  // SelfSubjectRulesReview: {"resourceRules":[...],"nonResourceRules":[...],"incomplete":false}.
  nlohmann::json RulesFor(const UserInfo& user, const std::string& ns) const;
  const std::string& mode() const { return mode_; }

 private:
  std::string mode_;
  std::vector<PolicyRule> rules_;
};

// Reads a policy YAML file. Throws std::runtime_error naming the file, the rule and the field.
std::vector<PolicyRule> LoadPolicyFile(const std::filesystem::path& path);
std::vector<PolicyRule> ParsePolicy(const std::string& yaml_text, const std::string& source);

// 'User "u" cannot list resource "pods" in API group "" in the namespace "default"'
std::string ForbiddenReason(const Attributes& a);
// The 403 Status a real API server sends for a denied request.
nlohmann::json ForbiddenStatus(const Attributes& a);

}  // namespace kubedouble::fake
