#include "authz.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "status.h"

namespace kubedouble::fake {

namespace {
using nlohmann::json;

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

// A request for `verb` on RBAC `resource` (roles, clusterroles) named `name` in `ns`.
Attributes RbacRequest(const UserInfo& user, const char* verb, const std::string& resource,
                       const std::string& ns, const std::string& name) {
  Attributes a;
  a.user = user;
  a.verb = verb;
  a.resource_request = true;
  a.api_group = kRbacGroup;
  a.api_version = "v1";
  a.resource = resource;
  a.ns = ns;
  a.name = name;
  return a;
}

const std::string& NameOf(const json& object) {
  static const std::string kEmpty;
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return kEmpty;
  auto n = m->find("name");
  return n != m->end() && n->is_string() ? n->get_ref<const std::string&>() : kEmpty;
}

StatusError Forbidden(const ResourceInfo& res, const std::string& name, const std::string& why) {
  std::string qualified = res.group.empty() ? res.plural : res.plural + "." + res.group;
  json details = {{"name", name}, {"group", res.group}, {"kind", res.plural}};
  return StatusError(403, "Forbidden",
                     fmt::format("{} {} is forbidden: {}", qualified, json(name).dump(), why),
                     details);
}

// Every rule a rule set of upstream's "*" on everything amounts to (for aggregationRule).
std::vector<Rule> FullAuthority() {
  return {Rule{{"*"}, {"*"}, {"*"}, {}, {}}, Rule{{"*"}, {}, {}, {}, {"*"}}};
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

Authorizer::Authorizer(const std::string& mode)
    : mode_(mode), index_(std::make_unique<RbacIndex>()) {
  if (mode != "RBAC" && mode != "AlwaysAllow" && mode != "AlwaysDeny") {
    throw std::runtime_error(fmt::format(
        "unknown authorization mode \"{}\" (expected RBAC, AlwaysAllow or AlwaysDeny)", mode));
  }
}

Authorizer::~Authorizer() = default;

void Authorizer::Observe(Store& store) {
  static const std::pair<const char*, RbacKind> kKinds[] = {
      {"roles", RbacKind::kRole},
      {"clusterroles", RbacKind::kClusterRole},
      {"rolebindings", RbacKind::kRoleBinding},
      {"clusterrolebindings", RbacKind::kClusterRoleBinding}};
  for (const auto& [plural, kind] : kKinds) {
    auto res = store.registry()->Find(kRbacGroup, "v1", plural);
    if (!res) continue;
    store.Observe(*res, [index = index_.get(), kind = kind](const json* before, const json* after) {
      index->Apply(kind, before, after);
    });
  }
}

bool Authorizer::AllowsAll(const UserInfo& user) const {
  // Like kube-apiserver, which puts a privileged-group authorizer before every mode.
  return mode_ == "AlwaysAllow" || user.InGroup(kGroupMasters);
}

Decision Authorizer::Decide(const Attributes& a, bool with_reason) const {
  if (AllowsAll(a.user)) return {true, ""};
  if (mode_ == "AlwaysDeny") return {false, ""};
  RuleRequest q{a.resource_request, a.verb, a.api_group, a.resource, a.subresource, a.name, a.path};
  Decision d;
  index_->Visit(a.user, a.resource_request ? a.ns : "",
                [&](const Rule& rule, const RuleSource& source) {
                  if (!RuleAllows(rule, q)) return true;
                  d.allowed = true;
                  if (with_reason) d.reason = "RBAC: allowed by " + source.Describe();
                  return false;
                });
  return d;
}

json Authorizer::RulesFor(const UserInfo& user, const std::string& ns) const {
  json resource_rules = json::array();
  json non_resource_rules = json::array();
  if (mode_ == "AlwaysAllow") {
    resource_rules.push_back({{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}});
    non_resource_rules.push_back({{"verbs", {"*"}}, {"nonResourceURLs", {"*"}}});
  } else if (mode_ == "RBAC") {
    index_->Visit(user, ns, [&](const Rule& r, const RuleSource&) {
      if (!r.resources.empty()) {
        json rule = {{"verbs", r.verbs}};
        if (!r.api_groups.empty()) rule["apiGroups"] = r.api_groups;
        rule["resources"] = r.resources;
        if (!r.resource_names.empty()) rule["resourceNames"] = r.resource_names;
        resource_rules.push_back(std::move(rule));
      }
      if (!r.non_resource_urls.empty()) {
        non_resource_rules.push_back(
            {{"verbs", r.verbs}, {"nonResourceURLs", r.non_resource_urls}});
      }
      return true;
    });
  }
  return {{"resourceRules", resource_rules},
          {"nonResourceRules", non_resource_rules},
          {"incomplete", false}};
}

void Authorizer::CheckRbacWrite(const UserInfo& user, const ResourceInfo& res,
                                const std::string& ns, const json& object) const {
  if (mode_ == "AlwaysAllow" || res.group != kRbacGroup) return;
  // Members of system:masters may grant anything (upstream's EscalationAllowed).
  if (user.InGroup(kGroupMasters)) return;
  bool role = res.plural == "roles" || res.plural == "clusterroles";
  bool binding = res.plural == "rolebindings" || res.plural == "clusterrolebindings";
  if (!role && !binding) return;
  const std::string& name = NameOf(object);
  std::string scope = res.namespaced ? ns : "";
  std::vector<Rule> wanted;
  if (role) {
    if (Allowed(RbacRequest(user, "escalate", res.plural, scope, name))) return;
    wanted = RulesFromJson(object.value("rules", json::array()));
  } else {
    json ref = object.value("roleRef", json::object());
    std::string ref_kind = ref.is_object() ? ref.value("kind", "") : "";
    std::string ref_name = ref.is_object() ? ref.value("name", "") : "";
    std::string role_resource = ref_kind == "ClusterRole" ? "clusterroles" : "roles";
    if (Allowed(RbacRequest(user, "bind", role_resource, scope, ref_name))) return;
    bool found = false;
    wanted = index_->RoleRules(ref_kind, ref_name, scope, &found);
    if (!found) {
      throw StatusError::NotFound(
          std::string(ref_kind == "ClusterRole" ? "clusterroles." : "roles.") + kRbacGroup,
          ref_name);
    }
  }
  std::vector<Rule> owned;
  if (mode_ == "RBAC") {
    index_->Visit(user, scope, [&](const Rule& r, const RuleSource&) {
      owned.push_back(r);
      return true;
    });
  }
  if (role && res.plural == "clusterroles" && object.contains("aggregationRule") &&
      !object["aggregationRule"].is_null() && !MissingRules(owned, FullAuthority()).empty()) {
    throw Forbidden(res, name, "must have cluster-admin privileges to use the aggregationRule");
  }
  std::vector<Rule> missing = MissingRules(owned, wanted);
  if (missing.empty()) return;
  std::set<std::string> lines;
  for (const auto& r : missing) lines.insert(r.CompactString());
  throw Forbidden(
      res, name,
      fmt::format("user {} (groups={}) is attempting to grant RBAC permissions not "
                  "currently held:\n{}",
                  json(user.name).dump(), GoQuotedList(user.groups), fmt::join(lines, "\n")));
}

void Authorizer::SyncAggregation(Store& store) const {
  auto res = store.registry()->Find(kRbacGroup, "v1", "clusterroles");
  if (!res) return;
  for (auto& [name, rules] : index_->AggregatedRules()) {
    std::optional<json> role = store.Find(*res, "", name);
    if (!role) continue;  // deleted in the meantime: nothing to aggregate into
    (*role)["rules"] = std::move(rules);
    store.Put(*res, std::move(*role));
  }
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

StatusError ForbiddenError(const Attributes& a) {
  std::string reason = ForbiddenReason(a);
  if (!a.resource_request) {
    return StatusError(403, "Forbidden", "forbidden: " + reason, nlohmann::json::object());
  }
  std::string qualified = a.api_group.empty() ? a.resource : a.resource + "." + a.api_group;
  std::string message = a.name.empty()
                            ? fmt::format("{} is forbidden: {}", qualified, reason)
                            : fmt::format("{} \"{}\" is forbidden: {}", qualified, a.name, reason);
  nlohmann::json details = nlohmann::json::object();
  if (!a.name.empty()) details["name"] = a.name;
  if (!a.api_group.empty()) details["group"] = a.api_group;
  details["kind"] = a.resource;
  return StatusError(403, "Forbidden", message, details);
}

}  // namespace kubedouble::fake
