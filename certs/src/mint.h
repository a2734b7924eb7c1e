#pragma once

#include "kubedouble/certs/certs.h"

namespace kubedouble::certs::internal {

// IssueServer / IssueClient for an existing key (the bundle re-uses the key of a good
// certificate for its expired and not-yet-valid variants).
KeyPair IssueServerWithKey(const KeyPair& ca, const ServerOptions& options, const Key& key);
KeyPair IssueClientWithKey(const KeyPair& ca, const ClientOptions& options, const Key& key);

}  // namespace kubedouble::certs::internal
