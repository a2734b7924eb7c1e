// The reviews the server answers itself (reviews.cpp), each built from exactly what it reads:
// SelfSubjectReview from the clock; the access and rules reviews from the authorizer and the
// clock; TokenRequest from the store, the token issuer and the clock.
#pragma once

#include "authz.h"
#include "call.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/store.h"
#include "sa_tokens.h"

namespace kubedouble::fake {

// A UserInfo as the reviews write it: {"username","uid","groups","extra"}.
nlohmann::json UserInfoJson(const UserInfo& user);

// POST selfsubjectreviews (kubectl auth whoami): the caller as the server sees it.
void ServeSelfSubjectReview(const ServerClock& clock, Call& call);

// The authorization questions, answered from the same RBAC state as the requests themselves.
struct AuthorizationReviews {
  const Authorizer& authz;
  const ServerClock& clock;  // the answers' creationTimestamp

  void SelfSubjectAccessReview(Call& call) const;  // kubectl auth can-i
  void SubjectAccessReview(Call& call) const;      // and localsubjectaccessreviews
  void SelfSubjectRulesReview(Call& call) const;   // kubectl auth can-i --list
};

// POST serviceaccounts/NAME/token (kubectl create token): a bound token for the service account
// the request names (`res`: serviceaccounts), signed by `issuer`; 404 when the account does not
// exist in `store`.
void ServeTokenRequest(const Store& store, const TokenIssuer& issuer, const ServerClock& clock,
                       Call& call, const ResourceInfo& res);

}  // namespace kubedouble::fake
