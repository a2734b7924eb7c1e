// kubedouble::schema — the fields a built-in kind has, for field validation.
//
// kube-apiserver decodes a write strictly when asked (fieldValidation=Strict, which kubectl sends
// once the OpenAPI documents say the server supports it) and names every field the kind's Go
// types do not have. The fields are those of the kind's protobuf message tables (protobuf.h),
// whose JSON names are the Go types' JSON names.
//
//   schema::UnknownFields("apps", "v1", "Deployment", body)  // {"spec.replcas", ...}
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::schema {

// The JSON paths of the fields of `object` that the kind does not have, in document order:
// "spec.replcas", "spec.template.spec.containers[0].imagee", "metadata.labls". Keys beginning
// with '$' (strategic merge patch directives) and the values of free-form fields (RawExtension,
// JSON, FieldsV1) are not checked. Empty for a kind the schema does not know (custom resources).
std::vector<std::string> UnknownFields(std::string_view group, std::string_view version,
                                       std::string_view kind, const nlohmann::json& object);
// UnknownFields, and erases them from `object` (kube-apiserver never stores them).
std::vector<std::string> PruneUnknownFields(std::string_view group, std::string_view version,
                                            std::string_view kind, nlohmann::json& object);

}  // namespace kubedouble::schema
