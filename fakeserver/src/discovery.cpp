#include "discovery.h"

#include <algorithm>

namespace kubedouble::fake {

namespace {
std::vector<ResourceInfo> ServerOwnResources() {
  ResourceInfo ssr;
  ssr.group = "authentication.k8s.io";
  ssr.version = "v1";
  ssr.kind = "SelfSubjectReview";
  ssr.plural = "selfsubjectreviews";
  ssr.singular = "selfsubjectreview";
  ssr.namespaced = false;
  ssr.verbs = {"create"};
  ResourceInfo ssar = ssr;
  ssar.group = "authorization.k8s.io";
  ssar.kind = "SelfSubjectAccessReview";
  ssar.plural = "selfsubjectaccessreviews";
  ssar.singular = "selfsubjectaccessreview";
  ResourceInfo ssrr = ssar;
  ssrr.kind = "SelfSubjectRulesReview";
  ssrr.plural = "selfsubjectrulesreviews";
  ssrr.singular = "selfsubjectrulesreview";
  return {ssr, ssar, ssrr};
}

// Subresources the server answers itself: resource -> (subresource, group, version, kind, verbs).
struct Sub {
  std::string resource, subresource, group, version, kind;
  std::vector<std::string> verbs;
};
const std::vector<Sub>& CoreSubresources() {
  static const std::vector<Sub> kSubs = {
      {"serviceaccounts", "token", "authentication.k8s.io", "v1", "TokenRequest", {"create"}},
  };
  return kSubs;
}

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

json AggregatedResource(const ResourceInfo& r) {
  json j = {{"resource", r.plural},
            {"responseKind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
            {"scope", r.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", r.singular},
            {"verbs", r.verbs}};
  if (!r.short_names.empty()) j["shortNames"] = r.short_names;
  if (!r.categories.empty()) j["categories"] = r.categories;
  if (r.group.empty() && r.version == "v1") {
    json subs = json::array();
    for (const auto& s : CoreSubresources()) {
      if (s.resource != r.plural) continue;
      subs.push_back(
          {{"subresource", s.subresource},
           {"responseKind", {{"group", s.group}, {"version", s.version}, {"kind", s.kind}}},
           {"verbs", s.verbs}});
    }
    if (!subs.empty()) j["subresources"] = subs;
  }
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

std::vector<ResourceInfo> Discovery::Resources() const {
  std::vector<ResourceInfo> all = registry_->All();
  for (const auto& own : ServerOwnResources()) {
    bool present = std::any_of(all.begin(), all.end(), [&](const ResourceInfo& r) {
      return r.group == own.group && r.version == own.version && r.plural == own.plural;
    });
    if (!present) all.push_back(own);
  }
  return all;
}

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
    if (group.empty() && version == "v1") {
      for (const auto& s : CoreSubresources()) {
        if (s.resource != r.plural) continue;
        resources.push_back({{"name", s.resource + "/" + s.subresource},
                             {"singularName", ""},
                             {"namespaced", r.namespaced},
                             {"group", s.group},
                             {"version", s.version},
                             {"kind", s.kind},
                             {"verbs", s.verbs}});
      }
    }
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
