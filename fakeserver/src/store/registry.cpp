// Registry: the resources the store serves, starting with the built-in ones of the schema.
#include <kubedouble/schema/resources.h>

#include <algorithm>
#include <mutex>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {
namespace {

std::vector<std::string> Strings(std::span<const std::string_view> s) {
  return {s.begin(), s.end()};
}

ResourceInfo FromSchema(const schema::Resource& s) {
  ResourceInfo r;
  r.group = s.group;
  r.version = s.version;
  r.kind = s.kind;
  r.plural = s.plural;
  r.singular = s.singular;
  r.namespaced = s.namespaced;
  r.short_names = Strings(s.short_names);
  r.categories = Strings(s.categories);
  r.verbs = schema::VerbNames(s.verbs);
  for (const auto& sub : s.subresources) {
    r.subresources.push_back({std::string(sub.name), std::string(sub.group),
                              std::string(sub.version), std::string(sub.kind),
                              schema::VerbNames(sub.verbs)});
  }
  return r;
}

std::vector<ResourceInfo> BuiltIns() {
  std::vector<ResourceInfo> v;
  for (const auto& s : schema::Resources()) v.push_back(FromSchema(s));
  return v;
}

// Built-in groups in discovery order, then the others (CRDs, --resources) by name.
bool GroupBefore(const std::string& a, const std::string& b) {
  int pa = schema::GroupPosition(a), pb = schema::GroupPosition(b);
  if (pa >= 0 && pb >= 0) return pa < pb;
  if ((pa >= 0) != (pb >= 0)) return pa >= 0;
  return a < b;
}

}  // namespace

bool ResourceInfo::Allows(const std::string& verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const SubresourceInfo* ResourceInfo::Subresource(const std::string& name) const {
  for (const auto& s : subresources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

struct Registry::Impl {
  mutable std::mutex mu;
  // Each description is shared and never changed: an Add replaces it, so a Lookup's stays whole.
  std::vector<std::shared_ptr<const ResourceInfo>> resources;
  uint64_t generation = 1;
};

Registry::Registry() : impl_(std::make_shared<Impl>()) {
  for (auto& r : BuiltIns()) {
    impl_->resources.push_back(std::make_shared<const ResourceInfo>(std::move(r)));
  }
}

void Registry::Add(const ResourceInfo& info) {
  auto shared = std::make_shared<const ResourceInfo>(info);
  std::lock_guard lock(impl_->mu);
  auto& rs = impl_->resources;
  auto it = std::find_if(rs.begin(), rs.end(), [&](const auto& r) {
    return r->group == info.group && r->version == info.version && r->plural == info.plural;
  });
  if (it != rs.end()) {
    *it = std::move(shared);
  } else {
    rs.push_back(std::move(shared));
  }
  ++impl_->generation;
}

bool Registry::Remove(const std::string& group, const std::string& plural) {
  std::lock_guard lock(impl_->mu);
  auto& rs = impl_->resources;
  auto n =
      std::erase_if(rs, [&](const auto& r) { return r->group == group && r->plural == plural; });
  if (n > 0) ++impl_->generation;
  return n > 0;
}

std::shared_ptr<const ResourceInfo> Registry::Lookup(const std::string& group,
                                                     const std::string& version,
                                                     const std::string& plural) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& r : impl_->resources) {
    if (r->plural == plural && r->group == group && r->version == version) return r;
  }
  return nullptr;
}

std::optional<ResourceInfo> Registry::Find(const std::string& group, const std::string& version,
                                           const std::string& plural) const {
  if (auto r = Lookup(group, version, plural)) return *r;
  return std::nullopt;
}

std::optional<ResourceInfo> Registry::FindByKind(const std::string& api_version,
                                                 const std::string& kind) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& r : impl_->resources) {
    if (r->kind == kind && r->ApiVersion() == api_version) return *r;
  }
  return std::nullopt;
}

std::vector<ResourceInfo> Registry::All() const {
  std::vector<ResourceInfo> out;
  {
    std::lock_guard lock(impl_->mu);
    out.reserve(impl_->resources.size());
    for (const auto& r : impl_->resources) out.push_back(*r);
  }
  std::stable_sort(out.begin(), out.end(), [](const ResourceInfo& a, const ResourceInfo& b) {
    return a.group != b.group && GroupBefore(a.group, b.group);
  });
  return out;
}

uint64_t Registry::generation() const {
  std::lock_guard lock(impl_->mu);
  return impl_->generation;
}

}  // namespace kubedouble::fake
