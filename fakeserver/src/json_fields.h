// Reading fields of objects that may lack them (a pod written by a client, an Endpoints without
// subsets): a missing field, or a value of another type, reads as null or "".
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace kubedouble::fake {

// object[key], or null when `object` is not an object or has no such key.
inline const nlohmann::json& Field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// object[key] when it is a string, else "".
inline std::string Text(const nlohmann::json& object, const char* key) {
  const nlohmann::json& v = Field(object, key);
  return v.is_string() ? v.get<std::string>() : "";
}

}  // namespace kubedouble::fake
