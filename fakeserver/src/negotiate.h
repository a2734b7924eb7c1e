// Content negotiation, as kube-apiserver does it: from Accept, the form of an answer (JSON, YAML
// or protobuf; a Table or PartialObjectMetadata instead of the object; indented or not); from
// Content-Type, the decoder of a request body. Refusals are the Status errors kube-apiserver
// sends: 406 NotAcceptable ("only the following media types are accepted: application/json,
// application/yaml, application/vnd.kubernetes.protobuf") and 415 UnsupportedMediaType ("the body
// of the request was in an unknown format - accepted media types include: ...").
//
// How Accept is read (Go's goautoneg, then kube-apiserver's endpoint restrictions): media ranges
// by descending q, then the more specific first (stable otherwise); the first range that names
// a media type the server has (`*/*` and `application/*` are JSON) and whose parameters the
// endpoint allows decides — later ranges are not looked at, even when the first cannot stream a
// watch. No Accept is JSON. Parameters: `as`, `g`, `v` ask for a transform (`as=Table` in JSON or
// YAML; `as=PartialObjectMetadata` / `PartialObjectMetadataList` in any encoding; `g=meta.k8s.io`,
// `v=v1` or `v1beta1`), any other `as` skips the range; `stream` must be `watch` and the encoding
// one that streams; `pretty=1` indents; unknown parameters are ignored.
#pragma once

#include <string>
#include <string_view>

namespace kubedouble::fake {

// The encodings of an API answer (and of a request body).
enum class Encoding { kJson, kYaml, kProtobuf };

// What an object becomes before it is encoded.
enum class Transform { kNone, kTable, kPartialObjectMetadata, kPartialObjectMetadataList };

// The negotiated form of an answer.
struct OutputFormat {
  Encoding encoding = Encoding::kJson;
  Transform transform = Transform::kNone;
  std::string meta_version = "v1";  // of a transform's kind: "v1" or "v1beta1" (meta.k8s.io)
  // Indented JSON: `?pretty=true` (any Go boolean; `pretty=false` wins over the user agent),
  // `;pretty=1`, or a user agent starting with curl, Wget or Mozilla/5.0.
  bool pretty = false;
  bool watch = false;  // a watch stream (Endpoint::watch)

  // The Content-Type of the answer: "application/json", "application/yaml",
  // "application/vnd.kubernetes.protobuf"; a watch: "application/json" (as kube-apiserver sends
  // JSON watches) or "application/vnd.kubernetes.protobuf;stream=watch".
  const char* ContentType() const;
  // The meta.k8s.io apiVersion of the transform's kind: "meta.k8s.io/v1".
  std::string MetaApiVersion() const { return "meta.k8s.io/" + meta_version; }
};

// What an endpoint can answer with (kube-apiserver's endpoint restrictions).
struct Endpoint {
  // Resource endpoints allow the `as=` transforms; discovery and errors do not.
  bool transforms = false;
  // A custom resource: JSON and YAML only for the object itself (protobuf only transformed, as
  // for a CRD's StandardSerializers).
  bool custom_resource = false;
  // A watch: the encoding must stream (JSON or protobuf; YAML is refused with the stream list
  // "application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch").
  bool watch = false;
};

// The request headers and query negotiation reads.
struct NegotiationInput {
  std::string_view accept;
  std::string_view user_agent;
  // The `pretty` query parameter; nullptr when absent.
  const std::string* pretty_param = nullptr;
};

// The answer's form, or throws StatusError 406 NotAcceptable.
OutputFormat NegotiateOutput(const NegotiationInput& in, const Endpoint& endpoint);
// NegotiateOutput for an error Status: the same Accept read without transforms; never throws
// (JSON when nothing else is acceptable, as kube-apiserver falls back for errors).
OutputFormat NegotiateErrorOutput(const NegotiationInput& in);

// The decoder of a request body from its Content-Type (none: JSON; parameters such as charset
// ignored), or throws StatusError 415 UnsupportedMediaType naming the accepted media types.
Encoding NegotiateInput(std::string_view content_type);

// The media types of the server's serializers, in kube-apiserver's order.
inline constexpr char kMediaJson[] = "application/json";
inline constexpr char kMediaYaml[] = "application/yaml";
inline constexpr char kMediaProtobuf[] = "application/vnd.kubernetes.protobuf";
inline constexpr char kMediaProtobufWatch[] = "application/vnd.kubernetes.protobuf;stream=watch";

// Discovery: aggregated vs legacy.
enum class DiscoveryFormat { kLegacy, kAggregatedV2, kAggregatedV2Beta1 };

// The first media range in Accept that the server can answer with decides.
DiscoveryFormat NegotiateDiscovery(const std::string& accept);
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
