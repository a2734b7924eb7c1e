#include "discovery.h"

#include <algorithm>

namespace kubedouble::fake {

namespace {

json LegacyResource(const ResourceInfo& r) {
  json j = {{"name", r.plural},
            {"singularName", r.singular},
            {"namespaced", r.namespaced},
            {"kind", r.kind},
            {"verbs", r.verbs}};
  if (!r.short_names.empty()) j["shortNames"] = r.short_names;
  if (!r.categories.empty()) j["categories"] = r.categories;
  return j;
}

// A subresource as an entry of APIResourceList: "deployments/scale", with group and version when
// its kind lives in another group.
json LegacySubresource(const ResourceInfo& r, const SubresourceInfo& s) {
  json j = {{"name", r.plural + "/" + s.name}, {"singularName", ""}, {"namespaced", r.namespaced}};
  if (!s.group.empty() || !s.version.empty()) {
    j["group"] = s.group;
    j["version"] = s.version;
  }
  j["kind"] = s.kind;
  j["verbs"] = s.verbs;
  return j;
}

json AggregatedResource(const ResourceInfo& r) {
  json j = {{"resource", r.plural},
            {"responseKind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
            {"scope", r.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", r.singular},
            {"verbs", r.verbs}};
  if (!r.short_names.empty()) j["shortNames"] = r.short_names;
  if (!r.categories.empty()) j["categories"] = r.categories;
  json subs = json::array();
  for (const auto& s : r.subresources) {
    bool other = !s.group.empty() || !s.version.empty();
    subs.push_back({{"subresource", s.name},
                    {"responseKind",
                     {{"group", other ? s.group : r.group},
                      {"version", other ? s.version : r.version},
                      {"kind", s.kind}}},
                    {"verbs", s.verbs}});
  }
  if (!subs.empty()) j["subresources"] = subs;
  return j;
}

struct GroupVersions {
  std::string group;
  std::vector<std::string> versions;  // in order of first appearance (preferred first)
};

std::vector<GroupVersions> Groups(const std::vector<ResourceInfo>& resources, bool core) {
  std::vector<GroupVersions> out;
  for (const auto& r : resources) {
    if (r.group.empty() != core) continue;
    auto it =
        std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.group == r.group; });
    if (it == out.end()) {
      out.push_back({r.group, {r.version}});
    } else if (std::find(it->versions.begin(), it->versions.end(), r.version) ==
               it->versions.end()) {
      it->versions.push_back(r.version);
    }
  }
  return out;
}

json GroupJson(const GroupVersions& g) {
  json versions = json::array();
  for (const auto& v : g.versions) {
    versions.push_back({{"groupVersion", g.group + "/" + v}, {"version", v}});
  }
  return {{"name", g.group}, {"versions", versions}, {"preferredVersion", versions[0]}};
}
}  // namespace

Discovery::Discovery(std::shared_ptr<Registry> registry) : registry_(std::move(registry)) {}

std::vector<ResourceInfo> Discovery::Resources() const { return registry_->All(); }

json Discovery::ApiVersions(const std::string& server_address) const {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json Discovery::ApiGroupList() const {
  json groups = json::array();
  for (const auto& g : Groups(Resources(), false)) groups.push_back(GroupJson(g));
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

std::optional<json> Discovery::ApiGroup(const std::string& group) const {
  for (const auto& g : Groups(Resources(), false)) {
    if (g.group != group) continue;
    json j = GroupJson(g);
    j["kind"] = "APIGroup";
    j["apiVersion"] = "v1";
    return j;
  }
  return std::nullopt;
}

std::optional<json> Discovery::ResourceList(const std::string& group,
                                            const std::string& version) const {
  json resources = json::array();
  bool found = false;
  for (const auto& r : Resources()) {
    if (r.group != group || r.version != version) continue;
    found = true;
    resources.push_back(LegacyResource(r));
    for (const auto& s : r.subresources) resources.push_back(LegacySubresource(r, s));
  }
  if (!found) return std::nullopt;
  json j = {{"kind", "APIResourceList"},
            {"groupVersion", group.empty() ? version : group + "/" + version},
            {"resources", resources}};
  if (!group.empty()) j["apiVersion"] = "v1";
  return j;
}

json Discovery::Aggregated(bool core, const std::string& api_version) const {
  auto all = Resources();
  json items = json::array();
  for (const auto& g : Groups(all, core)) {
    json versions = json::array();
    for (const auto& v : g.versions) {
      json resources = json::array();
      for (const auto& r : all) {
        if (r.group == g.group && r.version == v) resources.push_back(AggregatedResource(r));
      }
      versions.push_back({{"version", v}, {"resources", resources}, {"freshness", "Current"}});
    }
    items.push_back({{"metadata", {{"name", g.group}, {"creationTimestamp", nullptr}}},
                     {"versions", versions}});
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", api_version},
          {"metadata", json::object()},
          {"items", items}};
}

}  // namespace kubedouble::fake
