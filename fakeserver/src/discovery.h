// Discovery documents: legacy (/api APIVersions, /apis APIGroupList, /apis/G APIGroup,
// /api/v1 and /apis/G/V APIResourceList) and aggregated (APIGroupDiscoveryList v2/v2beta1),
// built from the store's Registry: the built-in resources of the schema (with their subresources,
// short names and categories) and the CustomResourceDefinitions created at run time.
#pragma once

#include <kubedouble/fakeserver/store.h>

#include <memory>
#include <optional>
#include <string>

namespace kubedouble::fake {

class Discovery {
 public:
  explicit Discovery(std::shared_ptr<Registry> registry);

  // `server_address` is HOST:PORT of the server, for serverAddressByClientCIDRs.
  json ApiVersions(const std::string& server_address) const;
  json ApiGroupList() const;
  std::optional<json> ApiGroup(const std::string& group) const;
  std::optional<json> ResourceList(const std::string& group, const std::string& version) const;
  // core: the /api document (core group only); otherwise /apis (every other group).
  // `api_version` is "apidiscovery.k8s.io/v2" or "apidiscovery.k8s.io/v2beta1".
  json Aggregated(bool core, const std::string& api_version) const;

  // Every resource served (Registry::All's order).
  std::vector<ResourceInfo> Resources() const;

 private:
  std::shared_ptr<Registry> registry_;
};

}  // namespace kubedouble::fake
