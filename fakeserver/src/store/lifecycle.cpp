#include "lifecycle.h"

#include <algorithm>
#include <map>
#include <vector>

#include "validation.h"

namespace kubedouble::fake {

namespace {

constexpr char kNamespaces[] = "/namespaces";
constexpr char kPods[] = "/pods";
constexpr char kCrds[] = "apiextensions.k8s.io/customresourcedefinitions";
constexpr char kOrphan[] = "orphan";
constexpr char kForeground[] = "foregroundDeletion";
constexpr int64_t kDefaultGraceSeconds = 30;
// Work items one write may run at most; what is left runs with the next write or tick.
constexpr int kMaxSteps = 1000000;

bool Deleting(const json& obj) { return !MetaString(obj, "deletionTimestamp").empty(); }

std::vector<std::string> Finalizers(const json& obj) {
  std::vector<std::string> out;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return out;
  auto f = m->find("finalizers");
  if (f == m->end() || !f->is_array()) return out;
  for (const auto& v : *f) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool Has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void SetFinalizers(json& obj, const std::vector<std::string>& finalizers) {
  if (finalizers.empty()) {
    obj["metadata"].erase("finalizers");
  } else {
    obj["metadata"]["finalizers"] = finalizers;
  }
}

const json& OwnerReferences(const json& obj) {
  static const json none = json::array();
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return none;
  auto r = m->find("ownerReferences");
  return r != m->end() && r->is_array() ? *r : none;
}

std::string RefUid(const json& ref) {
  return ref.is_object() && ref.contains("uid") && ref["uid"].is_string()
             ? ref["uid"].get<std::string>()
             : "";
}

std::vector<std::string> OwnerUids(const json* obj) {
  std::vector<std::string> out;
  if (obj == nullptr) return out;
  for (const auto& r : OwnerReferences(*obj)) {
    auto uid = RefUid(r);
    if (!uid.empty()) out.push_back(uid);
  }
  return out;
}

// "pods." or "deployments.apps", from a bucket "/pods" or "apps/deployments", as the namespace
// controller names what remains.
std::string ResourceDotGroup(const std::string& bucket) {
  auto slash = bucket.find('/');
  return bucket.substr(slash + 1) + "." + bucket.substr(0, slash);
}

std::string NamespaceOfKey(const std::string& key) {
  auto slash = key.find('/');
  return slash == std::string::npos ? "" : key.substr(0, slash);
}

ObjectPtr Lookup(const Core& c, const ObjectRef& ref) {
  auto b = c.buckets.find(ref.bucket);
  if (b == c.buckets.end()) return nullptr;
  auto it = b->second.find(ref.key);
  return it == b->second.end() ? nullptr : it->second;
}

ObjectPtr CommitModified(Core& c, const ObjectRef& ref, const ObjectPtr& current, json next) {
  std::string ns = MetaString(*current, "namespace");
  return c.Commit(EventType::kModified, ref.bucket, ns, ref.key, current, std::move(next));
}

// The finalizers after applying the request's propagation policy (the garbage collector's own).
std::vector<std::string> WithPolicy(std::vector<std::string> finalizers,
                                    const DeleteOptions& options) {
  std::string policy = options.propagation_policy;
  if (options.orphan_dependents) policy = *options.orphan_dependents ? "Orphan" : "Background";
  if (policy.empty()) return finalizers;
  auto drop = [&](const char* f) {
    finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), f), finalizers.end());
  };
  drop(kOrphan);
  drop(kForeground);
  if (policy == "Orphan") finalizers.push_back(kOrphan);
  if (policy == "Foreground") finalizers.push_back(kForeground);
  return finalizers;
}

std::optional<int64_t> IntField(const json& obj, const char* a, const char* b) {
  auto x = obj.find(a);
  if (x == obj.end() || !x->is_object()) return std::nullopt;
  auto y = x->find(b);
  if (y == x->end() || !y->is_number_integer()) return std::nullopt;
  return y->get<int64_t>();
}

// The grace period of a pod's deletion, as the pod strategy decides it.
int64_t PodGraceSeconds(const json& pod, const DeleteOptions& options) {
  int64_t grace = kDefaultGraceSeconds;
  if (options.grace_period_seconds) {
    grace = *options.grace_period_seconds;
  } else if (auto spec = IntField(pod, "spec", "terminationGracePeriodSeconds")) {
    grace = *spec;
  }
  const json* spec = pod.contains("spec") && pod["spec"].is_object() ? &pod["spec"] : nullptr;
  bool bound = spec && spec->contains("nodeName") && (*spec)["nodeName"].is_string() &&
               !(*spec)["nodeName"].get<std::string>().empty();
  std::string phase;
  if (pod.contains("status") && pod["status"].is_object()) phase = pod["status"].value("phase", "");
  if (!bound || phase == "Succeeded" || phase == "Failed") grace = 0;
  return grace < 0 ? 1 : grace;  // a negative period ends in a second, as the kubelet reads it
}

// The dependents of the object with `owner_uid` whose reference to it `pick` selects.
template <typename Pick>
std::vector<ObjectRef> DependentsOf(const Core& c, const std::string& owner_uid, Pick pick) {
  std::vector<ObjectRef> out;
  auto it = c.life.dependents.find(owner_uid);
  if (it == c.life.dependents.end()) return out;
  for (const auto& ref : it->second) {
    ObjectPtr obj = Lookup(c, ref);
    if (!obj) continue;
    for (const auto& r : OwnerReferences(*obj)) {
      if (RefUid(r) == owner_uid && pick(*obj, r)) {
        out.push_back(ref);
        break;
      }
    }
  }
  return out;
}

json WithoutOwners(json obj, const std::vector<std::string>& uids) {
  json kept = json::array();
  for (const auto& r : OwnerReferences(obj)) {
    if (!Has(uids, RefUid(r))) kept.push_back(r);
  }
  if (kept.empty()) {
    obj["metadata"].erase("ownerReferences");
  } else {
    obj["metadata"]["ownerReferences"] = std::move(kept);
  }
  return obj;
}

// The garbage collector's look at one dependent.
void Collect(Core& c, const ObjectRef& ref) {
  ObjectPtr obj = Lookup(c, ref);
  if (!obj || Deleting(*obj)) return;
  const json& refs = OwnerReferences(*obj);
  if (refs.empty()) return;
  std::vector<std::string> solid, dangling, waiting;
  for (const auto& r : refs) {
    auto uid = RefUid(r);
    if (uid.empty()) continue;
    auto owner = c.life.by_uid.find(uid);
    ObjectPtr owner_obj = owner == c.life.by_uid.end() ? nullptr : Lookup(c, owner->second);
    if (!owner_obj) {
      dangling.push_back(uid);
    } else if (Deleting(*owner_obj) && Has(Finalizers(*owner_obj), kForeground)) {
      waiting.push_back(uid);
    } else {
      solid.push_back(uid);
    }
  }
  if (!solid.empty()) {
    if (dangling.empty() && waiting.empty()) return;
    std::vector<std::string> gone = dangling;
    gone.insert(gone.end(), waiting.begin(), waiting.end());
    CommitModified(c, ref, obj, WithoutOwners(*obj, gone));
    return;
  }
  if (dangling.empty() && waiting.empty()) return;
  DeleteOptions options;
  if (!waiting.empty()) options.propagation_policy = "Foreground";
  bool removed = false;
  DeleteLocked(c, ref.bucket, ref.key, obj, options, &removed);
}

// What remains in a terminating namespace, for its status conditions.
struct Remaining {
  std::map<std::string, int> by_resource;   // "pods." -> count
  std::map<std::string, int> by_finalizer;  // "example.com/x" -> count
};

json Condition(const std::string& type, bool status, const std::string& reason,
               const std::string& message, const std::string& now) {
  return {{"type", type},
          {"status", status ? "True" : "False"},
          {"lastTransitionTime", now},
          {"reason", reason},
          {"message", message}};
}

json NamespaceConditions(const Remaining& left, const std::string& now) {
  std::vector<std::string> resources, finalizers;
  for (const auto& [r, n] : left.by_resource) {
    resources.push_back(r + " has " + std::to_string(n) + " resource instances");
  }
  for (const auto& [f, n] : left.by_finalizer) {
    finalizers.push_back(f + " in " + std::to_string(n) + " resource instances");
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  json out = json::array();
  out.push_back(Condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered",
                          "All resources successfully discovered", now));
  out.push_back(Condition("NamespaceDeletionGroupVersionParsingFailure", false,
                          "ParsedGroupVersions", "All legacy kube types successfully parsed", now));
  out.push_back(Condition("NamespaceDeletionContentFailure", false, "ContentDeleted",
                          "All content successfully deleted, may be waiting on finalization", now));
  out.push_back(resources.empty()
                    ? Condition("NamespaceContentRemaining", false, "ContentRemoved",
                                "All content successfully removed", now)
                    : Condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                                "Some resources are remaining: " + join(resources), now));
  out.push_back(
      finalizers.empty()
          ? Condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                      "All content-preserving finalizers finished", now)
          : Condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                      "Some content in the namespace has finalizers remaining: " + join(finalizers),
                      now));
  return out;
}

// Conditions compared without their transition times.
bool SameConditions(const json& a, const json& b) {
  if (!a.is_array() || !b.is_array() || a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    for (const char* f : {"type", "status", "reason", "message"}) {
      if (a[i].value(f, "") != b[i].value(f, "")) return false;
    }
  }
  return true;
}

// The namespace controller's pass over a terminating namespace: deletes its content, records
// what remains, and once nothing does, removes the `kubernetes` finalizer. Returns the namespace
// as it now is.
ObjectPtr SweepNamespace(Core& c, const ObjectRef& ref, ObjectPtr ns_obj) {
  const std::string& ns = ref.key;
  std::vector<std::string> buckets;
  for (const auto& [name, objs] : c.buckets) {
    if (name != kNamespaces) buckets.push_back(name);
  }
  std::sort(buckets.begin(), buckets.end());
  for (const auto& bucket : buckets) {
    auto& objs = c.buckets[bucket];
    std::vector<std::pair<std::string, ObjectPtr>> content(objs.lower_bound(ns + "/"),
                                                           objs.lower_bound(ns + "0"));
    for (const auto& [key, obj] : content) {
      if (Deleting(*obj)) continue;
      bool removed = false;
      DeleteLocked(c, bucket, key, obj, {}, &removed);
    }
  }
  Remaining left;
  for (const auto& bucket : buckets) {
    auto& objs = c.buckets[bucket];
    for (auto it = objs.lower_bound(ns + "/"); it != objs.end() && it->first < ns + "0"; ++it) {
      ++left.by_resource[ResourceDotGroup(bucket)];
      for (const auto& f : Finalizers(*it->second)) ++left.by_finalizer[f];
    }
  }
  json next = *ns_obj;
  bool empty = left.by_resource.empty();
  json conditions = NamespaceConditions(left, FormatTime(c.now()));
  bool changed = false;
  if (!next["status"].is_object()) next["status"] = json::object();
  if (!SameConditions(next["status"].value("conditions", json()), conditions)) {
    next["status"]["conditions"] = std::move(conditions);
    changed = true;
  }
  if (empty && next.contains("spec") && next["spec"].is_object() &&
      next["spec"].contains("finalizers")) {
    json kept = json::array();
    for (const auto& f : next["spec"]["finalizers"]) {
      if (f != "kubernetes") kept.push_back(f);
    }
    if (kept.size() != next["spec"]["finalizers"].size()) {
      next["spec"]["finalizers"] = std::move(kept);
      if (next["spec"]["finalizers"].empty()) next["spec"].erase("finalizers");
      changed = true;
    }
  }
  if (!changed) return ns_obj;
  return CommitModified(c, ref, ns_obj, std::move(next));
}

bool SpecFinalizersLeft(const json& ns_obj) {
  return ns_obj.contains("spec") && ns_obj["spec"].is_object() &&
         ns_obj["spec"].contains("finalizers") && ns_obj["spec"]["finalizers"].is_array() &&
         !ns_obj["spec"]["finalizers"].empty();
}

// One step of an object being deleted: the garbage collector's finalizers, then its removal
// once nothing holds it.
void Finalize(Core& c, const ObjectRef& ref) {
  ObjectPtr obj = Lookup(c, ref);
  if (!obj || !Deleting(*obj)) return;
  bool is_namespace = ref.bucket == kNamespaces;
  if (is_namespace) obj = SweepNamespace(c, ref, obj);
  auto finalizers = Finalizers(*obj);
  const std::string uid = MetaString(*obj, "uid");
  bool released = false;
  if (Has(finalizers, kOrphan)) {
    for (const auto& dep : DependentsOf(c, uid, [](const json&, const json&) { return true; })) {
      ObjectPtr d = Lookup(c, dep);
      CommitModified(c, dep, d, WithoutOwners(*d, {uid}));
    }
    finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), kOrphan), finalizers.end());
    released = true;
  }
  if (Has(finalizers, kForeground)) {
    auto blocking = DependentsOf(c, uid, [](const json&, const json& r) {
      return r.is_object() && r.value("blockOwnerDeletion", false);
    });
    if (blocking.empty()) {
      finalizers.erase(std::remove(finalizers.begin(), finalizers.end(), kForeground),
                       finalizers.end());
      released = true;
    } else {
      for (const auto& dep : blocking) {
        ObjectPtr d = Lookup(c, dep);
        if (!d || Deleting(*d)) continue;
        DeleteOptions foreground;
        foreground.propagation_policy = "Foreground";
        bool removed = false;
        DeleteLocked(c, dep.bucket, dep.key, d, foreground, &removed);
      }
      return;  // the dependents' removal brings this owner back here
    }
  }
  if (released) {
    obj = Lookup(c, ref);
    json next = *obj;
    SetFinalizers(next, finalizers);
    obj = CommitModified(c, ref, obj, std::move(next));
  }
  if (!finalizers.empty() || c.life.grace_ends.count(ref)) return;
  if (is_namespace && SpecFinalizersLeft(*obj)) return;
  RemoveLocked(c, ref.bucket, ref.key, obj, *obj);
}

}  // namespace

void TrackChange(Core& c, const std::string& bucket, const std::string& key, const json* before,
                 const json* after) {
  auto& s = c.life;
  ObjectRef self{bucket, key};
  auto old_owners = OwnerUids(before), new_owners = OwnerUids(after);
  for (const auto& o : old_owners) {
    if (Has(new_owners, o)) continue;
    auto it = s.dependents.find(o);
    if (it != s.dependents.end()) {
      it->second.erase(self);
      if (it->second.empty()) s.dependents.erase(it);
    }
    // An owner in a foreground deletion may have waited for this dependent.
    auto owner = s.by_uid.find(o);
    if (owner != s.by_uid.end()) s.to_finalize.insert(owner->second);
  }
  for (const auto& o : new_owners) {
    if (!Has(old_owners, o)) s.dependents[o].insert(self);
  }
  std::string ns = NamespaceOfKey(key);
  if (after == nullptr) {
    if (before != nullptr) {
      const auto& uid = MetaString(*before, "uid");
      s.by_uid.erase(uid);
      auto deps = s.dependents.find(uid);
      if (deps != s.dependents.end()) {
        s.to_collect.insert(deps->second.begin(), deps->second.end());
      }
    }
    s.grace_ends.erase(self);
    s.to_collect.erase(self);
    s.to_finalize.erase(self);
    // The namespace controller looks again at a terminating namespace whose content went.
    if (!ns.empty()) s.to_finalize.insert({kNamespaces, ns});
    return;
  }
  const auto& uid = MetaString(*after, "uid");
  if (!uid.empty()) s.by_uid[uid] = self;
  if (!new_owners.empty() && new_owners != old_owners) s.to_collect.insert(self);
  if (Deleting(*after)) {
    s.to_finalize.insert(self);
    auto grace = IntField(*after, "metadata", "deletionGracePeriodSeconds");
    auto end = ParseTime(MetaString(*after, "deletionTimestamp"));
    if (bucket == kPods && grace && *grace > 0 && end) {
      s.grace_ends[self] = *end;
    } else {
      s.grace_ends.erase(self);
    }
  }
}

void ValidateDeleteOptions(const DeleteOptions& options) {
  json causes = json::array();
  const auto& policy = options.propagation_policy;
  if (options.orphan_dependents && !policy.empty()) {
    causes.push_back(InvalidCause("propagationPolicy", policy,
                                  "orphanDependents and deletionPropagation cannot be both set"));
  }
  if (!policy.empty() && policy != "Foreground" && policy != "Background" && policy != "Orphan") {
    causes.push_back(NotSupportedCause("propagationPolicy", policy,
                                       {"Foreground", "Background", "Orphan", "nil"}));
  }
  if (!causes.empty()) throw StatusError::Invalid("DeleteOptions.meta.k8s.io", "", causes);
}

ObjectPtr RemoveLocked(Core& c, const std::string& bucket, const std::string& key,
                       const ObjectPtr& current, json last) {
  if (bucket == kCrds) {
    const json& spec = (*current)["spec"];
    std::string g = spec.value("group", "");
    std::string p = spec.contains("names") ? spec["names"].value("plural", "") : "";
    auto it = c.buckets.find(g + "/" + p);
    if (it != c.buckets.end()) {
      std::vector<std::pair<std::string, ObjectPtr>> victims(it->second.begin(), it->second.end());
      for (auto& [k, obj] : victims) {
        c.Commit(EventType::kDeleted, g + "/" + p, MetaString(*obj, "namespace"), k, obj, *obj);
      }
    }
    c.registry->Remove(g, p);
    c.crd_resources.erase({g, p});
  }
  return c.Commit(EventType::kDeleted, bucket, MetaString(*current, "namespace"), key, current,
                  std::move(last));
}

ObjectPtr DeleteLocked(Core& c, const std::string& bucket, const std::string& key,
                       const ObjectPtr& current, const DeleteOptions& options, bool* removed) {
  *removed = false;
  ObjectRef ref{bucket, key};
  json obj = *current;
  const bool deleting = Deleting(obj);
  const auto now = c.now();
  auto finalizers = WithPolicy(Finalizers(obj), options);

  if (bucket == kNamespaces) {
    if (deleting) {
      throw StatusError::Conflict(
          "namespaces", key,
          "The system is ensuring all content is removed from this namespace.  Upon completion, "
          "this namespace will automatically be purged by the system.");
    }
    obj["metadata"]["deletionTimestamp"] = FormatTime(now);
    obj["metadata"]["deletionGracePeriodSeconds"] = 0;
    if (!obj["status"].is_object()) obj["status"] = json::object();
    obj["status"]["phase"] = "Terminating";
    SetFinalizers(obj, finalizers);
    return CommitModified(c, ref, current, std::move(obj));
  }

  if (bucket == kPods) {
    auto marked = IntField(obj, "metadata", "deletionGracePeriodSeconds");
    if (deleting && marked && *marked > 0) {
      // Only a shorter grace period moves a graceful deletion on.
      if (!options.grace_period_seconds || *options.grace_period_seconds >= *marked) {
        return current;
      }
      int64_t grace = std::max<int64_t>(*options.grace_period_seconds, 0);
      auto ends = ParseTime(MetaString(obj, "deletionTimestamp")).value_or(now);
      obj["metadata"]["deletionTimestamp"] =
          FormatTime(ends - std::chrono::seconds(*marked) + std::chrono::seconds(grace));
      obj["metadata"]["deletionGracePeriodSeconds"] = grace;
      SetFinalizers(obj, finalizers);
      if (grace > 0 || !finalizers.empty()) return CommitModified(c, ref, current, std::move(obj));
      *removed = true;
      return RemoveLocked(c, bucket, key, current, std::move(obj));
    }
    if (!deleting) {
      int64_t grace = PodGraceSeconds(obj, options);
      obj["metadata"]["deletionTimestamp"] = FormatTime(now + std::chrono::seconds(grace));
      obj["metadata"]["deletionGracePeriodSeconds"] = grace;
      SetFinalizers(obj, finalizers);
      if (grace > 0 || !finalizers.empty()) return CommitModified(c, ref, current, std::move(obj));
      *removed = true;
      return RemoveLocked(c, bucket, key, current, std::move(obj));
    }
  }

  if (!finalizers.empty()) {
    if (!deleting) {
      obj["metadata"]["deletionTimestamp"] = FormatTime(now);
      obj["metadata"]["deletionGracePeriodSeconds"] = 0;
    }
    SetFinalizers(obj, finalizers);
    if (obj == *current) return current;
    return CommitModified(c, ref, current, std::move(obj));
  }
  *removed = true;
  return RemoveLocked(c, bucket, key, current, std::move(obj));
}

void ReconcileLocked(Core& c) {
  auto& s = c.life;
  for (int step = 0; step < kMaxSteps; ++step) {
    if (!s.to_finalize.empty()) {
      ObjectRef ref = *s.to_finalize.begin();
      s.to_finalize.erase(s.to_finalize.begin());
      Finalize(c, ref);
    } else if (!s.to_collect.empty()) {
      ObjectRef ref = *s.to_collect.begin();
      s.to_collect.erase(s.to_collect.begin());
      Collect(c, ref);
    } else {
      return;
    }
  }
}

bool EndGracePeriodsLocked(Core& c) {
  const auto now = c.now();
  std::vector<ObjectRef> due;
  for (const auto& [ref, end] : c.life.grace_ends) {
    if (end <= now) due.push_back(ref);
  }
  for (const auto& ref : due) {
    ObjectPtr pod = Lookup(c, ref);
    if (!pod) continue;
    DeleteOptions confirm;  // the kubelet's DELETE with a grace period of 0
    confirm.grace_period_seconds = 0;
    bool removed = false;
    DeleteLocked(c, ref.bucket, ref.key, pod, confirm, &removed);
  }
  ReconcileLocked(c);
  return !due.empty();
}

json DeletionUpdateCauses(const json& old, const json& updated) {
  json causes = json::array();
  if (!Deleting(old)) return causes;
  auto before = Finalizers(old), after = Finalizers(updated);
  std::vector<std::string> added;
  for (const auto& f : after) {
    if (!Has(before, f) && !Has(added, f)) added.push_back(f);
  }
  if (added.empty()) return causes;
  std::sort(added.begin(), added.end());
  std::string shown = "[]string{";
  for (size_t i = 0; i < added.size(); ++i) shown += (i ? ", " : "") + json(added[i]).dump();
  shown += "}";
  causes.push_back(ForbiddenCause(
      "metadata.finalizers",
      "no new finalizers can be added if the object is being deleted, found new finalizers " +
          shown));
  return causes;
}

void CheckNamespaceOpen(const Core& c, const ResourceInfo& res, const std::string& ns,
                        const std::string& name) {
  if (!res.namespaced) return;
  ObjectPtr ns_obj = Lookup(c, {kNamespaces, ns});
  if (!ns_obj || !Deleting(*ns_obj)) return;
  std::string qr = QualifiedResource(res);
  std::string why =
      "unable to create new content in namespace " + ns + " because it is being terminated";
  json details = {{"name", name}};
  auto dot = qr.find('.');
  if (dot != std::string::npos) details["group"] = qr.substr(dot + 1);
  details["kind"] = qr.substr(0, dot);
  details["causes"] = json::array({{{"reason", "NamespaceTerminating"},
                                    {"message", "namespace " + ns + " is being terminated"},
                                    {"field", "metadata.namespace"}}});
  std::string subject = name.empty() ? qr : qr + " \"" + name + "\"";
  throw StatusError(403, "Forbidden", subject + " is forbidden: " + why, details);
}

}  // namespace kubedouble::fake
