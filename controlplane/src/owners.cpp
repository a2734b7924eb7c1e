#include "owners.h"

#include "objects.h"

namespace kubedouble::controlplane {

void OwnerIndex::Track(const json& owner, bool deleted) {
  std::string uid = Str(owner, "metadata.uid");
  if (uid.empty()) return;
  if (deleted) {
    by_uid_.erase(uid);
  } else {
    by_uid_[uid] = KeyOf(owner);
  }
}

std::string OwnerIndex::ControllerKey(const json& dependent) const {
  auto it = by_uid_.find(ControllerUid(dependent));
  return it == by_uid_.end() ? "" : it->second;
}

std::string NextPodName(const Cache& pods, const std::string& ns, const std::string& prefix,
                        std::map<std::string, uint64_t>& counters) {
  auto& n = counters[ns + "/" + prefix];
  while (true) {
    std::string name = prefix + NameSuffix(ns + "/" + prefix + "/" + std::to_string(n++));
    if (!pods.Find(KeyOf(ns, name))) return name;
  }
}

}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
json PodFromTemplate(const json& owner, const std::string& name) {
  const json& tmpl = At(owner, "spec.template");
  json meta = {{"name", name},
               {"namespace", Str(owner, "metadata.namespace")},
               {"ownerReferences", {ControllerRef(owner)}}};
  for (const char* field : {"labels", "annotations"}) {
    if (At(tmpl, std::string("metadata.") + field).is_object())
      meta[field] = tmpl["metadata"][field];
  }
  return {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", meta}, {"spec", At(tmpl, "spec")}};
}
}  // namespace kubedouble::controlplane
