// The RBAC state the authorizer decides from: the Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings of the store, kept current by the store's observers (Store::Observe), and
// the bindings indexed by subject — a request looks up its user name and each of its groups, and
// reads only the bindings that name them, never every binding.
//
// Aggregation as the aggregation controller does it: a ClusterRole with an `aggregationRule`
// has the rules of every ClusterRole whose labels match one of its `clusterRoleSelectors`
// (matching roles by name, each rule once; roles that aggregate in turn give their aggregated
// rules), recomputed on every ClusterRole change. AggregatedRules() tells what to write back.
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../identity.h"
#include "rules.h"

namespace kubedouble::fake {

enum class RbacKind { kRole, kClusterRole, kRoleBinding, kClusterRoleBinding };

// Who granted a rule, valid during the visit only. Describe() words it as upstream's authorizer
// does in a SubjectAccessReview's reason: `RoleBinding "b/default" of ClusterRole "edit" to User
// "alice"` (made only when asked: a request that is allowed needs no words).
struct RuleSource {
  const std::string* binding;    // `ClusterRoleBinding "cluster-admin"`, `RoleBinding "b/default"`
  const std::string* role_kind;  // "ClusterRole"
  const std::string* role_name;
  const std::string* subject;  // `Group "system:masters"`
  std::string Describe() const;
};

class RbacIndex {
 public:
  RbacIndex();
  ~RbacIndex();

  // A store change of one kind (before/after as StoreObserver gives them; both null: cleared).
  void Apply(RbacKind kind, const nlohmann::json* before, const nlohmann::json* after);

  // Calls `visit` with every rule that applies to `user` in namespace `ns` (ClusterRoleBindings
  // first, then the RoleBindings of `ns` when it is not empty) until it returns false.
  // `cluster_only`: skip RoleBindings (non-resource and cluster-scoped requests).
  void Visit(const UserInfo& user, const std::string& ns,
             const std::function<bool(const Rule&, const RuleSource&)>& visit) const;

  // The rules of a role reference as a binding in `ns` would grant them; nullopt-like empty
  // `found` when the role does not exist.
  std::vector<Rule> RoleRules(const std::string& role_kind, const std::string& name,
                              const std::string& ns, bool* found) const;

  // The aggregated ClusterRoles whose stored rules differ from what aggregation gives them:
  // name → the rules (a PolicyRule list) to store.
  std::map<std::string, nlohmann::json> AggregatedRules() const;

 private:
  struct State;
  mutable std::shared_mutex mu_;
  std::unique_ptr<State> s_;
};

}  // namespace kubedouble::fake
