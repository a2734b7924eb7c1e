// kubedouble::schema — the protobuf messages of the served kinds, for decoding
// application/vnd.kubernetes.protobuf bodies into their JSON form and encoding answers.
//
// Generated from the field tables of the 1.32 generated.proto files
// (schema/data/proto-fields.json): every message a served kind, its list kind, Status,
// WatchEvent, the PartialObjectMetadata forms and legacy discovery's lists reach, with each field's
// number, JSON name and type, and whether the OpenAPI definition requires the field (Go writes a
// required field even when it is empty: it has no `omitempty`). Messages whose JSON form is not an
// object (Time, Quantity, IntOrString, RawExtension, ...) say so in `form`; fields marked `inlined`
// put their message's fields into the parent (Volume's volumeSource).
//
//   const schema::ProtoMessage* m = schema::FindKindMessage("apps", "v1", "Deployment");
//   for (const schema::ProtoField& f : m->fields) ...   // metadata = 1, spec = 2, status = 3
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace kubedouble::schema {

// The scalar or message type of a field (or of a map's value).
enum class ProtoType : uint8_t { kString, kBytes, kBool, kInt32, kInt64, kDouble, kMessage };

// How a message is written in JSON.
enum class JsonForm : uint8_t {
  kObject,               // an object of its fields
  kTime,                 // RFC 3339, seconds precision; null when zero (seconds=1, nanos=2)
  kMicroTime,            // RFC 3339 with 6 fractional digits (seconds=1, nanos=2)
  kDuration,             // Go duration syntax, "1h2m3s" (nanoseconds=1)
  kQuantity,             // the string of field 1, "100m"
  kIntOrString,          // type=1 (0: intVal=2, 1: strVal=3)
  kRawJson,              // the JSON text of bytes field 1 (RawExtension, FieldsV1, JSON)
  kStringArray,          // the repeated strings of field 1 (Verbs, ExtraValue)
  kSchemaOrArray,        // JSONSchemaPropsOrArray: schema=1 object, or repeated 2 array
  kSchemaOrBool,         // JSONSchemaPropsOrBool: schema=2 object, else allows=1
  kSchemaOrStringArray,  // JSONSchemaPropsOrStringArray: schema=1, or strings 2
};

struct ProtoField {
  uint32_t number;
  std::string_view json_name;  // empty for an inlined field
  ProtoType type;              // a map's value type when `map`
  bool repeated;
  bool map;         // map<string, type>: repeated entries {key = 1, value = 2}
  bool inlined;     // the message's fields appear in the parent object
  int16_t message;  // index in ProtoMessages() when type is kMessage, else -1
  bool required;    // in the OpenAPI definition's `required` list
};

struct ProtoMessage {
  std::string_view name;  // "k8s.io.api.apps.v1.Deployment"
  JsonForm form;
  std::span<const ProtoField> fields;  // by number
};

std::span<const ProtoMessage> ProtoMessages();  // sorted by name

// A message by its full name ("k8s.io.apimachinery.pkg.apis.meta.v1.Status"); nullptr when the
// table does not have it.
const ProtoMessage* FindMessage(std::string_view name);

// The message of a kind (or its list kind, "PodList") of a group-version ("" for core); nullptr
// when it has none.
const ProtoMessage* FindKindMessage(std::string_view group, std::string_view version,
                                    std::string_view kind);

}  // namespace kubedouble::schema
