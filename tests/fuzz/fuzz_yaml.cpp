// YAML as request bodies and files bring it: the one loader (base/) and YAML->JSON. A document is
// JSON or a YAML::Exception, never a crash; and what the aliases expand to stays within the
// loader's node cap, so an 11-byte loop or a 300-byte "billion laughs" cannot take the memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kubedouble/base/yaml_json.h"

namespace {
size_t Nodes(const nlohmann::json& j) {
  size_t n = 1;
  if (j.is_object()) n += j.size();  // the keys
  if (j.is_structured())
    for (const auto& item : j) n += Nodes(item);
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  const kubedouble::base::YamlLimits limits{.max_nodes = 200'000, .max_alias_bytes = 1u << 20};
  try {
    for (const auto& doc : kubedouble::base::LoadAllYaml(text, limits)) {
      nlohmann::json j = kubedouble::base::YamlToJson(doc);
      // Merge keys only copy what the aliases already counted; +1 for a document's root.
      if (Nodes(j) > limits.max_nodes + 1) __builtin_trap();
      j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  } catch (const YAML::Exception&) {
  }
  try {
    kubedouble::base::LoadYamlAsJson(text, limits);
  } catch (const YAML::Exception&) {
  }
  return 0;
}
