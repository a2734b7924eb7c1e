// Authorization, checked before routing (as kube-apiserver does): RBAC over the store.
//
// The Roles, ClusterRoles, RoleBindings and ClusterRoleBindings of the store — the bootstrap
// policy of a 1.32 server (rbac/bootstrap.h), the --policy file, --fixtures and whatever clients
// create — decide every request, from the very next one after a write (rbac/rbac_index.h).
// system:masters may do everything through the bootstrap cluster-admin binding. Modes: "RBAC"
// (the default), "AlwaysAllow" and "AlwaysDeny".
#pragma once

#include <nlohmann/json.hpp>

#include <kubedouble/fakeserver/store.h>

#include <memory>
#include <string>

#include "identity.h"
#include "rbac/rbac_index.h"
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

// An answer with upstream's reason: `RBAC: allowed by ClusterRoleBinding "cluster-admin" of
// ClusterRole "cluster-admin" to Group "system:masters"` (empty when denied).
struct Decision {
  bool allowed = false;
  std::string reason;
};

class Authorizer {
 public:
  // mode "RBAC", "AlwaysAllow" or "AlwaysDeny"; anything else throws std::runtime_error.
  explicit Authorizer(const std::string& mode = "RBAC");
  ~Authorizer();
  const std::string& mode() const { return mode_; }

  // Keeps the RBAC state in step with the Roles, ClusterRoles and bindings of `store` from now
  // on (call it before any of them is stored).
  void Observe(Store& store);

  // Whether every request of `user` is allowed, whatever it asks: mode AlwaysAllow, or the
  // privileged group (system:masters), which kube-apiserver authorizes before any mode.
  bool AllowsAll(const UserInfo& user) const;
  bool Allowed(const Attributes& a) const { return Decide(a, false).allowed; }
  // `with_reason` false leaves the reason empty (the per-request path needs no words).
  Decision Decide(const Attributes& a, bool with_reason = true) const;
  // What `user` may do in namespace `ns` (cluster-wide rules included), as the status of a
  // SelfSubjectRulesReview: {"resourceRules":[...],"nonResourceRules":[...],"incomplete":false}.
  nlohmann::json RulesFor(const UserInfo& user, const std::string& ns) const;

  // Escalation prevention for `user` writing `object` (a Role, ClusterRole, RoleBinding or
  // ClusterRoleBinding of `res`, in namespace `ns`): a role may grant only what the user holds
  // unless the user may `escalate` roles; a binding needs `bind` on its role or holding all the
  // role's rules. Throws StatusError: 403 with upstream's wording, 404 for a missing role.
  void CheckRbacWrite(const UserInfo& user, const ResourceInfo& res, const std::string& ns,
                      const nlohmann::json& object) const;
  // Stores the aggregated ClusterRoles' rules where aggregation changed them (call after a
  // ClusterRole write, outside the store's lock).
  void SyncAggregation(Store& store) const;

  const RbacIndex& index() const { return *index_; }

 private:
  std::string mode_;
  std::unique_ptr<RbacIndex> index_;
};

// 'User "u" cannot list resource "pods" in API group "" in the namespace "default"'
std::string ForbiddenReason(const Attributes& a);
// The 403 a real API server answers a denied request with.
StatusError ForbiddenError(const Attributes& a);

}  // namespace kubedouble::fake
