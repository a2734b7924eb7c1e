// The application protocol a TLS client and the server agree on (ALPN, RFC 7301), as Go's server
// chooses it: "h2" when HTTP/2 is on and the client offers it, else "http/1.1". A client that
// offers no ALPN, or none of these, gets HTTP/1.1 without a negotiated protocol.
#pragma once

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace kubedouble::net {

// Makes `ctx` answer the clients' ALPN offers: "h2" then "http/1.1" when `http2`, "http/1.1"
// alone otherwise.
void OfferProtocols(SSL_CTX* ctx, bool http2);

// True when the handshake of `ssl` chose "h2".
bool NegotiatedHttp2(SSL* ssl);

}  // namespace kubedouble::net
