#include "authz.h"

#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

#include <kubedouble/certs/certs.h>

#include "status.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
bool Has(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}
bool HasOrStar(const std::vector<std::string>& list, const std::string& v) {
  return Has(list, "*") || Has(list, v);
}

bool ResourceMatches(const std::vector<std::string>& rules, const std::string& resource,
                     const std::string& sub) {
  std::string combined = sub.empty() ? resource : resource + "/" + sub;
  for (const auto& r : rules) {
    if (r == "*" || r == combined) return true;
    if (!sub.empty() && (r == "*/" + sub || r == resource + "/*")) return true;
  }
  return false;
}

bool UrlMatches(const std::vector<std::string>& rules, const std::string& path) {
  for (const auto& r : rules) {
    if (r == "*" || r == path) return true;
    if (!r.empty() && r.back() == '*' && path.compare(0, r.size() - 1, r, 0, r.size() - 1) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<PolicyRule> DefaultRules() {
  std::vector<PolicyRule> rules;
  PolicyRule masters;
  masters.groups = {kGroupMasters};
  masters.verbs = {"*"};
  masters.api_groups = {"*"};
  masters.resources = {"*"};
  rules.push_back(masters);
  PolicyRule masters_urls;
  masters_urls.groups = {kGroupMasters};
  masters_urls.verbs = {"*"};
  masters_urls.non_resource_urls = {"*"};
  rules.push_back(masters_urls);

  // system:discovery + system:public-info-viewer, for everyone.
  PolicyRule discovery;
  discovery.groups = {kGroupAuthenticated, kGroupUnauthenticated};
  discovery.verbs = {"get"};
  discovery.non_resource_urls = {"/api",      "/api/*",    "/apis",      "/apis/*",   "/version",
                                 "/version/", "/healthz",  "/healthz/*", "/livez",    "/livez/*",
                                 "/readyz",   "/readyz/*", "/openapi",   "/openapi/*"};
  rules.push_back(discovery);

  // system:basic-user: self reviews for every authenticated user.
  PolicyRule self_authn;
  self_authn.groups = {kGroupAuthenticated};
  self_authn.verbs = {"create"};
  self_authn.api_groups = {"authentication.k8s.io"};
  self_authn.resources = {"selfsubjectreviews"};
  rules.push_back(self_authn);
  PolicyRule self_authz;
  self_authz.groups = {kGroupAuthenticated};
  self_authz.verbs = {"create"};
  self_authz.api_groups = {"authorization.k8s.io"};
  self_authz.resources = {"selfsubjectaccessreviews", "selfsubjectrulesreviews"};
  rules.push_back(self_authz);
  return rules;
}

std::vector<std::string> Strings(const YAML::Node& node, const std::string& where,
                                 const std::string& field) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
    throw std::runtime_error(fmt::format("{}: {} must be a list of strings", where, field));
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      throw std::runtime_error(fmt::format("{}: {} must be a list of strings", where, field));
    }
    out.push_back(item.Scalar());
  }
  return out;
}
}  // namespace

Attributes MakeAttributes(const UserInfo& user, const RequestInfo& info) {
  Attributes a;
  a.user = user;
  a.verb = info.verb;
  a.resource_request = info.is_resource;
  a.api_group = info.api_group;
  a.api_version = info.api_version;
  a.resource = info.resource;
  a.subresource = info.subresource;
  a.ns = info.ns;
  a.name = info.name;
  a.path = info.path;
  return a;
}

bool PolicyRule::AppliesTo(const UserInfo& user) const {
  if (Has(users, user.name)) return true;
  for (const auto& g : groups) {
    if (user.InGroup(g)) return true;
  }
  for (std::string sa : service_accounts) {
    std::replace(sa.begin(), sa.end(), '/', ':');
    if (user.name == "system:serviceaccount:" + sa) return true;
  }
  return false;
}

bool PolicyRule::Allows(const Attributes& a) const {
  if (!AppliesTo(a.user)) return false;
  if (!HasOrStar(verbs, a.verb)) return false;
  if (!a.resource_request) return UrlMatches(non_resource_urls, a.path);
  if (resources.empty() || !HasOrStar(api_groups, a.api_group)) return false;
  if (!ResourceMatches(resources, a.resource, a.subresource)) return false;
  if (!resource_names.empty() && !Has(resource_names, a.name)) return false;
  if (!namespaces.empty() && !HasOrStar(namespaces, a.ns)) return false;
  return true;
}

Authorizer::Authorizer(const std::string& mode) : mode_(mode) {
  if (mode == "RBAC") {
    rules_ = DefaultRules();
  } else if (mode != "AlwaysAllow") {
    throw std::runtime_error(
        fmt::format("unknown authorization mode \"{}\" (expected RBAC or AlwaysAllow)", mode));
  }
}

void Authorizer::AddRules(const std::vector<PolicyRule>& rules) {
  rules_.insert(rules_.end(), rules.begin(), rules.end());
}

nlohmann::json Authorizer::RulesFor(const UserInfo& user, const std::string& ns) const {
  using nlohmann::json;
  json resource_rules = json::array();
  json non_resource_rules = json::array();
  if (mode_ == "AlwaysAllow") {
    resource_rules.push_back({{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}});
    non_resource_rules.push_back({{"verbs", {"*"}}, {"nonResourceURLs", {"*"}}});
  }
  for (const auto& r : rules_) {
    if (mode_ == "AlwaysAllow" || !r.AppliesTo(user)) continue;
    if (!r.non_resource_urls.empty()) {
      non_resource_rules.push_back({{"verbs", r.verbs}, {"nonResourceURLs", r.non_resource_urls}});
    }
    if (r.resources.empty()) continue;
    if (!r.namespaces.empty() &&
        std::find(r.namespaces.begin(), r.namespaces.end(), ns) == r.namespaces.end() &&
        std::find(r.namespaces.begin(), r.namespaces.end(), "*") == r.namespaces.end()) {
      continue;
    }
    json rule = {{"verbs", r.verbs}, {"apiGroups", r.api_groups}, {"resources", r.resources}};
    if (!r.resource_names.empty()) rule["resourceNames"] = r.resource_names;
    resource_rules.push_back(std::move(rule));
  }
  return {{"resourceRules", resource_rules},
          {"nonResourceRules", non_resource_rules},
          {"incomplete", false}};
}

bool Authorizer::Allowed(const Attributes& a) const {
  if (mode_ == "AlwaysAllow") return true;
  return std::any_of(rules_.begin(), rules_.end(),
                     [&](const PolicyRule& r) { return r.Allows(a); });
}

std::vector<PolicyRule> ParsePolicy(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = base::LoadYaml(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(fmt::format("{}: not valid YAML: {}", source, e.what()));
  }
  if (!root || root.IsNull()) return {};
  YAML::Node list = root.IsMap() ? root["rules"] : root;
  if (!list || !list.IsSequence()) {
    throw std::runtime_error(fmt::format("{}: expected a top-level \"rules:\" list", source));
  }
  static const std::vector<std::string> kKnown = {
      "subjects",  "users",     "groups",        "serviceAccounts", "verbs",
      "apiGroups", "resources", "resourceNames", "namespaces",      "nonResourceURLs"};
  std::vector<PolicyRule> out;
  int index = 0;
  for (const auto& node : list) {
    ++index;
    std::string where = fmt::format("{}: rule {}", source, index);
    if (!node.IsMap()) throw std::runtime_error(where + ": must be a mapping");
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      if (!Has(kKnown, key)) {
        throw std::runtime_error(fmt::format("{}: unknown field \"{}\"", where, key));
      }
    }
    PolicyRule r;
    YAML::Node subjects = node["subjects"] ? node["subjects"] : node;
    r.users = Strings(subjects["users"], where, "users");
    r.groups = Strings(subjects["groups"], where, "groups");
    r.service_accounts = Strings(subjects["serviceAccounts"], where, "serviceAccounts");
    r.verbs = Strings(node["verbs"], where, "verbs");
    r.api_groups = Strings(node["apiGroups"], where, "apiGroups");
    r.resources = Strings(node["resources"], where, "resources");
    r.resource_names = Strings(node["resourceNames"], where, "resourceNames");
    r.namespaces = Strings(node["namespaces"], where, "namespaces");
    r.non_resource_urls = Strings(node["nonResourceURLs"], where, "nonResourceURLs");
    if (r.users.empty() && r.groups.empty() && r.service_accounts.empty()) {
      throw std::runtime_error(where + ": names no subjects (users, groups or serviceAccounts)");
    }
    if (r.verbs.empty()) throw std::runtime_error(where + ": names no verbs");
    if (r.resources.empty() && r.non_resource_urls.empty()) {
      throw std::runtime_error(where + ": names neither resources nor nonResourceURLs");
    }
    if (!r.resources.empty() && r.api_groups.empty()) r.api_groups = {""};
    for (const auto& sa : r.service_accounts) {
      if (sa.find_first_of("/:") == std::string::npos) {
        throw std::runtime_error(
            fmt::format("{}: service account \"{}\" must be NAMESPACE/NAME", where, sa));
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<PolicyRule> LoadPolicyFile(const std::filesystem::path& path) {
  std::string text;
  try {
    text = certs::ReadFile(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("cannot read the policy file {}: {}", path.string(), e.what()));
  }
  return ParsePolicy(text, path.string());
}

std::string ForbiddenReason(const Attributes& a) {
  if (!a.resource_request) {
    return fmt::format("User \"{}\" cannot {} path \"{}\"", a.user.name, a.verb, a.path);
  }
  std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  if (!a.ns.empty()) {
    return fmt::format(
        "User \"{}\" cannot {} resource \"{}\" in API group \"{}\" in the namespace \"{}\"",
        a.user.name, a.verb, resource, a.api_group, a.ns);
  }
  return fmt::format(
      "User \"{}\" cannot {} resource \"{}\" in API group \"{}\" at the cluster scope", a.user.name,
      a.verb, resource, a.api_group);
}

nlohmann::json ForbiddenStatus(const Attributes& a) {
  std::string reason = ForbiddenReason(a);
  if (!a.resource_request) {
    return MakeStatus(403, "Forbidden", "forbidden: " + reason, nlohmann::json::object());
  }
  std::string qualified = a.api_group.empty() ? a.resource : a.resource + "." + a.api_group;
  std::string message = a.name.empty()
                            ? fmt::format("{} is forbidden: {}", qualified, reason)
                            : fmt::format("{} \"{}\" is forbidden: {}", qualified, a.name, reason);
  nlohmann::json details = nlohmann::json::object();
  if (!a.name.empty()) details["name"] = a.name;
  if (!a.api_group.empty()) details["group"] = a.api_group;
  details["kind"] = a.resource;
  return MakeStatus(403, "Forbidden", message, details);
}

}  // namespace kubedouble::fake
