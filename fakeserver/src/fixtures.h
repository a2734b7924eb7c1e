// The world a fresh fake cluster shows, and storing more of it (objects_file.h reads files).
#pragma once

#include <kubedouble/fakeserver/store.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sa_tokens.h"

namespace kubedouble::fake {

// Namespaces default, kube-system and kube-public; a handful of pods with IPs, nodes and phases;
// the default service account in every namespace; in default a legacy token secret
// (default-token-XXXXX, type kubernetes.io/service-account-token, with a signed token, ca.crt and
// namespace); the kube-root-ca.crt config map in every namespace.
void LoadDefaultFixtures(Store& store, const TokenIssuer& issuer, const std::string& ca_pem);

// Adds or replaces one object (a `kind: List` is unpacked; a namespaced object without a
// namespace goes to default). Throws std::runtime_error starting with `where`.
void PutFixture(Store& store, nlohmann::json object, const std::string& where);

// Adds or replaces objects the server made itself (the bootstrap policy), each of a served kind
// with its metadata complete, unchecked (Store::PutOwn). Throws std::runtime_error starting with
// `where` for a kind not served.
void PutOwnObjects(Store& store, std::vector<nlohmann::json> objects, const std::string& where);

// Creates `namespace`'s default service account and kube-root-ca.crt config map when missing.
void EnsureNamespaceDefaults(Store& store, const std::string& ns, const std::string& ca_pem);

}  // namespace kubedouble::fake
