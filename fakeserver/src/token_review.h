// TokenReview's handler (token_review.cpp), built from the one thing it asks: the authenticator.
#pragma once

#include <nlohmann/json.hpp>

#include "authn.h"
#include "call.h"

namespace kubedouble::fake {

// Answers `review` (the parsed TokenReview body) with `authn`'s verdict on its spec.token for its
// spec.audiences: 201, `authenticated: false` with kube-apiserver's error text for a token
// nobody recognizes; 400 for a spec without a token or with audiences that are not strings.
void ServeTokenReview(const Authenticator& authn, Call& call, nlohmann::json review);

}  // namespace kubedouble::fake
