// Test helper: a TLS server context presenting a minted bundle's serving certificate and key,
// the context every net test hands its HttpServer (which takes its own reference). The caller
// frees the returned context with SSL_CTX_free.
#pragma once

#include <kubedouble/certs/certs.h>
#include <openssl/ssl.h>

namespace kubedouble::testing {

inline SSL_CTX* ServerContext(const certs::Bundle& bundle) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate(ctx, bundle.server.cert.get());
  SSL_CTX_use_PrivateKey(ctx, bundle.server.key.get());
  return ctx;
}

}  // namespace kubedouble::testing
