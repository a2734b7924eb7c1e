#include "sa_tokens.h"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "kubedouble/base/encoding.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
using json = nlohmann::json;
using Clock = std::chrono::system_clock;

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

int64_t Unix(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
}  // namespace

TokenIssuer::TokenIssuer(certs::Key key)
    : key_(std::move(key)),
      public_pem_(key_.PublicPem()),
      alg_(key_.type() == certs::KeyType::kEcdsaP256 ? JWT_ALG_ES256 : JWT_ALG_RS256),
      kid_(util::Sha256Hex(public_pem_).substr(0, 43)) {}

// Signs with the key already in memory: libjwt 1.10 takes the key as PEM text and decodes it
// for every token (an OpenSSL decoder context, over 1 ms each). The signature is the JWS one
// (RFC 7515): RS256 is PKCS#1 v1.5 over SHA-256, ES256 the raw 64-byte r||s. Tokens are checked
// by libjwt in Verify, so every token issued here is also verified by an independent
// implementation in the tests.
std::string TokenIssuer::Sign(const std::string& claims_json) const {
  json header = {{"alg", alg_ == JWT_ALG_ES256 ? "ES256" : "RS256"}, {"kid", kid_}};
  std::string input =
      base::Base64UrlEncode(header.dump()) + "." + base::Base64UrlEncode(claims_json);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    throw std::runtime_error("cannot sign a service-account token");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    throw std::runtime_error("cannot sign a service-account token");
  }
  sig.resize(len);
  if (alg_ == JWT_ALG_ES256) {  // DER ECDSA-Sig-Value -> r||s, 32 bytes each
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())), ECDSA_SIG_free);
    unsigned char raw[64];
    if (!ecdsa || BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), raw, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), raw + 32, 32) != 32) {
      throw std::runtime_error("cannot encode a service-account token's signature");
    }
    sig.assign(reinterpret_cast<char*>(raw), sizeof raw);
  }
  return input + "." + base::Base64UrlEncode(sig);
}

std::string TokenIssuer::IssueLegacy(const ServiceAccountRef& sa,
                                     const std::string& secret_name) const {
  json claims = {
      {"iss", kLegacyIssuer},
      {"kubernetes.io/serviceaccount/namespace", sa.ns},
      {"kubernetes.io/serviceaccount/secret.name", secret_name},
      {"kubernetes.io/serviceaccount/service-account.name", sa.name},
      {"kubernetes.io/serviceaccount/service-account.uid", sa.uid},
      {"sub", "system:serviceaccount:" + sa.ns + ":" + sa.name},
  };
  return Sign(claims.dump());
}

std::string TokenIssuer::IssueBound(const ServiceAccountRef& sa,
                                    const std::vector<std::string>& audiences,
                                    std::chrono::seconds ttl, Clock::time_point now,
                                    std::string* jti) const {
  int64_t iat = Unix(now);
  std::string id = util::RandomUuid();
  if (jti != nullptr) *jti = id;
  json claims = {
      {"aud", audiences},
      {"exp", iat + ttl.count()},
      {"iat", iat},
      {"iss", kIssuer},
      {"jti", id},
      {"kubernetes.io",
       {{"namespace", sa.ns}, {"serviceaccount", {{"name", sa.name}, {"uid", sa.uid}}}}},
      {"nbf", iat},
      {"sub", "system:serviceaccount:" + sa.ns + ":" + sa.name},
  };
  return Sign(claims.dump());
}

std::string TokenIssuer::VerifiedClaims(const std::string& token) const {
  if (std::count(token.begin(), token.end(), '.') != 2) return "";
  {
    std::lock_guard lock(verified_mu_);
    auto it = verified_.find(token);
    if (it != verified_.end()) return it->second;
  }
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(public_pem_.data()),
                 static_cast<int>(public_pem_.size())) != 0 ||
      raw == nullptr) {
    return "";
  }
  JwtPtr jwt(raw);
  // Only the algorithm of our key: never HMAC with the public key as the secret, never "none".
  if (jwt_get_alg(jwt.get()) != static_cast<jwt_alg_t>(alg_)) return "";
  char* grants = jwt_get_grants_json(jwt.get(), nullptr);
  if (grants == nullptr) return "";
  std::string text(grants);
  std::free(grants);
  std::lock_guard lock(verified_mu_);
  if (verified_.size() >= 10000) verified_.clear();  // bounded; a miss only costs a re-check
  verified_.emplace(token, text);
  return text;
}

std::optional<TokenClaims> TokenIssuer::Verify(const std::string& token,
                                               Clock::time_point now) const {
  return Check(token, now, ApiAudiences()).claims;
}

TokenVerdict TokenIssuer::Check(const std::string& token, Clock::time_point now,
                                const std::vector<std::string>& audiences) const {
  TokenVerdict verdict;
  std::string grants = VerifiedClaims(token);
  if (grants.empty()) return verdict;
  json c = json::parse(grants, nullptr, false);
  if (!c.is_object()) return verdict;

  auto str = [&](const json& obj, const char* key) -> std::string {
    auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
  };
  auto fail = [&](std::string why) {
    verdict.error = std::move(why);
    return verdict;
  };
  TokenClaims out;
  std::string iss = str(c, "iss");
  if (iss == kLegacyIssuer) {
    out.legacy = true;
    out.sa.ns = str(c, "kubernetes.io/serviceaccount/namespace");
    out.sa.name = str(c, "kubernetes.io/serviceaccount/service-account.name");
    out.sa.uid = str(c, "kubernetes.io/serviceaccount/service-account.uid");
    out.secret_name = str(c, "kubernetes.io/serviceaccount/secret.name");
  } else if (iss == kIssuer) {
    auto k = c.find("kubernetes.io");
    if (k == c.end() || !k->is_object()) return fail("service account token claims are invalid");
    out.sa.ns = str(*k, "namespace");
    auto sa = k->find("serviceaccount");
    if (sa == k->end() || !sa->is_object()) {
      return fail("service account token claims are invalid");
    }
    out.sa.name = str(*sa, "name");
    out.sa.uid = str(*sa, "uid");
    out.jti = str(c, "jti");
    auto aud = c.find("aud");
    if (aud != c.end() && aud->is_array()) {
      for (const auto& a : *aud) {
        if (a.is_string()) out.audiences.push_back(a.get<std::string>());
      }
    } else if (aud != c.end() && aud->is_string()) {
      out.audiences.push_back(aud->get<std::string>());
    }
  } else {
    return verdict;  // not an issuer of this server: not its token
  }
  // A token without audiences (legacy) is for the API server's own.
  const std::vector<std::string>& own = out.audiences.empty() ? ApiAudiences() : out.audiences;
  for (const auto& a : own) {
    if (std::find(audiences.begin(), audiences.end(), a) != audiences.end()) {
      verdict.audiences.push_back(a);
    }
  }
  if (verdict.audiences.empty()) {
    auto quoted = [](const std::vector<std::string>& list) {  // Go's %q of a []string
      std::string text;
      for (const auto& a : list) text += (text.empty() ? "" : " ") + json(a).dump();
      return "[" + text + "]";
    };
    return fail("token audiences " + quoted(own) + " is invalid for the target audiences " +
                quoted(audiences));
  }
  if (!out.legacy) {
    auto exp = c.find("exp");
    if (exp == c.end() || !exp->is_number_integer()) {
      return fail("service account token claims are invalid");
    }
    if (Unix(now) >= exp->get<int64_t>()) return fail("service account token has expired");
    out.expires = Clock::time_point(std::chrono::seconds(exp->get<int64_t>()));
    auto nbf = c.find("nbf");
    // A minute of leeway for clock skew, as kube-apiserver allows.
    if (nbf != c.end() && nbf->is_number_integer() && Unix(now) + 60 < nbf->get<int64_t>()) {
      return fail("service account token is not valid yet");
    }
  }
  if (str(c, "sub") != "system:serviceaccount:" + out.sa.ns + ":" + out.sa.name ||
      out.sa.ns.empty() || out.sa.name.empty()) {
    return fail("service account token claims are invalid");
  }
  verdict.claims = std::move(out);
  return verdict;
}

}  // namespace kubedouble::fake
