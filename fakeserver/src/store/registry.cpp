// Registry: the resources the store serves, starting with the built-in kinds.
#include <algorithm>
#include <mutex>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {
namespace {

ResourceInfo Core(std::string kind, std::string plural, bool namespaced,
                  std::vector<std::string> short_names, std::vector<std::string> categories = {}) {
  ResourceInfo r;
  r.version = "v1";
  r.singular = kind;
  std::transform(r.singular.begin(), r.singular.end(), r.singular.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  r.kind = std::move(kind);
  r.plural = std::move(plural);
  r.namespaced = namespaced;
  r.short_names = std::move(short_names);
  r.categories = std::move(categories);
  return r;
}

std::vector<ResourceInfo> BuiltIns() {
  std::vector<ResourceInfo> v;
  auto ns = Core("Namespace", "namespaces", false, {"ns"});
  ns.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
  v.push_back(ns);
  v.push_back(Core("Pod", "pods", true, {"po"}, {"all"}));
  v.push_back(Core("Secret", "secrets", true, {}));
  v.push_back(Core("ServiceAccount", "serviceaccounts", true, {"sa"}));
  v.push_back(Core("ConfigMap", "configmaps", true, {"cm"}));
  v.push_back(Core("Event", "events", true, {"ev"}));
  v.push_back(Core("Service", "services", true, {"svc"}, {"all"}));
  v.push_back(Core("Node", "nodes", false, {"no"}));
  auto crd = Core("CustomResourceDefinition", "customresourcedefinitions", false, {"crd", "crds"},
                  {"api-extensions"});
  crd.group = "apiextensions.k8s.io";
  v.push_back(crd);
  return v;
}

}  // namespace

struct Registry::Impl {
  mutable std::mutex mu;
  std::vector<ResourceInfo> resources;
  uint64_t generation = 1;
};

Registry::Registry() : impl_(std::make_shared<Impl>()) { impl_->resources = BuiltIns(); }

void Registry::Add(const ResourceInfo& info) {
  std::lock_guard lock(impl_->mu);
  auto& rs = impl_->resources;
  auto it = std::find_if(rs.begin(), rs.end(), [&](const ResourceInfo& r) {
    return r.group == info.group && r.version == info.version && r.plural == info.plural;
  });
  if (it != rs.end()) {
    *it = info;
  } else {
    rs.push_back(info);
  }
  ++impl_->generation;
}

bool Registry::Remove(const std::string& group, const std::string& plural) {
  std::lock_guard lock(impl_->mu);
  auto& rs = impl_->resources;
  auto n = std::erase_if(
      rs, [&](const ResourceInfo& r) { return r.group == group && r.plural == plural; });
  if (n > 0) ++impl_->generation;
  return n > 0;
}

std::optional<ResourceInfo> Registry::Find(const std::string& group, const std::string& version,
                                           const std::string& plural) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& r : impl_->resources) {
    if (r.group == group && r.version == version && r.plural == plural) return r;
  }
  return std::nullopt;
}

std::optional<ResourceInfo> Registry::FindByKind(const std::string& api_version,
                                                 const std::string& kind) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& r : impl_->resources) {
    if (r.ApiVersion() == api_version && r.kind == kind) return r;
  }
  return std::nullopt;
}

std::vector<ResourceInfo> Registry::All() const {
  std::vector<ResourceInfo> out;
  {
    std::lock_guard lock(impl_->mu);
    out = impl_->resources;
  }
  std::stable_sort(out.begin(), out.end(), [](const ResourceInfo& a, const ResourceInfo& b) {
    if (a.group.empty() != b.group.empty()) return a.group.empty();
    return a.group < b.group;
  });
  return out;
}

uint64_t Registry::generation() const {
  std::lock_guard lock(impl_->mu);
  return impl_->generation;
}

}  // namespace kubedouble::fake
