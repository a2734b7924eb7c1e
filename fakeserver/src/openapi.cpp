#include "openapi.h"

#include <fmt/format.h>
#include <kubedouble/schema/openapi.h>
#include <malloc.h>
#include <openssl/sha.h>

namespace kubedouble::fake {

namespace {

std::string Sha512Hex(std::string_view data) {
  unsigned char md[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  std::string out;
  out.reserve(2 * sizeof md);
  for (unsigned char c : md) out += fmt::format("{:02X}", c);
  return out;
}

std::shared_ptr<const OpenApi::Document> MakeDocument(std::string body) {
  auto d = std::make_shared<OpenApi::Document>();
  d->etag = Sha512Hex(body);
  d->body = std::move(body);
  return d;
}

}  // namespace

OpenApi::OpenApi(const Store& store) : store_(store) {}

std::shared_ptr<const OpenApi::Snapshot> OpenApi::Current() {
  std::lock_guard lock(mu_);
  const auto& registry = store_.registry();
  uint64_t generation = registry->generation();
  if (snapshot_ && snapshot_->generation == generation) return snapshot_;
  auto s = std::make_shared<Snapshot>();
  s->generation = generation;
  json crds = json::array();
  if (auto crd = registry->Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")) {
    crds = store_.List(*crd, "", {})["items"];
  }
  json swagger = json::parse(schema::BuiltInSwaggerJson());
  if (crds.is_array()) {
    for (const auto& crd : crds) AddCrdToSwagger(crd, swagger);
  }
  s->v2 = crds.empty() ? MakeDocument(schema::BuiltInSwaggerJson()) : MakeDocument(swagger.dump());
  auto pb = std::make_shared<Document>();
  pb->body = schema::SwaggerToProtobuf(swagger);
  pb->etag = s->v2->etag;
  s->v2_protobuf = std::move(pb);
  json discovery = {{"paths", json::object()}};
  for (auto& [key, doc] : schema::ToOpenApiV3(swagger)) {
    auto d = MakeDocument(doc.dump());
    discovery["paths"][key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + d->etag}};
    s->v3[key] = std::move(d);
  }
  s->v3_discovery = MakeDocument(discovery.dump());
  snapshot_ = s;
  malloc_trim(0);  // the parsed documents are gone: give their memory back
  return s;
}

std::shared_ptr<const OpenApi::Document> OpenApi::V2() { return Current()->v2; }

std::shared_ptr<const OpenApi::Document> OpenApi::V2Protobuf() { return Current()->v2_protobuf; }

std::shared_ptr<const OpenApi::Document> OpenApi::V3Discovery() { return Current()->v3_discovery; }

std::shared_ptr<const OpenApi::Document> OpenApi::V3(const std::string& key) {
  auto s = Current();
  auto it = s->v3.find(key);
  return it == s->v3.end() ? nullptr : it->second;
}

}  // namespace kubedouble::fake
