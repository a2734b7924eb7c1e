// The RBAC objects a server starts with: the bootstrap policy of a 1.32 API server, and the
// objects of a --policy file.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kubedouble::fake {

// The ClusterRoles, ClusterRoleBindings, Roles and RoleBindings a fresh 1.32 server has
// (fakeserver/data/bootstrap-rbac.json: cluster-admin, admin, edit, view, system:discovery,
// system:basic-user, system:public-info-viewer, ...), followed by kubedouble's own
// `kubedouble:discovery` ClusterRole and its binding to system:authenticated and
// system:unauthenticated: GET of /api*, /apis*, /openapi*, /version, /healthz*, /livez* and
// /readyz* for everyone, as kubedouble has always answered (a real server lets anonymous
// requests read only /healthz, /livez, /readyz and /version).
std::vector<nlohmann::json> BootstrapRbacObjects();

// A --policy file's text (LoadPolicyObjects, objects_file.h, reads the file): YAML or JSON
// documents of kind Role, ClusterRole, RoleBinding, ClusterRoleBinding (or a List of them). The old
// format — a map with a `rules:` list of {subjects, verbs, apiGroups, resources, resourceNames,
// namespaces, nonResourceURLs} — is still read: each rule becomes a ClusterRole
// `kubedouble:policy:rule-N` bound by a ClusterRoleBinding of the same name (no namespaces, or "*")
// or by a RoleBinding in each namespace listed, and `deprecation` (when not null) receives a note
// saying so. Throws std::runtime_error naming the source, the document or rule, and what is wrong.
std::vector<nlohmann::json> ParsePolicy(const std::string& text, const std::string& source,
                                        std::string* deprecation = nullptr);

}  // namespace kubedouble::fake
