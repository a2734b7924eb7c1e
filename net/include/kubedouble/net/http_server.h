// An HTTPS server (HTTP/1.1, and HTTP/2 when `http2` is on), or a plain-HTTP one (no TLS context:
// `kubedouble proxy`; HTTP/1.1 only), whose connections are objects that own their socket, TLS
// session and buffers (src/connection.h), in the manner of Go's conn.serve.
//
//  - The protocol is chosen in the TLS handshake (ALPN, src/alpn.h): "h2" when `http2` is on and
//    the client offers it, else HTTP/1.1 (also for a client that offers no ALPN).
//  - Event loops (epoll), one per core by default (`loops`), each a thread with connections of
//    its own, as nginx's workers: the first accepts and gives the connections to the loops in
//    turn. A loop runs TLS handshakes, reads request heads and parks idle keep-alive
//    connections: an idle connection costs its buffers, not a thread.
//  - Once a connection has a whole request head (src/request_framing.h has judged every byte:
//    Go's limits, no request smuggling), a request the caller answers at once
//    (`answers_at_once`) is answered by the loop that read it, with no hand-over: its answer
//    leaves in one write that never waits (what a slow client cannot take yet waits with no
//    thread and leaves as it reads, on EPOLLOUT; the connection ends when it takes nothing for
//    io_timeout). Any other request goes to a worker of a pool, which runs the handler with an
//    Exchange (exchange.h). A whole answer (a body, no content provider) then leaves as a quick
//    one does: one write that never waits, the rest written on by the loop as the client reads,
//    so the worker is free at once however slowly its client reads. A content provider's answer
//    is written by the worker, chunk by chunk. A handler run on a loop that answers with a content
//    provider or an upgrade has its answer written by a worker. A provider that waits for news
//    without a thread (a watch: exchange.h, StreamWaker) is parked between its calls and costs no
//    worker while it waits; one that blocks (a followed log) holds its worker until it ends.
//  - Workers: the pool starts one when none is free, up to max_workers (32 by default), and a
//    worker idle for 30 s leaves. Handlers that block for a while (a fault's delay, a slow body)
//    do not starve the rest: when a job has waited 100 ms for a worker, one more starts, up to
//    max_connections + 64 and never beyond kMaxWorkers (4,096) + 64 threads.
//  - Limits: max_connections connections are served at once; by default as many as the
//    process's open-file limit allows (ConnectionsTheFileLimitAllows), as an idle connection
//    costs memory (about 15 KB), not a thread. A connection takes its place with its first whole
//    request head and keeps it until it closes; a request beyond them reaches the handler with
//    Exchange::over_limit() set (answer 429), and the connection then ends. At the open-file
//    limit itself the server stops accepting until a connection closes.
//    A TLS handshake and a request head must end within head_timeout (slowloris), an idle
//    keep-alive connection is closed after idle_timeout.
//  - Requests the server answers itself — a head it cannot parse (400), a request line over 8 KiB
//    (414), framing Go's server refuses (400, 431, 501) — are told to the `refused` hook.
//  - HTTP/2 (src/http2_session.h, through nghttp2): the loop reads and writes the frames; each
//    stream's request becomes an Exchange run by the same handler on a worker, its answer sent as
//    the client's flow-control windows allow (many watches multiplexed on one connection); a
//    whole answer is sent by its worker (`answers_at_once`: quick requests are answered by the
//    loop, those read together leave in one write). A
//    client's RST_STREAM is the stream's hang-up. An h2 connection takes its place in
//    max_connections with its first request; beyond them that request is answered (429) and the
//    connection ends with GOAWAY. Upgrades (101) are HTTP/1.1's: clients ask for them over
//    HTTP/1.1; an h2 request that carries Connection, Upgrade or another HTTP/1.1 connection
//    header is answered 400 as Go's server answers it, and told to the `refused` hook.
//  - Stop(): no new connection; idle connections, handshakes and unfinished heads are closed at
//    once; answers in flight are finished, and their connections then close. An h2 connection
//    gets GOAWAY, finishes its streams in flight, then closes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kubedouble/net/exchange.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace kubedouble::net {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: an ephemeral port
  // A socket already bound and listening (a unix socket, say), served instead of address:port;
  // the server closes it when it stops. -1: none.
  int listener = -1;
  // Connections served at once (see above). 0: ConnectionsTheFileLimitAllows() when the server
  // is made.
  size_t max_connections = 0;
  // Event loops, each a thread with its own connections (0: one per core; see above).
  size_t loops = 0;
  // Workers running handlers (0: 32), more only while jobs wait for one (see above).
  size_t max_workers = 0;
  // A TLS handshake, or a request head from its first byte, must end within it.
  std::chrono::milliseconds head_timeout = std::chrono::seconds(32);
  // A keep-alive connection waiting for its next request is closed after it.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  // A body read or an answer's write that makes no progress for so long ends the connection.
  std::chrono::milliseconds io_timeout = std::chrono::seconds(30);
  // A Content-Length above it makes Exchange::body() fail without reading.
  size_t max_body = 3 * 1024 * 1024;
  // Offer HTTP/2 ("h2") in ALPN before HTTP/1.1. Off: HTTP/1.1 only ("http/1.1" in ALPN).
  bool http2 = false;
  // HTTP/2: the streams one connection may have open at once, announced in the server's
  // SETTINGS (MAX_CONCURRENT_STREAMS; 100 is kube-apiserver's). A client's stream beyond it is
  // refused with RST_STREAM REFUSED_STREAM while the client may not have seen the SETTINGS yet;
  // once it acknowledged them, opening one more is a protocol error that ends the connection
  // (GOAWAY PROTOCOL_ERROR): nghttp2 enforces both. At least 1.
  uint32_t max_concurrent_streams = 100;
  // Requests the handler answers at once, never waiting on anything (no delay, no upstream call,
  // no stream, no body to read): answered by the event loop that read them, with no hand-over
  // to a worker (over HTTP/2, those read together from a connection leave in one write).
  // Empty: none (each request has a worker of its own, so a slow one never holds back another).
  std::function<bool(const httplib::Request&)> answers_at_once;
};

// The connections this process can hold open: seven eighths of its open-file limit (the soft
// RLIMIT_NOFILE, as it is now), the rest left for its other files (the listener, logs, the
// journal, upstream connections of proxied requests); at least 1.
size_t ConnectionsTheFileLimitAllows();

class HttpServer {
 public:
  using Handler = std::function<void(Exchange&)>;
  // A request answered by the server itself: what was parsed of it (method and path may be
  // empty) and the status sent.
  using RefusedHook = std::function<void(const httplib::Request& request, int status)>;

  // `tls`: a server context set up by the caller (certificate, key, verification); the server
  // takes its own reference. nullptr: plain HTTP, no TLS.
  HttpServer(HttpServerOptions options, SSL_CTX* tls, Handler handler, RefusedHook refused = {});
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (connections wait in the kernel's queue until Start). Returns the port
  // (0 on a unix-socket listener); throws std::system_error naming the address, whose code() is
  // the kernel's reason (what() ends with it).
  int Bind();
  // Starts the event loop.
  void Start();
  // Stops as described above; returns when every connection is closed and every worker gone.
  void Stop();

  int port() const;

  // What the server holds now (tests, measurements).
  struct Counts {
    size_t connections = 0;  // open
    size_t idle = 0;         // waiting for a request (or a handshake, or a head)
    size_t active = 0;       // a request being answered (h2: a stream open)
    size_t upgraded = 0;     // after 101 Switching Protocols
    size_t http2 = 0;        // HTTP/2 connections (also counted as idle or active)
    size_t streams = 0;      // open HTTP/2 streams, on all connections
    size_t workers = 0;      // threads of the pool
  };
  Counts counts() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kubedouble::net
