// ALPN on the server's TLS context (see alpn.h).
#include "alpn.h"

#include <openssl/ssl.h>

#include <cstring>

namespace kubedouble::net {

namespace {

// Wire format: each name after its length byte, in the server's order of preference.
const unsigned char kHttp2First[] = "\x02h2\x08http/1.1";
const unsigned char kHttp1Only[] = "\x08http/1.1";

int Select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
           unsigned int inlen, void* arg) {
  const bool http2 = arg != nullptr;
  const unsigned char* ours = http2 ? kHttp2First : kHttp1Only;
  const unsigned int ours_len = (http2 ? sizeof kHttp2First : sizeof kHttp1Only) - 1;
  unsigned char* chosen = nullptr;
  if (SSL_select_next_proto(&chosen, outlen, ours, ours_len, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // nothing in common: HTTP/1.1 without ALPN
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void OfferProtocols(SSL_CTX* ctx, bool http2) {
  static int on = 1;
  SSL_CTX_set_alpn_select_cb(ctx, Select, http2 ? &on : nullptr);
}

bool NegotiatedHttp2(SSL* ssl) {
  if (ssl == nullptr) return false;  // plain HTTP
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &proto, &len);
  return len == 2 && std::memcmp(proto, "h2", 2) == 0;
}

}  // namespace kubedouble::net
