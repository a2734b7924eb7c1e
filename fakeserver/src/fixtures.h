// The world a fresh fake cluster shows, and loading more of it from files.
#pragma once

#include <kubedouble/fakeserver/store.h>

#include <filesystem>
#include <string>

#include "sa_tokens.h"

namespace kubedouble::fake {

// Namespaces default, kube-system and kube-public; a handful of pods with IPs, nodes and phases;
// the default service account in every namespace; in default a legacy token secret
// (default-token-XXXXX, type kubernetes.io/service-account-token, with a signed token, ca.crt and
// namespace); the kube-root-ca.crt config map in every namespace.
void LoadDefaultFixtures(Store& store, const TokenIssuer& issuer, const std::string& ca_pem);

// Adds or replaces the objects of a YAML or JSON file (multi-document; `kind: List` documents
// are unpacked) or of every *.yaml, *.yml and *.json file in a folder, in name order. Throws
// std::runtime_error naming the file, the document number and what is wrong.
void LoadFixturePath(Store& store, const std::filesystem::path& path);

// Adds or replaces one object (a `kind: List` is unpacked; a namespaced object without a
// namespace goes to default). Throws std::runtime_error starting with `where`.
void PutFixture(Store& store, nlohmann::json object, const std::string& where);

// Creates `namespace`'s default service account and kube-root-ca.crt config map when missing.
void EnsureNamespaceDefaults(Store& store, const std::string& ns, const std::string& ca_pem);

}  // namespace kubedouble::fake
