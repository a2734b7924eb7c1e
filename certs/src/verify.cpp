// Chain verification with OpenSSL's own X509_verify_cert.
#include "kubedouble/certs/certs.h"
#include "ossl.h"
#include "san.h"

namespace kubedouble::certs {
namespace {

VerifyStatus StatusOf(int error) {
  switch (error) {
    case X509_V_OK:
      return VerifyStatus::kOk;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return VerifyStatus::kUnknownAuthority;
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return VerifyStatus::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return VerifyStatus::kNotYetValid;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return VerifyStatus::kHostnameMismatch;
    default:
      return VerifyStatus::kOther;
  }
}

}  // namespace

std::string VerifyStatusName(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::kOk:
      return "ok";
    case VerifyStatus::kUnknownAuthority:
      return "unknown_authority";
    case VerifyStatus::kExpired:
      return "expired";
    case VerifyStatus::kNotYetValid:
      return "not_yet_valid";
    case VerifyStatus::kHostnameMismatch:
      return "hostname_mismatch";
    case VerifyStatus::kOther:
      break;
  }
  return "other";
}

Verification Verify(const Certificate& leaf, const std::vector<Certificate>& roots,
                    const VerifyOptions& options) {
  if (!leaf) throw Error("no certificate to verify");
  internal::StorePtr store(X509_STORE_new());
  if (!store) internal::Fail("cannot allocate a certificate store");
  for (const auto& root : roots) {
    if (root && X509_STORE_add_cert(store.get(), root.get()) != 1) {
      internal::Fail("cannot add a trusted certificate");
    }
  }
  internal::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) {
    internal::Fail("cannot set up verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  if (options.host) {
    int set = 0;
    if (internal::IsIpAddress(*options.host)) {
      set = X509_VERIFY_PARAM_set1_ip_asc(param, internal::StripBrackets(*options.host).c_str());
    } else {
      set = X509_VERIFY_PARAM_set1_host(param, options.host->c_str(), options.host->size());
    }
    if (set != 1) internal::Fail("cannot check host \"" + *options.host + "\"");
  }
  if (options.at) X509_VERIFY_PARAM_set_time(param, Clock::to_time_t(*options.at));
  if (options.purpose == "server") {
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  } else if (options.purpose == "client") {
    X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  } else if (!options.purpose.empty()) {
    throw Error("unknown purpose \"" + options.purpose + "\" (expected server or client)");
  }
  int rc = X509_verify_cert(ctx.get());
  int error = X509_STORE_CTX_get_error(ctx.get());
  internal::DrainErrors();
  Verification result;
  if (rc == 1) {
    result.status = VerifyStatus::kOk;
    result.message = "ok";
  } else {
    result.status = error == X509_V_OK ? VerifyStatus::kOther : StatusOf(error);
    result.message = X509_verify_cert_error_string(error);
  }
  return result;
}

}  // namespace kubedouble::certs

namespace kubedouble::certs {

bool MatchesHost(const Certificate& cert, std::string_view host) {
  if (!cert) throw Error("no certificate to check");
  int rc = 0;
  if (internal::IsIpAddress(host)) {
    rc = X509_check_ip_asc(cert.get(), internal::StripBrackets(host).c_str(), 0);
  } else {
    rc = X509_check_host(cert.get(), host.data(), host.size(), 0, nullptr);
  }
  internal::DrainErrors();
  return rc == 1;
}

}  // namespace kubedouble::certs
