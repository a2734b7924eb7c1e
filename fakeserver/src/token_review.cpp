// TokenReview (authentication.k8s.io/v1): a webhook-style "who is this bearer token?", answered
// from the same authenticators as requests — static tokens, then service-account JWTs (legacy
// secret tokens and TokenRequest tokens) — for the review's spec.audiences (the API server's own
// when none are given). A token that is unknown, expired, revoked or meant for other audiences
// is answered with `authenticated: false` and kube-apiserver's error text; the review itself
// still succeeds (201).
#include <algorithm>

#include "reviews.h"
#include "status.h"
#include "token_review.h"

namespace kubedouble::fake {

namespace {
// What kube-apiserver's bearer-token authenticator says of a token nobody recognized.
constexpr char kInvalidBearerToken[] = "invalid bearer token";

std::vector<std::string> Intersection(const std::vector<std::string>& a,
                                      const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) out.push_back(x);
  }
  return out;
}
}  // namespace

TokenReviewResult Authenticator::ReviewToken(const std::string& token,
                                             std::vector<std::string> audiences) const {
  TokenReviewResult r;
  if (audiences.empty()) audiences = ApiAudiences();
  // Static tokens know no audiences: they are good for the API server's own only.
  if (auto it = tokens_.find(token); it != tokens_.end()) {
    r.audiences = Intersection(ApiAudiences(), audiences);
    if (!r.audiences.empty()) {
      r.authenticated = true;
      r.user.name = it->second.user;
      r.user.uid = it->second.uid;
      r.user.groups = it->second.groups;
      if (!r.user.InGroup(kGroupAuthenticated)) r.user.groups.push_back(kGroupAuthenticated);
      return r;
    }
    r.audiences.clear();
  }
  if (issuer_ != nullptr) {
    TokenVerdict v =
        issuer_->Check(token, now_ ? now_() : std::chrono::system_clock::now(), audiences);
    if (v.claims && sa_valid_ && !sa_valid_(*v.claims)) {
      v.error = "service account token has been invalidated";
      v.claims.reset();
    }
    if (v.claims) {
      r.authenticated = true;
      r.user = ServiceAccountUser(*v.claims);
      r.audiences = v.audiences;
      return r;
    }
    if (!v.error.empty()) {
      r.error = "[" + std::string(kInvalidBearerToken) + ", " + v.error + "]";
      return r;
    }
  }
  r.error = kInvalidBearerToken;
  return r;
}

void ServeTokenReview(const Authenticator& authn, Call& call, json review) {
  json spec = review.value("spec", json::object());
  if (!spec.is_object()) throw StatusError::BadRequest("spec must be an object");
  auto token = spec.find("token");
  if (token == spec.end() || !token->is_string() || token->get<std::string>().empty()) {
    throw StatusError::BadRequest("token is required for TokenReview in authentication");
  }
  std::vector<std::string> audiences;
  if (auto a = spec.find("audiences"); a != spec.end() && !a->is_null()) {
    if (!a->is_array()) throw StatusError::BadRequest("spec.audiences must be a list of strings");
    for (const auto& one : *a) {
      if (!one.is_string()) {
        throw StatusError::BadRequest("spec.audiences must be a list of strings");
      }
      audiences.push_back(one.get<std::string>());
    }
  }
  TokenReviewResult result = authn.ReviewToken(token->get<std::string>(), audiences);
  json status = {{"authenticated", result.authenticated}};
  if (result.authenticated) {
    status["user"] = UserInfoJson(result.user);
    status["audiences"] = result.audiences;
  } else {
    status["user"] = json::object();
    if (!result.error.empty()) status["error"] = result.error;
  }
  review["metadata"] = {{"creationTimestamp", nullptr}};
  review["spec"] = spec;
  review["status"] = std::move(status);
  SendJson(call.res, 201, review);
}

}  // namespace kubedouble::fake
