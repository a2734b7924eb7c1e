// The garbage collector, for what the control plane caches: when an owner goes, the objects it
// controls go too (background propagation) — a deleted Deployment takes its ReplicaSets, a
// ReplicaSet or Job its pods. Objects of other resources (an EndpointSlice of a deleted Service)
// are found by listing them.
#include "controllers.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

// Resources whose dependents are collected, and where those dependents live.
const std::vector<std::string>& DependentResources() {
  static const std::vector<std::string> kDependents = {"jobs", "replicasets", "pods"};
  return kDependents;
}

class GarbageCollector : public Controller {
 public:
  std::string name() const override { return "gc"; }

  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override {
    if (!deleted) return;
    if (resource == "deployments" || resource == "replicasets" || resource == "jobs" ||
        resource == "statefulsets" || resource == "daemonsets" || resource == "cronjobs") {
      w.Enqueue(name(), Str(object, "metadata.uid"));
    } else if (resource == "services") {
      w.Enqueue(name(), "service:" + KeyOf(object));
    }
  }

  void Reconcile(World& w, const std::string& key) override {
    if (key.rfind("service:", 0) == 0) {
      DeleteServiceEndpoints(w, key.substr(8));
      return;
    }
    for (const auto& resource : DependentResources()) {
      std::vector<json> victims;
      for (const auto& k : w.cache(resource).OwnedBy(key)) {
        if (const json* o = w.cache(resource).Find(k)) victims.push_back(*o);
      }
      for (const auto& v : victims) w.Delete(resource, v);
    }
  }

 private:
  void DeleteServiceEndpoints(World& w, const std::string& key) {
    auto slash = key.find('/');
    std::string ns = key.substr(0, slash), name = key.substr(slash + 1);
    if (w.cache("services").Find(key)) return;  // created again meanwhile
    fake::ListOptions by_service;
    by_service.label_selector = "kubernetes.io/service-name=" + name;
    try {
      auto& store = w.store();
      store.DeleteCollection(w.Resource("endpointslices"), ns, by_service);
      store.Delete(w.Resource("endpoints"), ns, name);
    } catch (const fake::StatusError&) {
      // Already gone.
    }
  }
};

}  // namespace

std::unique_ptr<Controller> NewGarbageCollector() { return std::make_unique<GarbageCollector>(); }

}  // namespace kubedouble::controlplane
