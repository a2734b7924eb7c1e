// Recording why OpenSSL rejected a server certificate, and wording it as Go's crypto/x509 does.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "kubedouble/accesslib/error.h"

namespace kubedouble::access::detail {

// Per-connection record filled by the verify callback installed with InstallVerifyRecorder.
struct VerifyRecord {
  int first_error = 0;  // X509_V_OK when none
  X509* leaf = nullptr;
  VerifyRecord() = default;
  VerifyRecord(const VerifyRecord&) = delete;
  VerifyRecord& operator=(const VerifyRecord&) = delete;
  ~VerifyRecord();
  void Reset();
};

// Turns on SSL_VERIFY_PEER for `ctx` (a failed verification aborts the handshake) with a verify
// callback that records X509_STORE_CTX_get_error and the leaf certificate into `record` (which
// must outlive the context), and sets the host name (or IP) that OpenSSL checks, never falling
// back to the Common Name (as Go).
void InstallVerifyRecorder(SSL_CTX* ctx, VerifyRecord* record, const std::string& host);

// Builds the error for a failed verification: `verify_result` from OpenSSL (X509_V_OK when only
// the host name check failed), the recorded leaf and the host that was checked.
Error VerifyError(long verify_result, const VerifyRecord& record, const std::string& host);

}  // namespace kubedouble::access::detail
