// kubedouble::net::Relay — an answer relayed from an upstream call to the client of an
// httplib server, whole or as it arrives.
//
// Both `kubedouble proxy` and `kubedouble mitm` forward requests: the upstream call runs on a
// thread of its own and hands over the answer's head, then its body piece by piece; the
// server's handler waits for the head (a stream: a watch, a followed log) or for the whole
// answer, and answers with it. A streamed body is written to the client chunk by chunk as the
// pieces come; once the client has gone, the upstream side is told to stop reading.
//
//   auto relay = std::make_shared<net::Relay>();
//   // upstream thread: relay->Head(status, headers); relay->Piece(bytes)...; relay->Finish();
//   if (!relay->Wait(net::WantsStream(req))) { /* no answer: relay->error() */ }
//   res.status = relay->status();  // copy relay->headers() as needed
//   net::Relay::Answer(relay, res, content_type);
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubedouble::net {

// True for a request whose answer lasts: a watch (`watch` set and not "0"/"false", or a
// /watch/ path) or a followed log (`follow`).
bool WantsStream(const httplib::Request& req);

class Relay {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Upstream side (any thread). Head and Piece return false once the client has gone: stop
  // reading. Finish ends the answer; `error` says why no head came ("" when one did).
  bool Head(int status, Headers headers);
  bool Piece(std::string_view data);
  void Finish(std::string error = "");

  // Server side. Waits for the head (`stream`) or for the end of the answer; false when it
  // ended without a head. After a true return, status() and headers() are the head's.
  bool Wait(bool stream);
  int status() const { return status_; }
  const Headers& headers() const { return headers_; }
  std::string error() const;

  // Answers `res` with the body: whole when the answer has ended, else streamed in chunks as
  // the pieces come (a client that leaves is noticed within 200 ms). An empty `content_type`
  // is text/plain for a whole body and application/json for a stream.
  static void Answer(const std::shared_ptr<Relay>& relay, httplib::Response& res,
                     const std::string& content_type);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool head_ready_ = false, done_ = false, client_gone_ = false;
  int status_ = 0;
  Headers headers_;
  std::deque<std::string> pieces_;
  std::string error_;
};

}  // namespace kubedouble::net
