// Kubernetes' protobuf envelope ("k8s\0" + runtime.Unknown), decoded into the JSON form of the
// object for the request bodies kubectl (and other client-go programs) send as protobuf:
// - ConfigMap, Secret, Namespace, ServiceAccount and Service (kubectl create configmap, secret
//   generic|tls|docker-registry, namespace, serviceaccount, service), with the full ObjectMeta;
// - DeleteOptions (typed client-go deletes);
// - SelfSubjectReview, SelfSubjectAccessReview, SelfSubjectRulesReview and TokenRequest
//   (kubectl auth whoami, auth can-i [--list], create token).
// Field numbers are those of k8s.io/api/core/v1/generated.proto and
// k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto. Unknown field numbers are skipped, as
// protobuf decoders do; the JSON has what Go's encoder would write for the decoded struct (empty
// strings and maps left out, *bool fields kept when sent, bytes as base64).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

inline constexpr char kProtobufContentType[] = "application/vnd.kubernetes.protobuf";

// True for a Content-Type of kubectl's protobuf media type (parameters allowed).
bool IsProtobufContentType(std::string_view content_type);

// The kinds DecodeProtobufBody decodes, for messages.
const std::vector<std::string>& ProtobufKinds();

// The JSON form of a protobuf-encoded body ("apiVersion" and "kind" from the envelope's
// typeMeta). Throws StatusError: 400 BadRequest for a body that is not a well-formed envelope
// or object (the message names the field and what is wrong), 415 UnsupportedMediaType for a
// well-formed envelope of a kind not decoded here (the message names the kind).
nlohmann::json DecodeProtobufBody(std::string_view body);

}  // namespace kubedouble::fake
