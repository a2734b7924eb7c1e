#include "rbac_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "../store/kinds/kind_validation.h"

namespace kubedouble::fake {

namespace {
using nlohmann::json;
using RuleList = std::shared_ptr<const std::vector<Rule>>;

const std::string& Str(const json& j, const char* field) {
  static const std::string kEmpty;
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get_ref<const std::string&>() : kEmpty;
}

const json& Meta(const json& obj) {
  static const json kEmpty = json::object();
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

// A role's "rules", read in place (null when it has none): the index keeps the rules parsed, not
// a copy of the stored list (Apply runs under the store's lock, for every role at start).
const json& RulesOf(const json& role) {
  static const json kNone;
  auto it = role.find("rules");
  return it != role.end() ? *it : kNone;
}

struct Subject {
  std::string key;       // "u:NAME" (users and service accounts) or "g:NAME"
  std::string describe;  // `User "alice"`, `Group "dev"`, `ServiceAccount "default/sa"`
};

struct Binding {
  bool cluster = false;
  std::string ns;
  std::string role_kind;  // Role or ClusterRole
  std::string role_name;
  std::string describe;  // `ClusterRoleBinding "x"`, `RoleBinding "x/ns"`
  std::vector<Subject> subjects;
};

struct ClusterRoleEntry {
  json labels;
  json selectors;  // the aggregationRule's clusterRoleSelectors, or null
  RuleList own;    // the stored rules, parsed
  RuleList effective;
};

// Each subject of a binding, resolved to the key the requests look up.
std::vector<Subject> Subjects(const json& binding, const std::string& binding_ns) {
  std::vector<Subject> out;
  auto it = binding.find("subjects");
  if (it == binding.end() || !it->is_array()) return out;
  for (const auto& s : *it) {
    if (!s.is_object()) continue;
    const std::string& kind = Str(s, "kind");
    const std::string& name = Str(s, "name");
    if (kind == "User") {
      out.push_back({"u:" + name, fmt::format("User {}", json(name).dump())});
    } else if (kind == "Group") {
      out.push_back({"g:" + name, fmt::format("Group {}", json(name).dump())});
    } else if (kind == "ServiceAccount") {
      std::string ns = Str(s, "namespace").empty() ? binding_ns : Str(s, "namespace");
      out.push_back({"u:system:serviceaccount:" + ns + ":" + name,
                     fmt::format("ServiceAccount {}", json(ns + "/" + name).dump())});
    }
  }
  return out;
}
}  // namespace

struct RbacIndex::State {
  std::unordered_map<std::string, RuleList> roles;        // "ns/name"
  std::map<std::string, ClusterRoleEntry> cluster_roles;  // by name, sorted
  std::unordered_map<std::string, Binding> bindings;      // "c:name" or "n:ns/name"
  std::unordered_map<std::string, std::vector<const Binding*>> by_subject;

  void Unindex(const std::string& key) {
    auto it = bindings.find(key);
    if (it == bindings.end()) return;
    const Binding* b = &it->second;
    for (const auto& s : b->subjects) {
      auto& list = by_subject[s.key];
      list.erase(std::remove(list.begin(), list.end(), b), list.end());
      if (list.empty()) by_subject.erase(s.key);
    }
    bindings.erase(it);
  }

  void Index(const std::string& key, Binding binding) {
    Unindex(key);
    const Binding* b = &bindings.emplace(key, std::move(binding)).first->second;
    for (const auto& s : b->subjects) {
      auto& list = by_subject[s.key];
      if (std::find(list.begin(), list.end(), b) == list.end()) list.push_back(b);
    }
  }

  // The rules aggregation gives `name` (its own when it does not aggregate).
  RuleList Effective(const std::string& name, std::set<std::string>& visiting,
                     std::map<std::string, RuleList>& done) {
    if (auto d = done.find(name); d != done.end()) return d->second;
    auto& entry = cluster_roles.at(name);
    if (entry.selectors.is_null() || !visiting.insert(name).second) return entry.own;
    auto rules = std::make_shared<std::vector<Rule>>();
    for (const auto& [other, e] : cluster_roles) {
      if (other == name) continue;
      bool matches =
          std::any_of(entry.selectors.begin(), entry.selectors.end(), [&](const json& sel) {
            return sel.is_object() && !sel.empty() && kinds::SelectorMatches(sel, e.labels);
          });
      if (!matches) continue;
      for (const auto& r : *Effective(other, visiting, done)) {
        if (std::find(rules->begin(), rules->end(), r) == rules->end()) rules->push_back(r);
      }
    }
    visiting.erase(name);
    done[name] = rules;
    return rules;
  }

  RuleList Resolve(const std::string& kind, const std::string& name, const std::string& ns) const {
    if (kind == "ClusterRole") {
      auto it = cluster_roles.find(name);
      return it == cluster_roles.end() ? nullptr : it->second.effective;
    }
    if (kind == "Role" && !ns.empty()) {
      auto it = roles.find(ns + "/" + name);
      return it == roles.end() ? nullptr : it->second;
    }
    return nullptr;
  }

  static bool Aggregates(const json* role) {
    if (!role) return false;
    auto agg = role->find("aggregationRule");
    return agg != role->end() && agg->is_object();
  }

  // Whether an aggregating role selects `role` by its labels.
  bool SelectedByAny(const json* role) const {
    if (!role) return false;
    const json& meta = Meta(*role);
    auto it = meta.find("labels");
    if (it == meta.end() || !it->is_object() || it->empty()) return false;
    const json& labels = *it;
    for (const auto& [name, e] : cluster_roles) {
      if (e.selectors.is_null()) continue;
      for (const auto& sel : e.selectors) {
        if (sel.is_object() && !sel.empty() && kinds::SelectorMatches(sel, labels)) return true;
      }
    }
    return false;
  }

  void Aggregate() {
    std::set<std::string> visiting;
    std::map<std::string, RuleList> done;
    for (auto& [name, entry] : cluster_roles) {
      entry.effective = entry.selectors.is_null() ? entry.own : Effective(name, visiting, done);
    }
  }
};

std::string RuleSource::Describe() const {
  return fmt::format("{} of {} {} to {}", *binding, *role_kind, json(*role_name).dump(), *subject);
}

RbacIndex::RbacIndex() : s_(std::make_unique<State>()) {}
RbacIndex::~RbacIndex() = default;

void RbacIndex::Apply(RbacKind kind, const json* before, const json* after) {
  std::unique_lock lock(mu_);
  State& s = *s_;
  const json* any = after ? after : before;
  if (!any) {  // cleared
    switch (kind) {
      case RbacKind::kRole:
        s.roles.clear();
        break;
      case RbacKind::kClusterRole:
        s.cluster_roles.clear();
        break;
      case RbacKind::kRoleBinding:
      case RbacKind::kClusterRoleBinding: {
        char prefix = kind == RbacKind::kClusterRoleBinding ? 'c' : 'n';
        std::vector<std::string> keys;
        for (const auto& [key, b] : s.bindings) {
          if (key[0] == prefix) keys.push_back(key);
        }
        for (const auto& key : keys) s.Unindex(key);
        break;
      }
    }
    return;
  }
  const std::string& name = Str(Meta(*any), "name");
  const std::string& ns = Str(Meta(*any), "namespace");
  switch (kind) {
    case RbacKind::kRole:
      if (after) {
        s.roles[ns + "/" + name] =
            std::make_shared<const std::vector<Rule>>(RulesFromJson(RulesOf(*after)));
      } else {
        s.roles.erase(ns + "/" + name);
      }
      break;
    case RbacKind::kClusterRole: {
      // Aggregation is recomputed only when the change can move it: an aggregating role, or
      // one whose labels (before or after) an aggregating role selects.
      bool moves = s.Aggregates(before) || s.SelectedByAny(before);
      if (after) {
        ClusterRoleEntry e;
        e.labels = Meta(*after).value("labels", json::object());
        const json& agg = after->value("aggregationRule", json());
        if (agg.is_object() && agg.contains("clusterRoleSelectors") &&
            agg["clusterRoleSelectors"].is_array()) {
          e.selectors = agg["clusterRoleSelectors"];
        }
        e.own = std::make_shared<const std::vector<Rule>>(RulesFromJson(RulesOf(*after)));
        e.effective = e.own;
        moves = moves || !e.selectors.is_null();
        s.cluster_roles[name] = std::move(e);
        moves = moves || s.SelectedByAny(after);
      } else {
        s.cluster_roles.erase(name);
      }
      if (moves) s.Aggregate();
      break;
    }
    case RbacKind::kRoleBinding:
    case RbacKind::kClusterRoleBinding: {
      bool cluster = kind == RbacKind::kClusterRoleBinding;
      std::string key = cluster ? "c:" + name : "n:" + ns + "/" + name;
      if (!after) {
        s.Unindex(key);
        break;
      }
      Binding b;
      b.cluster = cluster;
      b.ns = cluster ? "" : ns;
      const json& ref = after->value("roleRef", json::object());
      if (ref.is_object()) {
        b.role_kind = Str(ref, "kind");
        b.role_name = Str(ref, "name");
      }
      b.describe = cluster ? fmt::format("ClusterRoleBinding {}", json(name).dump())
                           : fmt::format("RoleBinding {}", json(name + "/" + ns).dump());
      b.subjects = Subjects(*after, b.ns);
      s.Index(key, std::move(b));
      break;
    }
  }
}

void RbacIndex::Visit(const UserInfo& user, const std::string& ns,
                      const std::function<bool(const Rule&, const RuleSource&)>& visit) const {
  std::shared_lock lock(mu_);
  const State& s = *s_;
  // The bindings naming the user or one of its groups, with the subject that matched.
  std::vector<std::pair<const Binding*, const Subject*>> cluster, local;
  auto collect = [&](const std::string& key) {
    auto it = s.by_subject.find(key);
    if (it == s.by_subject.end()) return;
    for (const Binding* b : it->second) {
      if (!b->cluster && (ns.empty() || b->ns != ns)) continue;
      auto& list = b->cluster ? cluster : local;
      if (std::any_of(list.begin(), list.end(), [&](const auto& p) { return p.first == b; })) {
        continue;
      }
      const Subject* subject = nullptr;
      for (const auto& sub : b->subjects) {
        if (sub.key == key) subject = &sub;
      }
      list.emplace_back(b, subject);
    }
  };
  collect("u:" + user.name);
  for (const auto& g : user.groups) collect("g:" + g);
  for (const auto* list : {&cluster, &local}) {
    for (const auto& [b, subject] : *list) {
      RuleList rules = s.Resolve(b->role_kind, b->role_name, b->ns);
      if (!rules) continue;
      static const std::string kNone;
      RuleSource source{&b->describe, &b->role_kind, &b->role_name,
                        subject ? &subject->describe : &kNone};
      for (const auto& r : *rules) {
        if (!visit(r, source)) return;
      }
    }
  }
}

std::vector<Rule> RbacIndex::RoleRules(const std::string& role_kind, const std::string& name,
                                       const std::string& ns, bool* found) const {
  std::shared_lock lock(mu_);
  RuleList rules = s_->Resolve(role_kind, name, ns);
  if (found) *found = rules != nullptr;
  return rules ? *rules : std::vector<Rule>{};
}

std::map<std::string, json> RbacIndex::AggregatedRules() const {
  std::shared_lock lock(mu_);
  std::map<std::string, json> out;
  for (const auto& [name, e] : s_->cluster_roles) {
    // Compared as rules, not as JSON text: an empty list and a missing one are the same rule, as
    // for the aggregation controller, which writes only when the rules differ semantically.
    if (e.selectors.is_null() || *e.effective == *e.own) continue;
    json rules = json::array();
    for (const auto& r : *e.effective) rules.push_back(r.ToJson());
    out[name] = std::move(rules);
  }
  return out;
}

}  // namespace kubedouble::fake
