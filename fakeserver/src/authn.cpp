#include "authn.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>

#include "util.h"

namespace kubedouble::fake {

namespace {
void AddAuthenticated(UserInfo& u) {
  if (!u.InGroup(kGroupAuthenticated)) u.groups.push_back(kGroupAuthenticated);
}

// The token of "Bearer <token>" (scheme case-insensitive); "" when absent or another scheme.
std::string BearerToken(const std::string& header) {
  if (header.size() < 7) return "";
  std::string scheme = header.substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "bearer ") return "";
  return util::Trim(header.substr(7));
}
}  // namespace

Authenticator::Authenticator(certs::Certificate client_ca, std::vector<StaticToken> tokens,
                             const TokenIssuer* issuer,
                             std::function<bool(const TokenClaims&)> sa_valid, bool anonymous)
    : client_ca_(std::move(client_ca)),
      issuer_(issuer),
      sa_valid_(std::move(sa_valid)),
      anonymous_(anonymous) {
  for (auto& t : tokens) tokens_.emplace(t.token, std::move(t));
}

UserInfo Authenticator::ServiceAccountUser(const TokenClaims& claims) {
  UserInfo u;
  u.name = "system:serviceaccount:" + claims.sa.ns + ":" + claims.sa.name;
  u.uid = claims.sa.uid;
  u.groups = {kGroupServiceAccounts, std::string(kGroupServiceAccounts) + ":" + claims.sa.ns,
              kGroupAuthenticated};
  if (!claims.jti.empty()) {
    u.extra["authentication.kubernetes.io/credential-id"] = {"JTI=" + claims.jti};
  }
  return u;
}

AuthnResult Authenticator::Authenticate(const SSL* ssl, const std::string& authorization) const {
  AuthnResult r;
  bool failed = false;  // a credential was presented and rejected

  // 1. Client certificate.
  if (ssl != nullptr) {
    X509* peer = SSL_get0_peer_certificate(ssl);
    if (peer != nullptr) {
      X509_up_ref(peer);
      certs::Certificate cert(peer);
      auto info = certs::Inspect(cert);
      r.cert_subject = info.subject;
      certs::VerifyOptions vo;
      vo.purpose = "client";
      if (certs::Verify(cert, {client_ca_}, vo).ok() && !info.common_name.empty()) {
        r.authenticated = true;
        r.method = "x509";
        r.user.name = info.common_name;
        r.user.groups = info.organizations;
        AddAuthenticated(r.user);
        return r;
      }
      failed = true;
    }
  }

  // 2. Bearer token: static tokens, then service-account JWTs.
  std::string token = BearerToken(authorization);
  if (!token.empty()) {
    auto it = tokens_.find(token);
    if (it != tokens_.end()) {
      r.authenticated = true;
      r.method = "token";
      r.user.name = it->second.user;
      r.user.uid = it->second.uid;
      r.user.groups = it->second.groups;
      AddAuthenticated(r.user);
      return r;
    }
    if (issuer_ != nullptr) {
      auto claims = issuer_->Verify(token, now_ ? now_() : std::chrono::system_clock::now());
      if (claims && (!sa_valid_ || sa_valid_(*claims))) {
        r.authenticated = true;
        r.method = "serviceaccount";
        r.user = ServiceAccountUser(*claims);
        return r;
      }
    }
    failed = true;
  }

  // 3. Anonymous.
  if (!failed && anonymous_) {
    r.authenticated = true;
    r.method = "anonymous";
    r.user.name = kUserAnonymous;
    r.user.groups = {kGroupUnauthenticated};
  }
  return r;
}

}  // namespace kubedouble::fake
