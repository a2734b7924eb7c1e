// Name and label validation with the real API server's wording (apimachinery's validation).
#pragma once

#include <string>
#include <vector>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

bool IsDns1123Label(const std::string& s);
bool IsDns1123Subdomain(const std::string& s);

// Error details ("must be no more than 63 characters", "a lowercase RFC 1123 label must ...");
// empty when valid.
std::vector<std::string> Dns1123LabelErrors(const std::string& s);
std::vector<std::string> Dns1123SubdomainErrors(const std::string& s);
std::vector<std::string> Dns1035LabelErrors(const std::string& s);
std::vector<std::string> LabelValueErrors(const std::string& s);
std::vector<std::string> QualifiedNameErrors(const std::string& s);
// A name that is one URL path segment (RBAC objects): not "." or "..", no '/' or '%'.
std::vector<std::string> PathSegmentNameErrors(const std::string& s);

// One cause of a 422 Invalid: {"reason":"FieldValueInvalid","message":"Invalid value: \"x\": ...",
// "field":"metadata.name"}.
json InvalidCause(const std::string& field, const std::string& value, const std::string& detail);
// As InvalidCause, with the value already in the form upstream prints it: a number (70000), a
// Go value (map[string]string{"app":"web"}).
json InvalidShownCause(const std::string& field, const std::string& shown,
                       const std::string& detail);
json DuplicateCause(const std::string& field, const std::string& value);
json RequiredCause(const std::string& field, const std::string& detail);
json ForbiddenCause(const std::string& field, const std::string& detail);
json NotSupportedCause(const std::string& field, const std::string& value,
                       const std::vector<std::string>& supported);

// The causes for metadata.name of an object of `res` (empty when the name is valid).
json NameCauses(const ResourceInfo& res, const std::string& name);

// The causes for the metadata of an object of `res`: its name and its labels.
json MetadataCauses(const ResourceInfo& res, const json& object);

// The qualified kind used in Invalid messages: "Pod", "Widget.example.com".
std::string QualifiedKind(const ResourceInfo& res);
// The qualified resource used in NotFound etc.: "pods", "widgets.example.com".
std::string QualifiedResource(const ResourceInfo& res);

}  // namespace kubedouble::fake
