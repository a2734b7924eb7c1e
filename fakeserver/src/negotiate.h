// Content negotiation from the Accept header: aggregated vs legacy discovery, Table vs list.
#pragma once

#include <string>

namespace kubedouble::fake {

enum class DiscoveryFormat { kLegacy, kAggregatedV2, kAggregatedV2Beta1 };

// The first media range in Accept that the server can answer with decides.
DiscoveryFormat NegotiateDiscovery(const std::string& accept);
// True when the first answerable media range asks for a meta.k8s.io Table (v1 or v1beta1).
bool WantsTable(const std::string& accept);
// True when the client takes JSON: no Accept, or a media range of application/json,
// application/* or */* (/openapi/v3 answers JSON only, 406 to a protobuf-only Accept).
bool AcceptsJson(const std::string& accept);
// /openapi/v2: the first media range answerable as JSON or as the protobuf form decides: the
// content type to answer with ("application/json" or kOpenApiV2Protobuf), "" when none is (406).
std::string NegotiateOpenApiV2(const std::string& accept);

// The protobuf form of /openapi/v2, and the older name kubectl still asks for (answered with the
// current one: the "@" is no valid media type character, which Go's mime parser refuses).
inline constexpr char kOpenApiV2Protobuf[] =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
inline constexpr char kOpenApiV2ProtobufDeprecated[] =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

inline constexpr char kAggregatedV2ContentType[] =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr char kAggregatedV2Beta1ContentType[] =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

}  // namespace kubedouble::fake
