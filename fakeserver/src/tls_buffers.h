// The API server's side of each TLS connection, between cpp-httplib and libssl.
//
// cpp-httplib 0.11 reads a request head one byte per SSL_read, writes an answer's head and body
// with two SSL_writes, and parses what it reads without bounds. tls_buffers.cpp defines SSL_read,
// SSL_pending, SSL_write and SSL_accept in the program; for connections of a context marked with
// BufferTls:
//  - reads take a whole TLS record at a time and serve small reads from it, and an answer's head
//    can be held until its body follows, so that both leave in one record;
//  - every byte the parser reads passes RequestFraming first (request_framing.h): heads beyond
//    the limits are refused as Go's server refuses them, bodies nobody reads are discarded (no
//    request smuggling), and an answer given before its request's body was read ends the
//    connection (RequestAnswered);
//  - the connection's phase is kept in the server's ConnectionSlots (connection_slots.h): from
//    the handshake, through heads, answers and keep-alive waits, to the close.
// Connections of unmarked contexts (clients, the mitm proxy) go straight to libssl.
#pragma once

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace kubedouble::fake {

class ConnectionSlots;

// Marks `ctx`: its connections are buffered and framed from now on, and tracked in `slots` (which
// must outlive them; nullptr: a process-wide set used by nobody else).
void BufferTls(SSL_CTX* ctx, ConnectionSlots* slots = nullptr);

// The next SSL_write on `ssl` (an answer's head) is held and sent with the write after it (the
// body) as one record. No effect on a connection of an unmarked context.
void HoldNextWrite(const SSL* ssl);

// A request's head was read and it is being answered (pre-routing).
void RequestStarted(const SSL* ssl);

// True when the parser has not read the whole body of the request being answered (an answer
// before its body, e.g. a 401): the answer should say "Connection: close", as it will end it.
bool BodyUnread(const SSL* ssl);

// The answer was written: sends what is held, if anything (an answer without a body write, a HEAD
// request), and waits for the next request — unless the parser did not read the whole body of
// the request answered (e.g. a 401 before reading it), in which case the connection ends: the
// rest of that body must never be read as a request.
void RequestAnswered(const SSL* ssl);

}  // namespace kubedouble::fake
