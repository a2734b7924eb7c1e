// Buffered TLS reads and writes for the API server's connections.
//
// cpp-httplib 0.11 reads a request head one byte per SSL_read and writes an answer's head and
// body with two SSL_writes (two TLS records, two system calls). tls_buffers.cpp defines SSL_read,
// SSL_pending and SSL_write in the program: connections of a context marked with BufferTls read
// a whole TLS record at a time and serve small reads from it, and can hold an answer's head until
// its body follows so that both leave in one record. Connections of unmarked contexts (clients,
// the mitm proxy) go straight to libssl.
#pragma once

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace kubedouble::fake {

// Marks `ctx`: its connections' small reads are buffered from now on.
void BufferTls(SSL_CTX* ctx);

// The next SSL_write on `ssl` (an answer's head) is held and sent with the write after it (the
// body) as one record. No effect on a connection of an unmarked context.
void HoldNextWrite(const SSL* ssl);

// Sends what is held, if anything (an answer without a body write, a HEAD request). A failed write
// shows on the connection's next read, as any other.
void FlushHeldWrite(const SSL* ssl);

}  // namespace kubedouble::fake
