// The OpenAPI documents the server answers under /openapi/v2 and /openapi/v3: the schema's
// built-in documents, extended with the structural schema of every CustomResourceDefinition.
// Built on the first request (an idle server never inflates them) and again after the served
// resources change; each document carries the ETag kube-apiserver gives it (the upper-case hex
// SHA-512 of its JSON).
#pragma once

#include <kubedouble/fakeserver/store.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kubedouble::fake {

class OpenApi {
 public:
  struct Document {
    std::string body;  // compact JSON
    std::string etag;  // without quotes
  };
  // Reads the CustomResourceDefinitions of `store`, which must outlive this.
  explicit OpenApi(const Store& store);

  // /openapi/v2: the swagger document; as JSON, or in its protobuf form (same ETag).
  std::shared_ptr<const Document> V2();
  std::shared_ptr<const Document> V2Protobuf();
  // /openapi/v3: {"paths": {"apis/apps/v1": {"serverRelativeURL":
  // "/openapi/v3/apis/apps/v1?hash=<ETAG>"}, ...}}.
  std::shared_ptr<const Document> V3Discovery();
  // /openapi/v3/<key> ("api/v1", "apis/apps/v1", "apis/example.com/v1"); nullptr when none.
  std::shared_ptr<const Document> V3(const std::string& key);

 private:
  struct Snapshot {
    uint64_t generation = 0;
    std::shared_ptr<const Document> v2, v2_protobuf, v3_discovery;
    std::map<std::string, std::shared_ptr<const Document>> v3;
  };
  std::shared_ptr<const Snapshot> Current();

  const Store& store_;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
};

// Adds a CustomResourceDefinition's served versions to a swagger document: a definition per
// version named as kube-apiserver names it (group reversed: com.example.v1.Widget) from
// spec.versions[].schema.openAPIV3Schema with apiVersion, kind and metadata, its List, and the
// resource's paths with the operations discovery lists.
void AddCrdToSwagger(const json& crd, json& swagger);

}  // namespace kubedouble::fake
