#include "authn.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <strings.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "util.h"

namespace kubedouble::fake {

namespace {
void AddAuthenticated(UserInfo& u) {
  if (!u.InGroup(kGroupAuthenticated)) u.groups.push_back(kGroupAuthenticated);
}

constexpr std::string_view kSpaces = " \t\r\n\f\v";  // what base::Trim trims

// The token of an Authorization header, read as kube-apiserver reads it: the header trimmed of
// spaces is split at its first two spaces; the first part must be "bearer" in any case, and the
// token is the second part ("Bearer t x" carries "t"). "" when there is none.
// One difference, kept on purpose: where kube-apiserver finds an empty second part because more
// than one space follows "Bearer", the next word is taken and `padded` is set. The seed page's own
// command builds such a header (`kubectl describe secret` pads the token with spaces, and the
// page strips only tabs), and every command on that page must work; the answer then carries a
// Warning saying that kube-apiserver would not authenticate it.
std::string BearerToken(const std::string& header, bool& padded) {
  padded = false;
  const std::string_view whole = header;
  const size_t first = whole.find_first_not_of(kSpaces);
  if (first == std::string_view::npos) return "";
  const std::string_view auth = whole.substr(first, whole.find_last_not_of(kSpaces) - first + 1);
  auto space = auth.find(' ');
  if (space == std::string_view::npos) return "";
  if (space != 6 || strncasecmp(auth.data(), "bearer", 6) != 0) return "";
  auto start = space + 1;
  if (start < auth.size() && auth[start] == ' ') {
    start = auth.find_first_not_of(' ', start);
    if (start == std::string_view::npos) return "";
    padded = true;
  }
  auto end = auth.find(' ', start);
  return std::string(auth.substr(start, end == std::string_view::npos ? end : end - start));
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
      std::string der;
      int len = i2d_X509(peer, nullptr);
      if (len > 0) {
        der.resize(static_cast<size_t>(len));
        auto* out = reinterpret_cast<unsigned char*>(der.data());
        i2d_X509(peer, &out);
      }
      std::optional<VerifiedCert> known;
      {
        std::lock_guard lock(verified_mu_);
        auto it = verified_.find(der);
        if (it != verified_.end()) known = it->second;
      }
      auto now = std::chrono::system_clock::now();
      if (!known) {
        X509_up_ref(peer);
        certs::Certificate cert(peer);
        auto info = certs::Inspect(cert);
        r.cert_subject = info.subject;
        certs::VerifyOptions vo;
        vo.purpose = "client";
        vo.at = now;
        if (certs::Verify(cert, {client_ca_}, vo).ok() && !info.common_name.empty()) {
          auto ca = certs::Inspect(client_ca_);
          known = VerifiedCert{info.subject, info.common_name, info.organizations,
                               std::max(info.not_before, ca.not_before),
                               std::min(info.not_after, ca.not_after)};
          std::lock_guard lock(verified_mu_);
          if (verified_.size() >= 4096) verified_.clear();  // bounded; a miss re-verifies
          verified_.emplace(der, *known);
        }
      }
      if (known && now >= known->not_before && now <= known->not_after) {
        r.cert_subject = known->subject;
        r.authenticated = true;
        r.method = "x509";
        r.user.name = known->common_name;
        r.user.groups = known->organizations;
        AddAuthenticated(r.user);
        return r;
      }
      if (known) r.cert_subject = known->subject;
      failed = true;
    }
  }

  // 2. Bearer token: static tokens, then service-account JWTs.
  bool padded = false;
  std::string token = BearerToken(authorization, padded);
  if (padded) {
    r.warning =
        "the Authorization header has more than one space after \"Bearer\": kube-apiserver "
        "does not authenticate such a header";
  }
  if (!token.empty()) {
    auto it = tokens_.find(token);
    if (it != tokens_.end()) {
      r.authenticated = true;
      r.method = "token";
      r.user.name = it->second.user;
      r.user.uid = it->second.uid;
      r.user.groups.reserve(it->second.groups.size() + 1);  // AddAuthenticated's without a copy
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
