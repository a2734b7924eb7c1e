// Minting: the self-signed CA, serving and client certificates.
#include <openssl/rand.h>

#include "kubedouble/certs/certs.h"
#include "mint.h"
#include "ossl.h"
#include "san.h"

namespace kubedouble::certs {
namespace {

using internal::Fail;

void AddEntry(X509_NAME* name, const char* field, const std::string& value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                 0) != 1) {
    Fail(std::string("cannot set ") + field + "=\"" + value + "\"");
  }
}

void SetSerial(X509* cert) {
  internal::BnPtr bn(BN_new());
  // 128 random bits; forced non-zero by setting the lowest bit.
  if (!bn || BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ODD) != 1 ||
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    Fail("cannot make a random serial number");
  }
}

void SetValidity(X509* cert, const Validity& validity) {
  if (validity.not_after <= validity.not_before) {
    throw Error("invalid validity window: not_after is not after not_before");
  }
  if (ASN1_TIME_set(X509_getm_notBefore(cert), Clock::to_time_t(validity.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), Clock::to_time_t(validity.not_after)) == nullptr) {
    Fail("cannot set the validity window");
  }
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  internal::ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    Fail(std::string("cannot add extension ") + OBJ_nid2sn(nid) + " = " + value);
  }
}

// A certificate for `key`'s public half with `subject`, issued by `issuer` (null: self).
internal::X509Ptr NewCert(const Key& key, X509_NAME* subject, const Validity& validity,
                          X509* issuer) {
  internal::X509Ptr cert(X509_new());
  if (!cert) Fail("cannot allocate a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) Fail("cannot set the version");
  SetSerial(cert.get());
  SetValidity(cert.get(), validity);
  if (X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(),
                           issuer != nullptr ? X509_get_subject_name(issuer) : subject) != 1) {
    Fail("cannot set the names");
  }
  internal::SetPublicKey(cert.get(), key);
  return cert;
}

void Sign(X509* cert, const Key& signer) {
  if (X509_sign(cert, signer.get(), EVP_sha256()) <= 0) Fail("cannot sign the certificate");
}

internal::NamePtr NewName() {
  internal::NamePtr name(X509_NAME_new());
  if (!name) Fail("cannot allocate a name");
  return name;
}

void RequireCa(const KeyPair& ca) {
  if (!ca.cert || !ca.key) throw Error("the CA has no certificate or no key");
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    internal::DrainErrors();
    throw Error("the CA key does not match the CA certificate");
  }
}

// keyUsage for a leaf: RSA keys may also encipher keys (TLS 1.2 RSA key exchange).
std::string LeafKeyUsage(const Key& key) {
  return key.type() == KeyType::kEcdsaP256 ? "critical,digitalSignature"
                                           : "critical,digitalSignature,keyEncipherment";
}

}  // namespace

KeyPair MakeCa(const CaOptions& options) {
  if (options.common_name.empty()) throw Error("the CA common name must not be empty");
  Key key = Key::Generate(options.key_type);
  auto name = NewName();
  AddEntry(name.get(), "CN", options.common_name);
  auto cert = NewCert(key, name.get(), options.validity, nullptr);
  AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always");
  Sign(cert.get(), key);
  return {Certificate(cert.release()), key};
}

namespace internal {

// IssueServer with a given key (the bundle re-uses keys for its pitfall variants).
KeyPair IssueServerWithKey(const KeyPair& ca, const ServerOptions& options, const Key& key) {
  RequireCa(ca);
  if (options.sans.empty()) throw Error("a server certificate needs at least one SAN");
  std::string sans;
  for (const auto& san : options.sans) {
    if (!IsValidSan(san)) {
      throw Error("invalid SAN \"" + san + "\": not a DNS name or an IP address");
    }
    if (!sans.empty()) sans += ',';
    sans += (IsIpAddress(san) ? "IP:" : "DNS:") + StripBrackets(san);
  }
  auto name = NewName();
  AddEntry(name.get(), "CN",
           options.common_name.empty() ? options.sans.front() : options.common_name);
  auto cert = NewCert(key, name.get(), options.validity, ca.cert.get());
  AddExtension(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), ca.cert.get(), NID_key_usage, LeafKeyUsage(key));
  AddExtension(cert.get(), ca.cert.get(), NID_ext_key_usage, "serverAuth");
  AddExtension(cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  AddExtension(cert.get(), ca.cert.get(), NID_subject_alt_name, sans);
  Sign(cert.get(), ca.key);
  return {Certificate(cert.release()), key};
}

KeyPair IssueClientWithKey(const KeyPair& ca, const ClientOptions& options, const Key& key) {
  RequireCa(ca);
  if (options.user.empty()) throw Error("a client certificate needs a user name (CN)");
  auto name = NewName();
  AddEntry(name.get(), "CN", options.user);
  for (const auto& group : options.groups) {
    if (group.empty()) throw Error("a group name must not be empty");
    AddEntry(name.get(), "O", group);
  }
  auto cert = NewCert(key, name.get(), options.validity, ca.cert.get());
  AddExtension(cert.get(), ca.cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), ca.cert.get(), NID_key_usage, LeafKeyUsage(key));
  AddExtension(cert.get(), ca.cert.get(), NID_ext_key_usage, "clientAuth");
  AddExtension(cert.get(), ca.cert.get(), NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
  Sign(cert.get(), ca.key);
  return {Certificate(cert.release()), key};
}

}  // namespace internal

KeyPair IssueServer(const KeyPair& ca, const ServerOptions& options) {
  RequireCa(ca);
  for (const auto& san : options.sans) {  // reject bad input before the costly key generation
    if (!IsValidSan(san)) {
      throw Error("invalid SAN \"" + san + "\": not a DNS name or an IP address");
    }
  }
  if (options.sans.empty()) throw Error("a server certificate needs at least one SAN");
  return internal::IssueServerWithKey(ca, options, Key::Generate(options.key_type));
}

KeyPair IssueClient(const KeyPair& ca, const ClientOptions& options) {
  RequireCa(ca);
  if (options.user.empty()) throw Error("a client certificate needs a user name (CN)");
  return internal::IssueClientWithKey(ca, options, Key::Generate(options.key_type));
}

}  // namespace kubedouble::certs
