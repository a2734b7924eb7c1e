#pragma once

#include "kubedouble/certs/certs.h"

namespace kubedouble::certs::internal {

// IssueServer / IssueClient for an existing key (the bundle re-uses the key of a good
// certificate for its expired and not-yet-valid variants).
KeyPair IssueServerWithKey(const KeyPair& ca, const ServerOptions& options, const Key& key);
KeyPair IssueClientWithKey(const KeyPair& ca, const ClientOptions& options, const Key& key);

}  // namespace kubedouble::certs::internal

typedef struct x509_st X509;

namespace kubedouble::certs::internal {

// X509_set_pubkey, with a fast path for P-256 keys (see public_key.cpp).
void SetPublicKey(X509* cert, const Key& key);

}  // namespace kubedouble::certs::internal
