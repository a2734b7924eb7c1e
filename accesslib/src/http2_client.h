// HTTP/2 to the API server, as Go's transport speaks it when the server offers "h2" in ALPN:
// nghttp2's client session over a connection dialed by net/ (dialer.h) whose TLS handshake chose
// "h2" (the transport learns it from the dialing client, dialing_client.h).
//
// Many requests at once on one connection, each on a stream of its own, as Go's transport
// multiplexes them: callers on any thread take a place with Reserve() — refused once the
// connection has as many streams as the server's SETTINGS_MAX_CONCURRENT_STREAMS allows, after a
// GOAWAY, or once it is closed — and then run RoundTrip. One thread of the connection's own reads
// the socket (a request is written by its caller's thread); each stream's head and DATA wait in
// the stream until its caller takes them, so a watch's events reach its caller as they arrive
// while other streams go on.
//
// Flow control, as Go's: each stream's window is 4 MiB, the connection's 1 GiB, and both are
// given back (WINDOW_UPDATE) only as the caller takes the bytes. A slow reader holds back its own
// stream once its 4 MiB are waiting; the others go on. A caller that stops reading ends its
// stream (RST_STREAM CANCEL), what it left unread is given back to the connection, and the
// connection goes on. A connection that fails ends every stream on it with the reason.
//
// Upkeep (Http2Upkeep), as client-go's transport keeps its connections: one with no stream open
// for the idle timeout is closed (GOAWAY, then the socket), and one on which nothing was read for
// the read idle timeout is sent a PING; when its ACK does not come within the ping timeout, the
// connection is lost: every stream on it fails ("http2: client connection lost") and it takes no
// new one. The connection's thread keeps the time; a caller never waits for it.
//
//   auto h2 = std::make_shared<Http2Connection>(std::move(conn), timeout, upkeep);  // TLS, "h2"
//   h2->AwaitSettings();
//   if (h2->Reserve()) {
//     Http2Outcome o = h2->RoundTrip(request, "/api/v1/pods", headers, true, answer);
//     if (o.kind != Http2Outcome::Kind::kAnswered) { /* o.message says why, in Go's words */ }
//   }
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kubedouble/accesslib/transport.h"
#include "kubedouble/net/dialer.h"

namespace kubedouble::access::detail {

// How a round trip ended.
struct Http2Outcome {
  enum class Kind {
    kAnswered,  // the whole answer was read (or streamed to the caller)
    kStopped,   // the caller's on_head or on_body said stop: the stream was cancelled
    kRefused,   // the server did not take the stream (GOAWAY below it, REFUSED_STREAM, or the
                // connection ended before it was sent): it was not processed, so it may be sent
                // again on a new connection
    kReset,     // the server reset the stream (RST_STREAM) before the answer ended
    kBroken,    // the connection failed or closed (GOAWAY and close, EOF, a protocol error)
    kTimedOut,  // nothing came on the stream for the connection's wait limit: it was cancelled
  };
  Kind kind = Kind::kAnswered;
  bool head_seen = false;  // the answer's head had arrived when it ended
  std::string message;     // for kRefused, kReset and kBroken: what happened, in Go's words
};

// How a connection looks after itself (see above); each 0 turns its part off, but a ping
// timeout of 0 is 15 s.
struct Http2Upkeep {
  std::chrono::milliseconds idle_timeout{0};       // no stream open for so long: closed
  std::chrono::milliseconds read_idle_timeout{0};  // nothing read for so long: a PING
  std::chrono::milliseconds ping_timeout{0};       // no ACK within it: the connection is lost
};

class Http2Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes `conn`, whose TLS session chose "h2"; sends the connection preface and SETTINGS and
  // starts the connection's thread. A caller waits at most `wait_limit` for its stream's next
  // frame (0: without end), and so long (else 30 s) for a write to make progress.
  Http2Connection(std::shared_ptr<net::DialedConn> conn, std::chrono::milliseconds wait_limit,
                  Http2Upkeep upkeep = {});
  // GOAWAY to the server (if the socket takes it), then closes; streams still open fail.
  ~Http2Connection();
  Http2Connection(const Http2Connection&) = delete;
  Http2Connection& operator=(const Http2Connection&) = delete;

  // Waits until the server's first SETTINGS came (its MAX_CONCURRENT_STREAMS is known) or the
  // connection ended, at most the wait limit (else 30 s).
  void AwaitSettings();

  // Takes a place for one stream: false when the connection is closed, had a GOAWAY, or carries
  // as many streams as the server allows (Go's limit until the server's SETTINGS: 100; 1000 when
  // the server announces none). RoundTrip gives the place back.
  bool Reserve();

  // True while the connection may take new streams (it may be full): not closed, no GOAWAY.
  bool Open() const;

  // On a place taken with Reserve: sends `request`'s method and body with `path` (as it goes on
  // the wire) and `headers` (Host becomes :authority; HTTP/1.1's connection headers are left
  // out) and reads the answer into `answer`, or through request.on_head and on_body, on the
  // calling thread. With `decompress` a gzip body (the request asked for one with
  // Accept-Encoding) is decompressed, as httplib does over HTTP/1.1. Safe from many threads.
  Http2Outcome RoundTrip(const Request& request, const std::string& path, const Headers& headers,
                         bool decompress, Response& answer);

 private:
  struct Stream;

  // The open stream `stream_id` (mu_ held), or nullptr.
  Stream* Find(int32_t stream_id) const;
  // The connection's thread: reads and feeds nghttp2, writes what that makes nghttp2 send.
  void Run();
  // Everything nghttp2 has to send now, appended to `out` (mu_ held). False: nghttp2 failed.
  bool Collect(std::string& out);
  // Writes what nghttp2 has to send, from any thread (a request leaves from its caller's
  // thread). False: the connection failed (Fail was called).
  bool Flush();
  // The connection ended: every stream is told, and the thread leaves (takes mu_).
  void Fail();
  // The thread leaves: Fail, and the socket is shut so the server sees the connection end.
  void Leave();
  // The upkeep's turn on the thread (mu_ held): closes an idle connection (GOAWAY), sends a PING
  // after the read idle timeout, finds the connection lost when its ACK is late. Returns how long
  // the thread may wait for the socket (-1: without end, until woken), or 0 when it is to stop.
  int Upkeep(Clock::time_point now);
  // A place was given back or a stream closed: with neither left, the idle time starts (and the
  // thread is woken if it sleeps past the idle timeout) (mu_ held).
  void MaybeIdle();
  // Wakes the connection's thread.
  void Wake();
  // RST_STREAM CANCEL for `s`, its unread bytes given back to the connection (mu_ held).
  void Cancel(Stream& s);
  // Why the connection ended, in Go's words (mu_ held).
  std::string BrokenMessage() const;
  // A stream's wait for its next frame; false when the wait limit passed.
  template <typename Ready>
  bool Wait(std::unique_lock<std::mutex>& lock, Stream& s, Ready ready);

  std::shared_ptr<net::DialedConn> conn_;
  const std::chrono::milliseconds wait_limit_;
  const Http2Upkeep upkeep_;
  int wake_fd_ = -1;  // an eventfd the callers write to wake the thread

  std::mutex write_mu_;    // one writer at a time, in nghttp2's order (taken before mu_)
  mutable std::mutex mu_;  // the session and everything below
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<Stream>> streams_;  // open streams, by id
  std::vector<std::pair<int32_t, size_t>> to_consume_;  // data no caller will take
  size_t reserved_ = 0;                                 // places taken with Reserve
  bool settings_seen_ = false;
  std::condition_variable settings_cv_;
  bool stopping_ = false;   // the destructor runs
  bool dead_ = false;       // the connection ended
  std::string broken_why_;  // nghttp2's words for a protocol error
  bool goaway_ = false;
  int32_t goaway_last_stream_ = 0;
  uint32_t goaway_code_ = 0;
  std::string goaway_debug_;
  // Upkeep, kept by the connection's thread (mu_ held).
  Clock::time_point last_read_;    // the last bytes read from the socket
  Clock::time_point idle_since_;   // when the last stream ended (or the connection began)
  Clock::time_point sleep_until_;  // when the thread looks again by itself (max: only woken)
  bool ping_out_ = false;          // a PING waits for its ACK
  uint8_t ping_data_[8] = {};      // that PING's payload
  Clock::time_point ping_sent_;
  bool lost_ = false;  // no ACK in time: the connection is lost

  std::thread thread_;
};

}  // namespace kubedouble::access::detail
