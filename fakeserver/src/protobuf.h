// Kubernetes' protobuf envelope ("k8s\0" + runtime.Unknown), decoded just enough for the
// request bodies kubectl sends as protobuf to a JSON server: SelfSubjectReview,
// SelfSubjectAccessReview and TokenRequest (kubectl auth whoami, auth can-i, create token).
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace kubedouble::fake {

inline constexpr char kProtobufContentType[] = "application/vnd.kubernetes.protobuf";

// The JSON form of a protobuf-encoded body of one of the kinds above; nullopt for a body that
// is not a well-formed envelope or carries another kind.
std::optional<nlohmann::json> DecodeProtobufBody(const std::string& body);

}  // namespace kubedouble::fake
