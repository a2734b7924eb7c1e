// The disruption controller: the status of every PodDisruptionBudget, from the pods its selector
// matches, as kube-controller-manager computes it — what the eviction subresource reads.
//
//   expectedPods    minAvailable as a number: the matching pods; otherwise the scale of their
//                   controllers (a Deployment's, a bare ReplicaSet's or a StatefulSet's replicas)
//   desiredHealthy  minAvailable (a percentage of expectedPods rounded up), or expectedPods less
//                   maxUnavailable (a percentage rounded up)
//   currentHealthy  the matching pods that are Ready, not being deleted, and not in
//                   status.disruptedPods (evicted in the last 2 minutes and not yet gone)
//   disruptionsAllowed  currentHealthy - desiredHealthy, at least 0
// with observedGeneration and the DisruptionAllowed condition (SufficientPods /
// InsufficientPods). A percentage over pods without a scalable controller cannot be computed:
// disruptionsAllowed 0 and DisruptionAllowed False with reason SyncFailed, as upstream.
#include <fmt/format.h>
#include <kubedouble/base/rfc3339.h>

#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

#include "controllers.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

// How long an eviction keeps a pod out of currentHealthy while it is not gone (upstream's
// DeletionTimeout).
constexpr std::chrono::minutes kDeletionTimeout{2};

// An IntOrString budget: a number, or a percentage ("50%").
struct Amount {
  int64_t value = 0;
  bool percent = false;
};

std::optional<Amount> AmountOf(const json& v) {
  if (v.is_number_integer()) return Amount{v.get<int64_t>(), false};
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  if (s.empty() || s.back() != '%') {
    throw std::runtime_error(
        fmt::format("invalid value for IntOrString: invalid type: string is not a percentage"));
  }
  try {
    return Amount{std::stoll(s.substr(0, s.size() - 1)), true};
  } catch (const std::exception&) {
    throw std::runtime_error(fmt::format("invalid value \"{}\": not a percentage", s));
  }
}

int64_t PercentOf(int64_t percent, int64_t of) {
  return static_cast<int64_t>(std::ceil(static_cast<double>(percent) * of / 100.0));
}

class DisruptionController : public Controller {
 public:
  std::string name() const override { return "disruption"; }

  void Changed(World& w, const std::string& resource, const json& object, bool) override {
    if (resource == "poddisruptionbudgets") {
      w.Enqueue(name(), KeyOf(object));
    } else if (resource == "pods" || resource == "replicasets" || resource == "deployments" ||
               resource == "statefulsets") {
      // Any budget of the namespace may count it.
      std::string ns = Str(object, "metadata.namespace");
      const auto& budgets = w.cache("poddisruptionbudgets").all();
      for (auto it = budgets.lower_bound(ns + "/"); it != budgets.end(); ++it) {
        if (it->first.compare(0, ns.size() + 1, ns + "/") != 0) break;
        w.Enqueue(name(), it->first);
      }
    }
  }

  void Reconcile(World& w, const std::string& key) override {
    const json* found = w.cache("poddisruptionbudgets").Find(key);
    if (!found) return;
    json pdb = *found;
    if (PodTerminating(pdb)) return;
    const std::string ns = Str(pdb, "metadata.namespace");
    std::vector<const json*> pods = Matching(w, pdb, ns);
    json want = At(pdb, "status").is_object() ? At(pdb, "status") : json::object();
    const std::string now = w.NowText();
    const int64_t generation = Int(pdb, "metadata.generation", 1);
    try {
      int64_t expected = 0, desired = 0;
      const json& min_available = At(pdb, "spec.minAvailable");
      const json& max_unavailable = At(pdb, "spec.maxUnavailable");
      if (auto max = AmountOf(max_unavailable)) {
        expected = ExpectedScale(w, pods);
        desired = std::max<int64_t>(
            0, expected - (max->percent ? PercentOf(max->value, expected) : max->value));
      } else if (auto min = AmountOf(min_available)) {
        if (min->percent) {
          expected = ExpectedScale(w, pods);
          desired = PercentOf(min->value, expected);
        } else {
          expected = static_cast<int64_t>(pods.size());
          desired = min->value;
        }
      }
      json disrupted = Disrupted(w, pdb, pods, key);
      int64_t healthy = 0;
      for (const json* p : pods) {
        if (PodReady(*p) && !PodTerminating(*p) && !disrupted.contains(Str(*p, "metadata.name")))
          ++healthy;
      }
      const int64_t allowed = std::max<int64_t>(0, healthy - desired);
      want["expectedPods"] = expected;
      want["desiredHealthy"] = desired;
      want["currentHealthy"] = healthy;
      want["disruptionsAllowed"] = allowed;
      want["observedGeneration"] = generation;
      if (disrupted.empty()) {
        want.erase("disruptedPods");
      } else {
        want["disruptedPods"] = disrupted;
      }
      SetCondition(want["conditions"], "DisruptionAllowed", allowed > 0 ? "True" : "False",
                   allowed > 0 ? "SufficientPods" : "InsufficientPods", "", now, generation);
    } catch (const std::exception& e) {
      want["disruptionsAllowed"] = 0;
      SetCondition(want["conditions"], "DisruptionAllowed", "False", "SyncFailed", e.what(), now,
                   Int(pdb, "status.observedGeneration", 0));
    }
    if (want == At(pdb, "status")) return;
    if (pods.empty()) {
      w.Event(pdb, false, "NoPods", "No matching pods found", "controllermanager");
    }
    pdb["status"] = want;
    w.UpdateStatus("poddisruptionbudgets", pdb);
  }

 private:
  // metav1.Condition: status, reason, message, observedGeneration; the transition time moves
  // only with the status.
  static void SetCondition(json& conditions, const std::string& type, const std::string& status,
                           const std::string& reason, const std::string& message,
                           const std::string& now, int64_t observed) {
    if (!conditions.is_array()) conditions = json::array();
    json* c = nullptr;
    for (auto& existing : conditions) {
      if (Str(existing, "type") == type) c = &existing;
    }
    if (!c) {
      conditions.push_back({{"type", type}});
      c = &conditions.back();
    }
    if (Str(*c, "status") != status) (*c)["lastTransitionTime"] = now;
    (*c)["status"] = status;
    (*c)["reason"] = reason;
    (*c)["message"] = message;
    (*c)["observedGeneration"] = observed;
  }

  // The pods of `ns` the budget selects (policy/v1: an empty selector selects all, none none).
  static std::vector<const json*> Matching(World& w, const json& pdb, const std::string& ns) {
    std::vector<const json*> out;
    const json& selector = At(pdb, "spec.selector");
    if (!selector.is_object()) return out;
    const auto& pods = w.cache("pods").all();
    for (auto it = pods.lower_bound(ns + "/"); it != pods.end(); ++it) {
      if (it->first.compare(0, ns.size() + 1, ns + "/") != 0) break;
      if (SelectorMatches(selector, At(it->second, "metadata.labels"), true)) {
        out.push_back(&it->second);
      }
    }
    return out;
  }

  // The sum of the replicas of the controllers of `pods`, each counted once.
  static int64_t ExpectedScale(World& w, const std::vector<const json*>& pods) {
    std::map<std::string, int64_t> scales;  // by controller key
    for (const json* pod : pods) {
      const json* ref = nullptr;
      const json& refs = At(*pod, "metadata.ownerReferences");
      if (refs.is_array()) {
        for (const auto& r : refs) {
          if (r.value("controller", false)) ref = &r;
        }
      }
      const std::string pod_name = Str(*pod, "metadata.name");
      if (!ref)
        throw std::runtime_error(fmt::format("found no controller ref for pod \"{}\"", pod_name));
      const std::string ns = Str(*pod, "metadata.namespace");
      const std::string kind = Str(*ref, "kind"), owner = Str(*ref, "name");
      const json* controller = nullptr;
      std::string key;
      if (kind == "ReplicaSet") {
        const json* rs = w.cache("replicasets").Find(KeyOf(ns, owner));
        controller = rs;
        key = "rs/" + KeyOf(ns, owner);
        if (rs) {
          const json& rs_refs = At(*rs, "metadata.ownerReferences");
          for (const auto& r : rs_refs.is_array() ? rs_refs : json::array()) {
            if (!r.value("controller", false) || Str(r, "kind") != "Deployment") continue;
            if (const json* d = w.cache("deployments").Find(KeyOf(ns, Str(r, "name")))) {
              controller = d;
              key = "deploy/" + KeyOf(ns, Str(r, "name"));
            }
          }
        }
      } else if (kind == "StatefulSet") {
        controller = w.cache("statefulsets").Find(KeyOf(ns, owner));
        key = "sts/" + KeyOf(ns, owner);
      }
      if (!controller) {
        throw std::runtime_error(fmt::format(
            "found no controllers for pod \"{}\" (its controller {} \"{}\" has no scale)", pod_name,
            kind, owner));
      }
      scales[key] = Int(*controller, "spec.replicas", 1);
    }
    int64_t sum = 0;
    for (const auto& [k, n] : scales) sum += n;
    return sum;
  }

  // status.disruptedPods without the pods that are gone or being deleted and the entries older
  // than kDeletionTimeout; re-checked when the oldest left expires.
  json Disrupted(World& w, const json& pdb, const std::vector<const json*>& pods,
                 const std::string& key) {
    json out = json::object();
    const json& recorded = At(pdb, "status.disruptedPods");
    if (!recorded.is_object()) return out;
    std::optional<TimePoint> next;
    for (const json* p : pods) {
      const std::string pod_name = Str(*p, "metadata.name");
      if (!recorded.contains(pod_name) || PodTerminating(*p)) continue;
      auto at = ParseTime(recorded[pod_name]);
      if (!at) continue;
      TimePoint expiry = *at + kDeletionTimeout;
      if (expiry <= w.now()) continue;
      out[pod_name] = recorded[pod_name];
      if (!next || expiry < *next) next = expiry;
    }
    if (next) w.After(*next, name(), key);
    return out;
  }

  static std::optional<TimePoint> ParseTime(const json& v) {
    if (!v.is_string()) return std::nullopt;
    return base::ParseRfc3339(v.get<std::string>());
  }
};

}  // namespace

std::unique_ptr<Controller> NewDisruptionController() {
  return std::make_unique<DisruptionController>();
}

}  // namespace kubedouble::controlplane
