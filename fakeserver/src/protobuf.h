// Kubernetes' protobuf envelope ("k8s\0" + runtime.Unknown), decoded into the JSON form of the
// object, for the request bodies kubectl (and other client-go programs) send as protobuf. Every
// kind the server serves is decoded from the schema's message tables (kubedouble/schema/
// protobuf.h); a few have hand-written decoders still (to be retired, issue 14):
// - ConfigMap, Secret, Namespace, ServiceAccount and Service, with the full ObjectMeta;
// - DeleteOptions (typed client-go deletes);
// - SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview and TokenRequest.
// Unknown field numbers are skipped, as protobuf decoders do; the JSON has what Go's encoder
// would write for the decoded struct as far as the wire tells (empty strings and zero times left
// out, numbers and booleans kept as sent, bytes as base64).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

inline constexpr char kProtobufContentType[] = "application/vnd.kubernetes.protobuf";

// True for a Content-Type of kubectl's protobuf media type (parameters allowed).
bool IsProtobufContentType(std::string_view content_type);

// The JSON form of a protobuf-encoded body ("apiVersion" and "kind" from the envelope's
// typeMeta). Throws StatusError: 400 BadRequest for a body that is not a well-formed envelope
// or object (the message names the field and what is wrong), 415 UnsupportedMediaType for a
// well-formed envelope of a kind not served (the message names the kind).
nlohmann::json DecodeProtobufBody(std::string_view body);

}  // namespace kubedouble::fake
