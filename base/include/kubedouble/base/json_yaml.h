// JSON as the YAML kube-apiserver writes (`Accept: application/yaml`): sigs.k8s.io/yaml, i.e.
// go-yaml's block style. Keys in the JSON object's order (nlohmann sorts them, as go-yaml does);
// a list inside a mapping at the key's own indentation (`items:` then `- name: a`); `{}` and `[]`
// for empty ones; two spaces a level.
//
// Strings are plain when go-yaml would write them plain, and quoted when a reader would take them
// for something else or they cannot stand plain: `"true"`, `"123"`, `"1.5"`, `"null"`, `""`,
// `"2024-01-02T03:04:05Z"` (timestamps, YAML 1.1 booleans such as `"on"`, base-60 numbers) in
// double quotes; a leading indicator (`'*x'`, `'- a'`, `'#x'`), a `": "` or `" #"` inside, or
// leading or trailing spaces in single quotes; control characters, tabs and invalid
// combinations double-quoted with escapes; multi-line text as a literal block (`|-`, `|`, `|+`
// by its trailing line ends).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace kubedouble::base {

// The YAML document for `value`, ending with a line end.
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace kubedouble::base
