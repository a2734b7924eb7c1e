// HTTP/2 on a Connection whose TLS handshake chose "h2" (alpn.h), through nghttp2.
//
// The event loop reads the client's frames as they arrive (feeding nghttp2); what nghttp2 has to
// send is written without ever waiting (what the socket does not take now waits for EPOLLOUT);
// the session keeps the connection's streams (http2_stream.h). A stream whose request head is
// whole is handed to the `dispatch` hook, which runs its handler on a worker. A whole answer is
// handed back (Hand) and sent by whichever thread holds the session then, or next — its own
// worker if no other does: no trip through the loop, and TLS on the worker's core. A streamed
// answer's bytes come back through the stream, and `wake` asks the loop to call Pump(). Every
// call takes `mu` first (the loop's reads, a worker's writes); whoever releases it sends what was
// handed meanwhile (Handed).
//
// Flow control: a stream's body leaves as the client's windows allow (nghttp2's data source,
// deferred while the worker has produced nothing, resumed when it has); the client's own bodies
// are acknowledged as they are read. SETTINGS_MAX_CONCURRENT_STREAMS is the server's option
// (HttpServerOptions::max_concurrent_streams), which nghttp2 enforces. Shutdown() sends GOAWAY (no
// new stream; those in flight finish).
#pragma once

#include <nghttp2/nghttp2.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http2_stream.h"

namespace kubedouble::net {
class Connection;
}

namespace kubedouble::net::http2 {

class Session {
 public:
  struct Hooks {
    // On the loop: a request's head is whole; run its handler. Returns true when the connection
    // is over its limit: the stream is answered (429) and the session then ends (GOAWAY).
    std::function<bool(const std::shared_ptr<Stream>& stream)> dispatch;
    // From a worker: streams have news; the loop is to call Pump().
    std::function<void()> wake;
    // On the loop: a request answered by the session itself, without a handler (400: a head
    // that is well formed but not valid in HTTP/2, see http2_request_check.h).
    std::function<void(const httplib::Request& request, int status)> refused;
  };

  // `max_streams`: SETTINGS_MAX_CONCURRENT_STREAMS (at least 1).
  Session(Connection& conn, Hooks hooks, size_t max_body, std::chrono::milliseconds io_timeout,
          uint32_t max_streams);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The server's SETTINGS. False: the connection failed.
  bool Start();
  // The socket is readable or writable: reads every frame there is, then writes. False: the
  // connection is over (the peer left, a protocol error, a failed write).
  bool OnEvent();
  // Takes the workers' news (answer heads, body bytes, resets), then writes. False: over.
  bool Pump();
  // From a worker: the whole answer of `stream` is ready (Stream::RespondWhole without posting),
  // for the next Pump by whoever holds `mu` — the caller takes it if free (never waits), and
  // every holder looks again once it released it (so none is left unsent).
  void Hand(int32_t stream);
  // Answers handed and not yet taken by a Pump.
  bool Handed();
  // GOAWAY (once): no new streams.
  void Shutdown();
  // The server stops: every streaming answer (a watch) is told its client has gone.
  void HangUpStreaming();
  // The connection ended: every stream is closed and its hang-up told.
  void Abort();

  // Bytes wait for the socket to take them (listen for EPOLLOUT).
  bool WantsWrite() const { return wants_write_; }
  // Nothing more to do: both sides are done, or GOAWAY was sent and no stream is left.
  bool Over();
  size_t streams() const { return open_.load(); }
  // Held by whoever calls the session (the loop, or a worker sending its answer).
  std::mutex mu;
  // When the last stream closed (for the idle timeout).
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }

 private:
  class Mailbox;
  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* self);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t len, void* self);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self);
  static ssize_t ReadBody(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void* self);
  // A DATA frame of ReadBody's: its head and the stream's bytes, straight into out_.
  static int SendBody(nghttp2_session*, nghttp2_frame* frame, const uint8_t* head, size_t length,
                      nghttp2_data_source* source, void* self);

  Stream* Find(int32_t id);
  // RST_STREAM PROTOCOL_ERROR for a malformed request; returns what nghttp2's header callback
  // returns then.
  int Malformed(int32_t stream_id);
  // Go's 400 for a request that is not valid in HTTP/2 (its handler never runs).
  void AnswerBadRequest(Stream& stream);
  void Submit(Stream& stream, const Stream::Head& head);
  bool Flush();

  Connection& conn_;
  Hooks hooks_;
  const size_t max_body_;
  const std::chrono::milliseconds io_timeout_;
  const uint32_t max_streams_;
  nghttp2_session* session_ = nullptr;
  std::shared_ptr<Mailbox> mailbox_;
  std::vector<int32_t> taken_;  // Pump's ids from the mailbox
  std::map<int32_t, std::shared_ptr<Stream>> streams_;
  std::atomic<size_t> open_{0};
  std::chrono::steady_clock::time_point idle_since_;
  bool goaway_ = false;
  // What nghttp2 gave to send and the socket has not taken yet.
  std::string out_;
  size_t out_pos_ = 0;
  size_t retry_len_ = 0;  // a write that would block is retried with the same length
  bool wants_write_ = false;
};

}  // namespace kubedouble::net::http2
