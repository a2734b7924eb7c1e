// Keys a request body repeats. Go's decoders keep the last value, as nlohmann::json does, but
// kube-apiserver's strict decoding names every repeat (fieldValidation=Strict: 400, Warn: one
// Warning each, Ignore: silence).
//
//   DuplicateJsonFields(R"({"spec":{"paused":true,"paused":false}})")  // {"spec.paused"}
//   DuplicateYamlKeys(doc)  // {"line 14: key \"paused\" already set in map"}
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

// The paths of the repeated keys of a JSON text, in document order ("metadata.name",
// "spec.template.spec.containers[0].imagePullPolicy"). Empty for text that does not parse.
std::vector<std::string> DuplicateJsonFields(std::string_view text);

// The repeated keys of a YAML document as Go's YAML decoder words them: "line 5: key \"name\"
// already set in map" (1-based lines), in document order.
std::vector<std::string> DuplicateYamlKeys(const YAML::Node& doc);

}  // namespace kubedouble::fake
