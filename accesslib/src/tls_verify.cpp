#include "tls_verify.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <vector>

#include "kubedouble/base/strings.h"
#include "util.h"

namespace kubedouble::access::detail {

VerifyRecord::~VerifyRecord() { Reset(); }

void VerifyRecord::Reset() {
  first_error = 0;
  if (leaf) X509_free(leaf);
  leaf = nullptr;
}

namespace {

int RecordIndex() {
  static int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int VerifyCallback(int ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return ok;
  auto* record =
      static_cast<VerifyRecord*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), RecordIndex()));
  if (record == nullptr) return ok;
  if (record->leaf == nullptr) {
    if (X509* leaf = X509_STORE_CTX_get0_cert(store)) {
      X509_up_ref(leaf);
      record->leaf = leaf;
    }
  }
  if (!ok && record->first_error == X509_V_OK)
    record->first_error = X509_STORE_CTX_get_error(store);
  return ok;
}

std::string GoTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Now() {
  std::time_t now = std::time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void Sans(X509* cert, std::vector<std::string>* dns, std::vector<std::string>* ips) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      dns->emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)),
                        ASN1_STRING_length(n->d.dNSName));
    } else if (n->type == GEN_IPADD) {
      char buf[INET6_ADDRSTRLEN] = {0};
      int len = ASN1_STRING_length(n->d.iPAddress);
      const unsigned char* data = ASN1_STRING_get0_data(n->d.iPAddress);
      if (len == 4) inet_ntop(AF_INET, data, buf, sizeof buf);
      if (len == 16) inet_ntop(AF_INET6, data, buf, sizeof buf);
      ips->emplace_back(buf);
    }
  }
  GENERAL_NAMES_free(names);
}

std::string HostnameMessage(X509* leaf, const std::string& host) {
  if (leaf == nullptr) return fmt::format("x509: certificate is not valid for {}", host);
  std::vector<std::string> dns, ips;
  Sans(leaf, &dns, &ips);
  std::string valid;
  if (base::IsIpAddress(host)) {
    if (ips.empty())
      return fmt::format(
          "x509: cannot validate certificate for {} because it doesn't contain any IP SANs", host);
    valid = fmt::format("{}", fmt::join(ips, ", "));
  } else {
    valid = fmt::format("{}", fmt::join(dns, ", "));
  }
  if (valid.empty())
    return fmt::format("x509: certificate is not valid for any names, but wanted to match {}",
                       host);
  return fmt::format("x509: certificate is valid for {}, not {}", valid, host);
}

}  // namespace

void InstallVerifyRecorder(SSL_CTX* ctx, VerifyRecord* record, const std::string& host) {
  SSL_CTX_set_ex_data(ctx, RecordIndex(), record);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, VerifyCallback);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  X509_VERIFY_PARAM_set_hostflags(
      param, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (base::IsIpAddress(host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
  }
}

Error VerifyError(long verify_result, const VerifyRecord& record, const std::string& host) {
  int code = record.first_error != X509_V_OK ? record.first_error : static_cast<int>(verify_result);
  const std::string prefix = "tls: failed to verify certificate: ";
  switch (code) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return Error(ErrorKind::kTlsUnknownAuthority,
                   prefix + "x509: certificate signed by unknown authority");
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Error(
          ErrorKind::kTlsExpired,
          fmt::format("{}x509: certificate has expired or is not yet valid: current time {} "
                      "is after {}",
                      prefix, Now(), record.leaf ? GoTime(X509_get0_notAfter(record.leaf)) : "?"));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Error(
          ErrorKind::kTlsNotYetValid,
          fmt::format("{}x509: certificate has expired or is not yet valid: current time {} "
                      "is before {}",
                      prefix, Now(), record.leaf ? GoTime(X509_get0_notBefore(record.leaf)) : "?"));
    case X509_V_OK:
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return Error(ErrorKind::kTlsHostnameMismatch, prefix + HostnameMessage(record.leaf, host));
    default:
      return Error(ErrorKind::kTlsOther,
                   fmt::format("{}x509: {}", prefix, X509_verify_cert_error_string(code)));
  }
}

}  // namespace kubedouble::access::detail
