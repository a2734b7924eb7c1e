#include "revisions.h"

#include <algorithm>
#include <vector>

#include "objects.h"

namespace kubedouble::controlplane {

void RecordRevision(World& w, const json& owner, const std::string& name, const std::string& hash,
                    const std::string& keep) {
  const std::string ns = Str(owner, "metadata.namespace");
  const std::string uid = Str(owner, "metadata.uid");
  std::vector<json> mine;
  try {
    json list = w.store().List(w.Resource("controllerrevisions"), ns, {});
    for (auto& r : list["items"]) {
      if (ControllerUid(r) == uid) mine.push_back(std::move(r));
    }
  } catch (const std::exception&) {
    return;
  }
  int64_t highest = 0;
  const json* existing = nullptr;
  for (const auto& r : mine) {
    highest = std::max(highest, Int(r, "revision", 0));
    if (Str(r, "metadata.name") == name) existing = &r;
  }
  if (existing) {
    if (Int(*existing, "revision", 0) < highest) {
      json raised = *existing;
      raised["revision"] = highest + 1;
      w.Update("controllerrevisions", raised);
    }
  } else {
    json tmpl = At(owner, "spec.template");
    json labels =
        At(tmpl, "metadata.labels").is_object() ? At(tmpl, "metadata.labels") : json::object();
    labels["controller.kubernetes.io/hash"] = hash;
    tmpl["$patch"] = "replace";
    json revision = {{"apiVersion", "apps/v1"},
                     {"kind", "ControllerRevision"},
                     {"metadata",
                      {{"name", name},
                       {"namespace", ns},
                       {"labels", labels},
                       {"ownerReferences", json::array({ControllerRef(owner)})}}},
                     {"data", {{"spec", {{"template", tmpl}}}}},
                     {"revision", highest + 1}};
    if (auto made = w.Create("controllerrevisions", std::move(revision))) mine.push_back(*made);
  }
  // History beyond the limit: the lowest revisions first.
  const int64_t limit = Int(owner, "spec.revisionHistoryLimit", 10);
  std::sort(mine.begin(), mine.end(), [](const json& a, const json& b) {
    return Int(a, "revision", 0) < Int(b, "revision", 0);
  });
  int64_t extra = static_cast<int64_t>(mine.size()) - std::max<int64_t>(limit, 0);
  for (const auto& r : mine) {
    if (extra <= 0) break;
    const std::string n = Str(r, "metadata.name");
    if (n == name || n == keep) continue;
    w.Delete("controllerrevisions", r);
    --extra;
  }
}

}  // namespace kubedouble::controlplane
