// Objects for ServerOptions::fixtures and ::policy, and reading them from the files that
// `kubedouble serve --fixtures` and `--policy` take.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kubedouble::fake {

// An object to store at start, and where it came from: an error about it (a kind the server
// does not serve, no metadata.name, a Role that does not validate) starts with `source`.
struct SourcedObject {
  nlohmann::json object;  // a `kind: List` is unpacked; a namespaced one without one: default
  std::string source = "an object of the server's options";
};

// The objects of a YAML or JSON file (multi-document; empty documents skipped) or of every
// *.yaml, *.yml and *.json file in a folder, in name order, each with the source "fixtures
// FILE: document N". Throws std::runtime_error naming the file (and line) when it is missing,
// unreadable or not YAML.
std::vector<SourcedObject> LoadFixtureObjects(const std::filesystem::path& path);

// The RBAC objects of a policy given as JSON (the forms ParsePolicy reads: a Role, a List, the
// old `rules:` map ...), each with `source`. Throws std::runtime_error starting with `source`.
std::vector<SourcedObject> PolicyObjects(const nlohmann::json& policy, const std::string& source,
                                         std::string* deprecation = nullptr);
// The RBAC objects of a --policy file (Roles, ClusterRoles, bindings, or the old `rules:` map,
// converted), each with the source "policy FILE". `deprecation` (when not null)
// receives a note when the old format was read. Throws std::runtime_error naming the file.
std::vector<SourcedObject> LoadPolicyObjects(const std::filesystem::path& path,
                                             std::string* deprecation = nullptr);

}  // namespace kubedouble::fake
