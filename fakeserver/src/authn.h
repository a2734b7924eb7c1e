// Authentication in the order of a real API server: a client certificate verified against the
// cluster CA (user = CN, groups = O), then a bearer token (static tokens, then service-account
// JWTs, which covers both legacy secret tokens and TokenRequest tokens), then — only when
// enabled — anonymous. A credential that is present but invalid (bad certificate, unknown or
// expired token) fails the request with 401 even when anonymous requests are on.
#pragma once

#include <kubedouble/certs/certs.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "identity.h"
#include "kubedouble/fakeserver/static_tokens.h"
#include "sa_tokens.h"

typedef struct ssl_st SSL;

namespace kubedouble::fake {

struct AuthnResult {
  bool authenticated = false;
  UserInfo user;
  std::string method;  // "x509", "token", "serviceaccount", "anonymous", "" (rejected)
  std::string cert_subject;
  // Said to the client in a Warning header: the credential was taken where kube-apiserver
  // would not have taken it (authn.cpp, BearerToken).
  std::string warning;
};

// A TokenReview's answer: who a bearer token is, for the audiences the review asks about.
struct TokenReviewResult {
  bool authenticated = false;
  UserInfo user;
  std::vector<std::string> audiences;  // the token's audiences among those asked about
  std::string error;                   // kube-apiserver's words when not authenticated
};

class Authenticator {
 public:
  // `sa_valid` tells whether a verified service-account token still names an existing service
  // account (and, for legacy tokens, secret) — deleting one revokes its tokens.
  Authenticator(certs::Certificate client_ca, std::vector<StaticToken> tokens,
                const TokenIssuer* issuer, std::function<bool(const TokenClaims&)> sa_valid,
                bool anonymous);

  // `ssl` may be null (no TLS); `authorization` is the Authorization header ("" if absent).
  AuthnResult Authenticate(const SSL* ssl, const std::string& authorization) const;

  // What a TokenReview answers for `token` (token_review.cpp): static tokens and
  // service-account JWTs (legacy and bound), for `audiences` (the API server's own when empty).
  TokenReviewResult ReviewToken(const std::string& token, std::vector<std::string> audiences) const;

  // The identity a service-account token gives.
  static UserInfo ServiceAccountUser(const TokenClaims& claims);

  // The time token expiry is checked against (the server's clock); the system clock if unset.
  void set_now(std::function<std::chrono::system_clock::time_point()> now) {
    now_ = std::move(now);
  }

 private:
  certs::Certificate client_ca_;
  std::unordered_map<std::string, StaticToken> tokens_;
  const TokenIssuer* issuer_;
  std::function<bool(const TokenClaims&)> sa_valid_;
  bool anonymous_;
  std::function<std::chrono::system_clock::time_point()> now_;

  // Client certificates whose chain was verified, by DER: their identity and the window in
  // which the chain is valid (leaf and CA). Verifying an ECDSA chain on every request costs
  // more than the rest of the request; the dates are still checked on every request.
  struct VerifiedCert {
    std::string subject;
    std::string common_name;
    std::vector<std::string> organizations;
    certs::TimePoint not_before;
    certs::TimePoint not_after;
  };
  mutable std::mutex verified_mu_;
  mutable std::unordered_map<std::string, VerifiedCert> verified_;
};

}  // namespace kubedouble::fake
