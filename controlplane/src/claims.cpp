#include "claims.h"

#include <fmt/format.h>
#include <kubedouble/fakeserver/store.h>

#include "objects.h"

namespace kubedouble::controlplane {
namespace {

// A uuid-shaped name derived from `seed` (the same claim gets the same volume name).
std::string VolumeName(const std::string& seed) {
  const std::string h = Hex64("volume/" + seed);
  return fmt::format("pvc-{}-{}-{}-{}-{}", h.substr(0, 8), h.substr(8, 4), h.substr(12, 4),
                     h.substr(16, 4), h.substr(20, 12));
}

void Claim(World& w, const json& sts, const json& tmpl, const std::string& name) {
  const std::string ns = Str(sts, "metadata.namespace");
  if (w.store().Contains(w.Resource("persistentvolumeclaims"), ns, name))
    return;  // kept from before (a claim outlives its pod)
  json labels =
      At(tmpl, "metadata.labels").is_object() ? At(tmpl, "metadata.labels") : json::object();
  const json& match = At(sts, "spec.selector.matchLabels");
  if (match.is_object()) {
    for (const auto& [k, v] : match.items()) labels[k] = v;
  }
  json annotations = At(tmpl, "metadata.annotations").is_object() ? At(tmpl, "metadata.annotations")
                                                                  : json::object();
  annotations["pv.kubernetes.io/bind-completed"] = "yes";
  annotations["pv.kubernetes.io/bound-by-controller"] = "yes";
  annotations["volume.beta.kubernetes.io/storage-provisioner"] = "rancher.io/local-path";
  annotations["volume.kubernetes.io/storage-provisioner"] = "rancher.io/local-path";
  json spec = At(tmpl, "spec").is_object() ? At(tmpl, "spec") : json::object();
  if (Str(spec, "storageClassName").empty()) spec["storageClassName"] = "standard";
  if (Str(spec, "volumeMode").empty()) spec["volumeMode"] = "Filesystem";
  spec["volumeName"] = VolumeName(ns + "/" + name);
  json claim = {
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata",
       {{"name", name}, {"namespace", ns}, {"labels", labels}, {"annotations", annotations}}},
      {"spec", spec}};
  if (Str(sts, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted") == "Delete")
    claim["metadata"]["ownerReferences"] = json::array({ControllerRef(sts)});
  auto made = w.Create("persistentvolumeclaims", std::move(claim));
  if (!made) return;
  json bound = *made;
  bound["status"] = {{"phase", "Bound"}};
  if (At(spec, "accessModes").is_array()) bound["status"]["accessModes"] = spec["accessModes"];
  if (const json& storage = At(spec, "resources.requests.storage"); !storage.is_null())
    bound["status"]["capacity"] = {{"storage", storage}};
  w.UpdateStatus("persistentvolumeclaims", bound);
}

}  // namespace

void EnsureClaims(World& w, const json& sts, int64_t ordinal, json& pod) {
  const json& templates = At(sts, "spec.volumeClaimTemplates");
  if (!templates.is_array()) return;
  const std::string sts_name = Str(sts, "metadata.name");
  json& volumes = pod["spec"]["volumes"];
  if (!volumes.is_array()) volumes = json::array();
  for (const auto& tmpl : templates) {
    const std::string volume = Str(tmpl, "metadata.name");
    if (volume.empty()) continue;
    const std::string name = fmt::format("{}-{}-{}", volume, sts_name, ordinal);
    Claim(w, sts, tmpl, name);
    json kept = json::array();
    for (auto& v : volumes) {
      if (Str(v, "name") != volume) kept.push_back(std::move(v));
    }
    kept.push_back({{"name", volume}, {"persistentVolumeClaim", {{"claimName", name}}}});
    volumes = std::move(kept);
  }
}

}  // namespace kubedouble::controlplane
