#include "owner_controller.h"

#include "objects.h"

namespace kubedouble::controlplane {

void OwnerController::Changed(World& w, const std::string& resource, const json& object,
                              bool deleted) {
  if (resource == kind_.resource) {
    owners_.Track(object, deleted);
    if (!deleted) w.Enqueue(name(), KeyOf(object));
  } else if (resource == kind_.dependents) {
    if (std::string owner = owners_.ControllerKey(object); !owner.empty()) w.Enqueue(name(), owner);
  }
}

void OwnerController::Reconcile(World& w, const std::string& key) {
  const json* found = w.cache(kind_.resource).Find(key);
  if (!found || PodTerminating(*found)) return;
  json owner = *found;
  owner["kind"] = kind_.kind;
  owner["apiVersion"] = kind_.api_version;
  Sync(w, std::move(owner));
}

}  // namespace kubedouble::controlplane
