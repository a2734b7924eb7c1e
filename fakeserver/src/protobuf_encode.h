// Answers in Kubernetes' protobuf form (application/vnd.kubernetes.protobuf), encoded from the
// JSON form of the object with the schema's message tables (kubedouble/schema/protobuf.h), as
// client-go's decoder reads them:
// - an object, a list, a Status, a PartialObjectMetadata(List) or a legacy discovery document
//   (APIVersions, APIGroupList, APIGroup, APIResourceList): the "k8s\0" magic and a
//   runtime.Unknown {typeMeta {apiVersion = 1, kind = 2} = 1, raw = 2 (the object's own
//   message), contentEncoding = 3, contentType = 4 (both empty)};
// - a watch stream (application/vnd.kubernetes.protobuf;stream=watch): per event a 4-byte
//   big-endian length and a meta.v1 WatchEvent {type = 1, object = 2 (a RawExtension whose raw
//   = 1 holds the object in the form above)}.
// Fields are written in field-number order, as Go's generated marshallers write them; a JSON
// field that is absent or null is not written (the decoder's zero value), so every non-pointer
// field client-go reads decodes the same as from kube-apiserver's bytes. Map entries are written
// in key order. Special forms: Time and MicroTime {seconds = 1, nanos = 2} from RFC 3339,
// Duration {nanoseconds = 1} from Go's syntax, Quantity {string = 1}, IntOrString {type = 1,
// intVal = 2, strVal = 3}, RawExtension/FieldsV1/JSON {raw = 1: the JSON text}, bytes from
// base64. A value of the wrong JSON type for its field (never stored by the server) is skipped.
//
// Kinds without a message are not encoded (std::nullopt): custom resources, and meta.k8s.io
// Tables, which kube-apiserver answers only as JSON or YAML.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::fake {

// The media type of protobuf watch streams.
inline constexpr char kProtobufWatchContentType[] =
    "application/vnd.kubernetes.protobuf;stream=watch";

// `obj` ("apiVersion" and "kind" pick the message) in the "k8s\0" + runtime.Unknown form;
// std::nullopt when its kind has no protobuf message.
std::optional<std::string> EncodeProtobuf(const nlohmann::json& obj);

// One frame of a protobuf watch stream: the event `type` ("ADDED", "MODIFIED", "DELETED",
// "BOOKMARK", "ERROR") and `obj`; std::nullopt when obj's kind has no protobuf message.
std::optional<std::string> EncodeProtobufWatchFrame(std::string_view type,
                                                    const nlohmann::json& obj);

}  // namespace kubedouble::fake
