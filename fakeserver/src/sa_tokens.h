// Service-account tokens: JWTs signed with the bundle's service-account key (ES256 for an
// ECDSA key, RS256 for RSA), shaped like the ones kube-apiserver issues.
//
// Legacy secret tokens (what the token controller put into kubernetes.io/service-account-token
// secrets): iss "kubernetes/serviceaccount", no exp, the kubernetes.io/serviceaccount/* claims.
// Bound tokens (TokenRequest, projected volumes): iss kIssuer, aud, exp, nbf, iat, jti and the
// "kubernetes.io" claim {namespace, serviceaccount{name,uid}}.
#pragma once

#include <kubedouble/certs/certs.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kubedouble::fake {

inline constexpr char kIssuer[] = "https://kubernetes.default.svc.cluster.local";
inline constexpr char kLegacyIssuer[] = "kubernetes/serviceaccount";
// The audiences the API server accepts (a bound token must name one of them).
inline const std::vector<std::string>& ApiAudiences() {
  static const std::vector<std::string> kAudiences = {kIssuer};
  return kAudiences;
}

struct ServiceAccountRef {
  std::string ns;
  std::string name;
  std::string uid;
};

struct TokenClaims {
  ServiceAccountRef sa;
  bool legacy = false;
  std::string secret_name;  // legacy tokens only
  std::string jti;          // bound tokens only
  std::vector<std::string> audiences;
  std::optional<std::chrono::system_clock::time_point> expires;
};

// What this server makes of a token, for the audiences it is asked about.
struct TokenVerdict {
  std::optional<TokenClaims> claims;   // set when the token is valid
  std::vector<std::string> audiences;  // the token's audiences among those asked about
  // Why a token of this server is refused, in kube-apiserver's words ("service account token
  // has expired", "token audiences [...] is invalid for the target audiences [...]"); "" when it
  // is valid or not a token this server issued at all.
  std::string error;
};

class TokenIssuer {
 public:
  explicit TokenIssuer(certs::Key key);

  std::string IssueLegacy(const ServiceAccountRef& sa, const std::string& secret_name) const;
  std::string IssueBound(const ServiceAccountRef& sa, const std::vector<std::string>& audiences,
                         std::chrono::seconds ttl, std::chrono::system_clock::time_point now,
                         std::string* jti = nullptr) const;  // jti: the token's ID

  // The claims of a token this issuer signed and that is valid at `now` for the API server
  // (signature, algorithm, issuer, audience, nbf/exp); nullopt otherwise.
  std::optional<TokenClaims> Verify(const std::string& token,
                                    std::chrono::system_clock::time_point now) const;
  // The same checks for a token meant for `audiences` (a TokenReview's spec.audiences): valid
  // when its audiences (a legacy token's: ApiAudiences()) and `audiences` share one.
  TokenVerdict Check(const std::string& token, std::chrono::system_clock::time_point now,
                     const std::vector<std::string>& audiences) const;

 private:
  std::string Sign(const std::string& claims_json) const;
  // The claims (JSON text) of a token whose signature and algorithm check out, or "".
  std::string VerifiedClaims(const std::string& token) const;

  certs::Key key_;
  std::string public_pem_;
  int alg_;  // jwt_alg_t
  std::string kid_;
  // Tokens whose signature was checked, with their claims: libjwt decodes the PEM public key for
  // every check (an OpenSSL decoder context, over 1 ms). Time-dependent checks are not cached.
  mutable std::mutex verified_mu_;
  mutable std::unordered_map<std::string, std::string> verified_;
};

}  // namespace kubedouble::fake
