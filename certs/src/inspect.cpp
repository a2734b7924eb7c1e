// Inspection: the fields of a certificate a person wants to see.
#include <arpa/inet.h>

#include <ctime>

#include "kubedouble/certs/certs.h"
#include "ossl.h"

namespace kubedouble::certs {
namespace {

std::string AsnString(const ASN1_STRING* s) {
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, s);
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string OneLine(const X509_NAME* name) {
  std::string out;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (!out.empty()) out += ", ";
    out += nid != NID_undef ? OBJ_nid2sn(nid) : "?";
    out += "=" + AsnString(X509_NAME_ENTRY_get_data(entry));
  }
  return out;
}

std::vector<std::string> Entries(const X509_NAME* name, int nid) {
  std::vector<std::string> out;
  for (int i = -1; (i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0;) {
    out.push_back(AsnString(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))));
  }
  return out;
}

TimePoint ToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
  return Clock::from_time_t(timegm(&tm));
}

std::string KeyDescription(EVP_PKEY* key) {
  if (key == nullptr) return "unknown";
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t len = 0;
    EVP_PKEY_get_group_name(key, group, sizeof group, &len);
    std::string g(group);
    return g == "prime256v1" ? "ecdsa-p256" : "ecdsa-" + g;
  }
  if (EVP_PKEY_is_a(key, "RSA")) return "rsa-" + std::to_string(EVP_PKEY_get_bits(key));
  const char* type = EVP_PKEY_get0_type_name(key);
  return type != nullptr ? type : "unknown";
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  int len = ASN1_STRING_length(ip);
  if (len == 4) inet_ntop(AF_INET, data, buf, sizeof buf);
  if (len == 16) inet_ntop(AF_INET6, data, buf, sizeof buf);
  return buf;
}

std::string Hex(const unsigned char* data, size_t len, const char* separator) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    if (i > 0) out += separator;
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

CertInfo Inspect(const Certificate& cert) {
  if (!cert) throw Error("no certificate to inspect");
  X509* x = cert.get();
  CertInfo info;
  info.subject = OneLine(X509_get_subject_name(x));
  info.issuer = OneLine(X509_get_issuer_name(x));
  auto cns = Entries(X509_get_subject_name(x), NID_commonName);
  if (!cns.empty()) info.common_name = cns.front();
  info.organizations = Entries(X509_get_subject_name(x), NID_organizationName);

  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type == GEN_DNS) info.dns_names.push_back(AsnString(gn->d.dNSName));
      if (gn->type == GEN_IPADD) info.ip_addresses.push_back(IpText(gn->d.iPAddress));
    }
    GENERAL_NAMES_free(sans);
  }

  info.not_before = ToTimePoint(X509_get0_notBefore(x));
  info.not_after = ToTimePoint(X509_get0_notAfter(x));
  info.key_type = KeyDescription(X509_get0_pubkey(x));

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (X509_digest(x, EVP_sha256(), digest, &digest_len) != 1) {
    internal::Fail("cannot compute the certificate fingerprint");
  }
  info.sha256_fingerprint = Hex(digest, digest_len, ":");

  internal::BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr));
  if (serial) {
    char* hex = BN_bn2hex(serial.get());
    info.serial_hex = hex;
    OPENSSL_free(hex);
  }

  // X509_get_extension_flags caches the parsed extensions (basicConstraints, EKU).
  uint32_t flags = X509_get_extension_flags(x);
  info.is_ca = (flags & EXFLAG_CA) != 0;
  if ((flags & EXFLAG_XKUSAGE) != 0) {
    uint32_t eku = X509_get_extended_key_usage(x);
    if (eku & XKU_SSL_SERVER) info.extended_key_usage.push_back("serverAuth");
    if (eku & XKU_SSL_CLIENT) info.extended_key_usage.push_back("clientAuth");
  }
  internal::DrainErrors();
  return info;
}

}  // namespace kubedouble::certs
