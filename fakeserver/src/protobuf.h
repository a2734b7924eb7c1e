// Kubernetes' protobuf envelope ("k8s\0" + runtime.Unknown), decoded into the JSON form of the
// object, for the request bodies kubectl (and other client-go programs) send as protobuf. Every
// kind the server serves (and its list kind, Status, WatchEvent, DeleteOptions of any
// group-version, PartialObjectMetadata and its list) is decoded from the schema's message tables
// (kubedouble/schema/protobuf.h). Unknown field numbers are skipped, as protobuf decoders do.
// The JSON is what Go's encoder writes for the decoded struct as far as the wire and the OpenAPI
// tell: Go's marshallers send every non-pointer field, empty or not, and JSON leaves out the
// empty ones not required (omitempty) — so empty strings and zero times are left out unless
// required; numbers, IntOrStrings and booleans are kept as sent (a pointer's zero is the
// client's choice); bytes are base64; a RawExtension holding an envelope (a watch event's
// object) is decoded as one.
#pragma once

#include <kubedouble/schema/protobuf.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

inline constexpr char kProtobufContentType[] = "application/vnd.kubernetes.protobuf";

// True for a Content-Type of kubectl's protobuf media type (parameters allowed).
bool IsProtobufContentType(std::string_view content_type);

// The message of a kind in an envelope ("apiVersion", "kind"); nullptr when it has none (custom
// resources, Tables).
const schema::ProtoMessage* ProtobufMessageOf(std::string_view api_version, std::string_view kind);

// The JSON form of a protobuf-encoded body ("apiVersion" and "kind" from the envelope's
// typeMeta). Throws StatusError: 400 BadRequest for a body that is not a well-formed envelope
// or object (the message names the field and what is wrong), 415 UnsupportedMediaType for a
// well-formed envelope of a kind not served (the message names the kind).
nlohmann::json DecodeProtobufBody(std::string_view body);

}  // namespace kubedouble::fake
