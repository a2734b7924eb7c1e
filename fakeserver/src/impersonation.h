// Impersonation, as kube-apiserver does it between authentication and authorization.
//
// A caller asks to act as someone else with headers:
//   Impersonate-User: jane                      the user (a service-account user name
//                                                "system:serviceaccount:NS:NAME" names a
//                                                service account)
//   Impersonate-Group: devs                     repeatable, one group each
//   Impersonate-Uid: 1234
//   Impersonate-Extra-<key>: value              repeatable; the key is lower-cased and
//                                                percent-decoded
//                                                ("Impersonate-Extra-Acme.com%2fteam")
// Groups, uid and extras need a user. Each part is checked for the caller with the `impersonate`
// verb: users (cluster scope, by name), serviceaccounts (in the account's namespace, by name),
// groups, uids.authentication.k8s.io and userextras.authentication.k8s.io/<key> (by value). The
// first part denied answers 403 in the API server's words:
//   users "jane" is forbidden: User "bob" cannot impersonate resource "users" in API group ""
//   at the cluster scope
// When every part is allowed, the impersonated identity replaces the caller's for the rest of
// the request: it is what is authorized, what `kubectl auth whoami` answers and what the journal
// records (the caller beside it). The identity gets system:authenticated unless the groups name
// system:authenticated or system:unauthenticated (system:anonymous gets system:unauthenticated);
// a service account impersonated without groups gets system:serviceaccounts and
// system:serviceaccounts:NS.
#pragma once

#include <httplib.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "authz.h"
#include "identity.h"

namespace kubedouble::fake {

struct ImpersonationRequest {
  std::string user;
  std::vector<std::string> groups;  // in header order
  std::string uid;
  std::map<std::string, std::vector<std::string>> extra;  // lower-cased, percent-decoded keys
};

// The impersonation a request's headers ask for; nullopt when it carries none. Throws a 400
// StatusError naming the headers when groups, a uid or extras come without Impersonate-User.
// (kube-apiserver answers that case with a 500; a caller's mistake is a 400 here.)
std::optional<ImpersonationRequest> ParseImpersonation(const httplib::Headers& headers);

// The checks `caller` must pass to impersonate `wanted`, in the order they are made: the user
// (or service account), each group, each extra value (keys in order), the uid.
std::vector<Attributes> ImpersonationChecks(const UserInfo& caller,
                                            const ImpersonationRequest& wanted);

// The identity the request acts as, once every check passes `authorize`. Throws a 403
// StatusError (the API server's Forbidden Status) for the first check it refuses.
UserInfo Impersonate(const UserInfo& caller, const ImpersonationRequest& wanted,
                     const std::function<bool(const Attributes&)>& authorize);

// "system:serviceaccount:NS:NAME" → {NS, NAME} when NS is a DNS label and NAME a DNS
// subdomain, as kube-apiserver splits such names; nullopt for any other user name.
std::optional<std::pair<std::string, std::string>> SplitServiceAccountUser(const std::string& user);

}  // namespace kubedouble::fake
