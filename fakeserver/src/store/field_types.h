// Field types on writes. kube-apiserver decodes every create and update body into the kind's Go
// struct (Go's encoding/json), and so it does with the result of a merge or JSON patch; the
// result of a strategic merge patch goes through apimachinery's unstructured converter instead.
// A field of the wrong JSON type fails there, before anything is stored. This file holds a table
// of the Go types of the built-in kinds' fields and words the failures as those decoders do.
#pragma once

#include <optional>
#include <string>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

enum class Decoder {
  kJson,          // Go's encoding/json: bodies, merge and JSON patch results
  kUnstructured,  // the unstructured converter: strategic merge patch results
};

// The decoder's error for the first field of `object` (in key order) whose JSON type does not fit
// its Go type — "json: cannot unmarshal number into Go struct field ConfigMap.data of type
// string", "illegal base64 data at input byte 4", "cannot convert int64 to string" — or nullopt.
// A wrong kind or apiVersion gives "couldn't get version/kind; json parse error: ..." (kJson).
// Custom resources: kind, apiVersion and metadata only.
std::optional<std::string> FieldTypeError(const ResourceInfo& res, const json& object,
                                          Decoder decoder);

// Throws the 400 BadRequest kube-apiserver answers for a create or update body it cannot decode:
// "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal ...".
void CheckBodyTypes(const ResourceInfo& res, const json& body);

// Throws the 422 Invalid kube-apiserver answers when a patch's result cannot be decoded:
// ` "" is invalid: patch: Invalid value: "<value>": <error>`, with one cause on field "patch";
// the value is the patched object (merge, JSON patch) or the patch as Go prints it (strategic).
void CheckPatchedTypes(const ResourceInfo& res, PatchType type, const std::string& patch_body,
                       const json& patched);

// A JSON value as Go's fmt prints it with %+v once decoded into interface{}: map[a:1 b:[x y]].
std::string GoFormat(const json& v);

}  // namespace kubedouble::fake
