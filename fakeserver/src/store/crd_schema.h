// Custom resources against their CRD's structural schema (spec.versions[*].schema.openAPIV3Schema),
// as kube-apiserver's apiextensions handler treats them: unknown fields pruned, `default`s
// applied, values validated with upstream's paths and wording, and the schema itself checked to
// be structural when the CRD is written.
//
//   PruneBySchema(schema, object)      // {"spec.colour"}: dropped, unless preserved
//   ApplySchemaDefaults(schema, object)
//   SchemaCauses(schema, object)       // [{"field":"spec.replicas","message":"Invalid value:
//   ..."}] StructuralCauses(crd)              // a 422's causes when a version's schema is not
//   structural
//
// The root's apiVersion, kind and metadata are the store's business and never pruned, defaulted
// or validated here.
#pragma once

#include <string>
#include <vector>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

// A schema's boolean `key` (false when absent or not a boolean) and string `key` ("" likewise).
bool SchemaFlag(const json& schema, const char* key);
std::string SchemaString(const json& schema, const char* key);

// The openAPIV3Schema of the version of `crd` named `version`; nullptr when it has none.
const json* CrdVersionSchema(const json& crd, const std::string& version);

// Erases the fields of `object` the schema does not declare, except under
// x-kubernetes-preserve-unknown-fields (and the apiVersion, kind and metadata of the root and of
// x-kubernetes-embedded-resource objects). Returns their paths ("spec.extra",
// "spec.items[0].bogus"), in document order.
std::vector<std::string> PruneBySchema(const json& schema, json& object);

// Fills in every absent field whose schema has a `default` (top down, so defaults inside a
// defaulted object apply too), and drops nulls of non-nullable fields, replaced by their default
// when there is one.
void ApplySchemaDefaults(const json& schema, json& object);

// The 422 causes of `object` against the schema: type, enum, required, formats (int32, int64,
// date-time, date, byte, uuid, ipv4, ipv6, ...), minimum/maximum (exclusive too), multipleOf,
// minLength/maxLength/pattern, minItems/maxItems, minProperties/maxProperties, nullable,
// x-kubernetes-int-or-string, x-kubernetes-embedded-resource, allOf/anyOf/oneOf/not.
// "spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer:
// \"string\"". Empty when valid.
json SchemaCauses(const json& schema, const json& object);

// The causes for a CustomResourceDefinition whose versions' schemas are missing or not
// structural ("spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value:
// must not be empty for specified object fields"), or whose defaults do not fit their schema.
json StructuralCauses(const json& crd);

}  // namespace kubedouble::fake
