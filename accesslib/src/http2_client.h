// HTTP/2 to the API server, as Go's transport speaks it when the server offers "h2" in ALPN:
// nghttp2's client session over a connection dialed by net/ (dialer.h) whose TLS handshake chose
// "h2" (the transport learns it from the dialing client, dialing_client.h).
//
// One request at a time on a connection: the transport keeps idle connections for the next
// request (as it keeps its HTTP/1.1 ones), so sequential requests share one connection and
// concurrent ones each get their own. The answer reaches the caller as transport.h's Request
// says: whole, or head then body pieces as they arrive (a watch). The connection reads no
// further than the caller has taken, so a slow reader holds the server back by HTTP/2 flow
// control, not by memory. A caller that stops reading ends its stream (RST_STREAM CANCEL), and
// the connection stays usable.
//
//   Http2Connection h2(std::move(conn));   // conn: TLS done, ALPN "h2"
//   Http2Outcome o = h2.RoundTrip(request, "/api/v1/pods", headers, answer);
//   if (o.kind != Http2Outcome::Kind::kAnswered) { /* o.message says why, in Go's words */ }
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>

#include "kubedouble/accesslib/transport.h"
#include "kubedouble/net/dialer.h"

namespace kubedouble::access::detail {

// How a round trip ended.
struct Http2Outcome {
  enum class Kind {
    kAnswered,  // the whole answer was read (or streamed to the caller)
    kStopped,   // the caller's on_head or on_body said stop: the stream was cancelled
    kRefused,   // the server did not take the stream (GOAWAY below it, REFUSED_STREAM): it was
                // not processed, so it may be sent again on a new connection
    kReset,     // the server reset the stream (RST_STREAM) before the answer ended
    kBroken,    // the connection failed or closed (GOAWAY and close, EOF, a protocol error)
  };
  Kind kind = Kind::kAnswered;
  bool head_seen = false;  // the answer's head had arrived when it ended
  std::string message;     // for kRefused, kReset and kBroken: what happened, in Go's words
};

class Http2Connection {
 public:
  // Takes `conn`, whose TLS session chose "h2"; sends the connection preface and SETTINGS.
  explicit Http2Connection(std::shared_ptr<net::DialedConn> conn);
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Sends `request`'s method and body with `path` (as it goes on the wire) and `headers` (Host
  // becomes :authority; HTTP/1.1's connection headers are left out) and reads the answer into
  // `answer`, or through request.on_head and on_body. With `decompress` a gzip body (the request
  // asked for one with Accept-Encoding) is decompressed, as httplib does over HTTP/1.1.
  Http2Outcome RoundTrip(const Request& request, const std::string& path, const Headers& headers,
                         bool decompress, Response& answer);

  // True when another request may go on this connection: it is open, no GOAWAY came, and a
  // look at the socket without waiting finds it neither closed nor failed.
  bool Usable();

 private:
  struct Stream;
  // nghttp2's callbacks (set in the constructor) fill these.
  Stream* Current(int32_t stream_id) const;

  // Writes what nghttp2 has to send. False: the connection failed.
  bool Flush();
  // Reads once (waiting up to the connection's I/O timeout) and feeds nghttp2. False: broken_.
  bool Receive();
  // RST_STREAM CANCEL for the stream under way.
  void Cancel();
  // Why the connection ended, in Go's words.
  std::string BrokenMessage() const;

  std::shared_ptr<net::DialedConn> conn_;
  nghttp2_session* session_ = nullptr;
  std::unique_ptr<Stream> stream_;  // the request under way
  bool broken_ = false;
  std::string broken_why_;  // nghttp2's words for a protocol error
  bool goaway_ = false;
  int32_t goaway_last_stream_ = 0;
  uint32_t goaway_code_ = 0;
  std::string goaway_debug_;
};

}  // namespace kubedouble::access::detail
