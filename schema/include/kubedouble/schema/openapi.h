// kubedouble::schema — the OpenAPI documents of the built-in API.
//
// The OpenAPI v2 (swagger 2.0) document of every served group-version is embedded in the binary,
// zlib-compressed (about 35 KB for 880 KB of JSON), and inflated only when first asked for: a
// server that never answers /openapi pays nothing for it. Descriptions are empty (the facts pack
// carries none).
//
// OpenAPI v3 documents are derived from a swagger document, one per group-version, as
// kube-apiserver serves them under /openapi/v3/<key>:
//
//   json swagger = json::parse(schema::BuiltInSwaggerJson());
//   std::map<std::string, json> v3 = schema::ToOpenApiV3(swagger);
//   v3["apis/apps/v1"]  // {"openapi":"3.0.0","paths":{...},"components":{"schemas":{...}}}
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>

namespace kubedouble::schema {

// The built-in swagger document as compact JSON: `paths` of the served group-versions (and the
// non-resource paths: /api/, /apis/, /version/, ...), the `parameters` they reference and every
// definition they reach. Inflated on the first call (thread-safe); the same text after that.
const std::string& BuiltInSwaggerJson();

// A swagger document in the protobuf form of /openapi/v2
// (application/com.github.proto-openapi.spec.v2@v1.0+protobuf, message openapi.v2.Document):
// what kubectl downloads to validate on the client (a `kind: List` manifest) and for
// `explain --output plaintext-openapiv2`.
std::string SwaggerToProtobuf(const nlohmann::json& swagger);

// The OpenAPI v3 document a swagger path belongs to:
//   "/apis/apps/v1/namespaces/{namespace}/deployments" -> "apis/apps/v1"
//   "/api/v1/pods" -> "api/v1", "/apis/apps/" -> "apis/apps", "/api/" -> "api",
//   "/version/" -> "version", "/logs/{logpath}" -> "logs".
std::string OpenApiV3Key(std::string_view swagger_path);

// Splits a swagger document into OpenAPI 3.0 documents by OpenApiV3Key. Each holds its paths —
// parameters inline (`schema` instead of `type`), the body parameter as `requestBody` with one
// entry per consumed media type, responses with one entry per produced media type, the
// x-kubernetes-* extensions as they are — and, under components.schemas, every definition those
// paths reach, with `$ref`s pointing to `#/components/schemas/...`.
std::map<std::string, nlohmann::json> ToOpenApiV3(const nlohmann::json& swagger);

}  // namespace kubedouble::schema
