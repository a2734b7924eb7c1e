// One HTTP/2 stream of a connection (http2_session.h): the request the event loop assembled from
// its frames, and the answer the worker running its handler produces.
//
// The loop writes the request (head, then body bytes as DATA frames arrive) and reads the answer
// (head, then body bytes as the client's flow-control window allows); the worker reads the body
// and writes the answer. `mu` guards what both touch; the worker's changes are posted to the loop
// through `post` (one wake-up until the loop has looked). The worker's writes wait while more
// than a bounded amount waits to be sent, so a slow reader holds back its stream's producer
// (a watch), not the server's memory.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http2_request_check.h"

namespace kubedouble::net::http2 {

class Stream {
 public:
  Stream(int32_t id, std::function<void()> post, std::chrono::milliseconds io_timeout)
      : id_(id), post_(std::move(post)), io_timeout_(io_timeout) {}
  int32_t id() const { return id_; }

  // --- the loop, while the request arrives ---
  httplib::Request request;  // moved to the worker at dispatch
  bool has_body = false;     // the HEADERS frame did not end the stream
  bool dispatched = false;
  RequestCheck check;  // the request's head and body, as Go's server checks them
  void AppendBody(const uint8_t* data, size_t n, size_t max_body);
  void EndBody();

  // --- the worker ---
  // Reads the body into `receiver` as it arrives; false when the stream ended first, the body is
  // over `max_body`, the receiver said no, or nothing came within the io timeout.
  bool ReadBody(size_t max_body, const httplib::ContentReceiver& receiver);
  // The answer's status and headers; `has_body`: DATA frames follow (else the head ends the
  // stream).
  void Respond(int status, const httplib::Headers& headers, bool has_body);
  // A whole answer at once: the head, and `body` unless it is empty. `post`: one wake-up of the
  // loop; false: the caller sends it itself (Session::PumpWith). `shared`, when set, is the body
  // instead of `body` (Exchange::ShareBody): its DATA frames are made from it, with no copy.
  void RespondWhole(int status, httplib::Headers headers, std::string body, bool post = true,
                    std::shared_ptr<const std::string> shared = nullptr);
  // Body bytes: Write waits while too much waits to be sent.
  // False once the stream ended (reset by the client, connection gone) or on the io timeout.
  bool Write(const char* data, size_t n);
  // Waits until the body bytes written so far were taken by the loop for DATA frames (they leave
  // in its next send); false when the stream ended first or on the io timeout.
  bool Flush();
  // The body is whole: the last DATA frame ends the stream.
  void End();
  // RST_STREAM with `code` (an nghttp2 error code) instead of (the rest of) the answer.
  void Reset(uint32_t code);
  // An answer that streams (a watch): told to end when the server stops.
  void SetStreaming();

  // True once the client reset the stream or the connection ended before the answer was sent.
  bool hung_up();
  // As Exchange::OnHangUp: at once when gone already, else once, on the loop.
  void OnHangUp(std::function<void()> fn);
  // Drops the hang-up callbacks not run yet (the handler that set them has returned).
  void ForgetHangUp();
  // Whether the stream is gone (closed by either side): writes fail.
  bool closed();

  // --- the loop, sending the answer ---
  struct Head {
    int status = 0;
    httplib::Headers headers;
    bool has_body = false;
  };
  // What the worker asked for since the loop last looked (each once): a head to submit, a reset
  // to send, a deferred body to resume.
  struct Pending {
    bool head = false;
    Head answer;
    uint32_t reset = 0;
    bool resume = false;
  };
  Pending TakePending();
  // For nghttp2's data source: how many of the body's bytes the next DATA frame carries (up to
  // `size`; TakeAnswer then gives them); sets `eof` when they end the body. -1: nothing to send
  // yet (the source defers until a write resumes it).
  ssize_t ReadAnswer(size_t size, bool& eof);
  // Appends the next `n` bytes of the body (as ReadAnswer counted them) to `out`.
  void TakeAnswer(size_t n, std::string& out);
  // The stream closed: the client reset it, the connection ended, or the answer was all sent.
  // Hang-up callbacks run (here, on the caller's thread) unless the answer was all sent first.
  void Closed(bool by_error);
  // The server stops: a streaming answer is told its client is gone (as h1 does).
  bool streaming();
  void HangUp();

 private:
  // Asks the loop to look at this stream (once until it does).
  void Post(std::unique_lock<std::mutex>& lock);

  const int32_t id_;
  const std::function<void()> post_;
  const std::chrono::milliseconds io_timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  // The request body.
  std::string body_;
  bool body_done_ = false;
  bool body_too_big_ = false;
  size_t body_seen_ = 0;
  // The answer.
  bool head_ready_ = false;
  Head head_;
  std::string out_;
  std::shared_ptr<const std::string> shared_out_;  // a whole answer's shared body, instead of out_
  size_t out_pos_ = 0;
  bool out_end_ = false;
  bool eof_sent_ = false;
  bool deferred_ = false;
  bool resume_ = false;
  int flushing_ = 0;  // workers waiting in Flush()
  uint32_t reset_ = 0;
  bool posted_ = false;
  bool streaming_ = false;
  // The end.
  bool closed_ = false;
  bool hung_up_ = false;
  std::vector<std::function<void()>> on_hang_up_;
};

// Writes `res` (the handler's answer to `req`) on `stream`: a whole body, or a content provider's
// bytes as it produces them; `stopping` ends a stream between two provider calls. False when the
// stream ended before the answer did. A whole answer is not posted to the loop: `whole` is set,
// and the caller sends it (Session::PumpWith). `shared`: the exchange's shared body
// (Exchange::ShareBody; answer.h, PrepareAnswer), null when none.
bool WriteAnswer(Stream& stream, const httplib::Request& req, httplib::Response& res,
                 std::shared_ptr<const std::string>& shared, const std::function<bool()>& stopping,
                 bool& whole);

}  // namespace kubedouble::net::http2
