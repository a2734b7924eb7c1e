// JSON as YAML that reads back as the same JSON: what `kubedouble get -o yaml` prints and
// `kubedouble snapshot save` writes, for kubectl (go-yaml, YAML 1.1 rules) and for kubedouble's
// own loader (YAML 1.2 core schema) alike.
//
// A string is written plain only when no YAML reader could take it for anything else: it starts
// with a letter, holds only letters, digits and `._/-`, and is not one of YAML 1.1's words for
// booleans and null (y, n, yes, no, on, off, true, false, null, in any case). Every other string
// — "true", "1.0", "null", "0x10", "0755", "2024-01-01", "", "a: b", text with spaces or new
// lines — is double-quoted. Map keys follow the same rule. Numbers, booleans and null are written
// as JSON writes them; empty objects and arrays as {} and [].
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace kubedouble::base {

// True when `s` may be written as a plain YAML scalar (the rule above).
bool IsPlainSafe(std::string_view s);

// `value` as one YAML document (block style), without a `---` line, ending in a new line.
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace kubedouble::base
