// Compact JSON text, as every answer and stored object is sent: byte for byte what nlohmann's
// value.dump(-1, ' ', false, json::error_handler_t::replace) writes (no spaces, keys in the
// object's order, non-ASCII UTF-8 kept, invalid UTF-8 replaced by U+FFFD), but faster: strings
// of plain printable ASCII, which make up almost all of a Kubernetes object, are copied as they
// are instead of going through the serializer's UTF-8 decoder byte by byte.
//
//   base::CompactJson(json{{"a", {1, "x"}}})   // {"a":[1,"x"]}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace kubedouble::base {

std::string CompactJson(const nlohmann::json& value);
// CompactJson(value) appended to `out`.
void AppendCompactJson(std::string& out, const nlohmann::json& value);
// A string as CompactJson writes it (quoted, escaped) appended to `out`.
void AppendCompactJsonString(std::string& out, const std::string& s);

}  // namespace kubedouble::base
