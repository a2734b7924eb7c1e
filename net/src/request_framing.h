// Where each HTTP/1.1 request on a connection begins and ends, judged from the client's bytes as
// the HTTP parser takes them, with the limits kube-apiserver's Go server applies.
//
// cpp-httplib 0.11 parses requests leniently and without bounds: it reads a line or a head of any
// size into memory, reads a body of unknown framing to the end of the stream, takes a NUL or a
// "+7" in a header, and leaves the body of a GET on the connection, where it is parsed as the
// next request (request smuggling). RequestFraming sees every byte a connection receives, in
// order, before the request parser does (connection.cpp feeds it as records arrive) and
//  - refuses a head that breaks a rule, with the answer Go's server gives (431 Request Header
//    Fields Too Large, 400 Bad Request, 501 for a transfer coding other than chunked), after
//    which the connection ends;
//  - removes from the stream the body of a request that cpp-httplib does not read (GET, HEAD,
//    OPTIONS, ...): read and discarded, as Go does, up to kMaxDiscardedBody, else the connection
//    ends;
//  - follows the body of every other request (Content-Length or chunked), so that it knows
//    whether the parser took all of it (BodyPending) — an answer given without reading the body
//    must end the connection (http_server.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kubedouble::net {

struct FramingLimits {
  // Go's http.DefaultMaxHeaderBytes (1 MiB, which kube-apiserver keeps) plus the 4 KiB of slack
  // Go's server allows: the request line and every header line together.
  size_t max_head_bytes = (1 << 20) + 4096;
  // One line of the head. Longer lines are refused by cpp-httplib anyway (8 KiB); this bounds
  // what is held before it says so.
  size_t max_line_bytes = 64 * 1024;
  // Header lines in one head. Go counts bytes only; cpp-httplib keeps every header in a map
  // node, so a count bounds its memory (1 MiB of "a:\r\n" would be 262,144 nodes).
  size_t max_header_lines = 1000;
  // A body nobody reads is discarded up to this size, as Go's server does after the handler
  // (256 KiB); beyond it the connection ends.
  size_t max_discarded_body = 256 * 1024;
};

class RequestFraming {
 public:
  explicit RequestFraming(FramingLimits limits = {}) : limits_(limits) {}

  // Scans `n` bytes the HTTP parser is about to take, in place: the bytes of discarded bodies
  // are removed. Returns how many bytes are left at the front of `data` for the parser. After
  // a rule is broken, Rejected() is true and nothing more is kept.
  size_t Scan(char* data, size_t n);

  // True once the stream broke a rule or outgrew a limit: the connection must end.
  bool Rejected() const { return !answer_.empty() || closed_; }
  // What to send before ending the connection ("" when the connection ends without a word, as
  // when a discarded body is too large). Go's wording: status line, text/plain, Connection: close.
  const std::string& RejectionAnswer() const { return answer_; }

  // True while a request's head has begun but not ended (the deadline for heads applies).
  bool InHead() const { return state_ == State::kHead; }
  // True while the body of a request the parser reads has bytes the parser has not taken.
  bool BodyPending() const;
  // How many request heads have ended so far (each one whole and within the rules).
  uint64_t heads() const { return heads_; }
  // Between requests: gives back the memory of the last line read (its longest header line,
  // kept for the next line's reuse; a connection that waits keeps none).
  void Release() {
    if (state_ == State::kIdle && line_.empty()) std::string().swap(line_);
  }

 private:
  enum class State {
    kIdle,       // between requests
    kHead,       // in the request line or the headers
    kBody,       // Content-Length bytes of a body
    kChunkSize,  // a chunk-size line
    kChunkData,  // the bytes of a chunk
    kChunkEnd,   // the line break after a chunk's bytes
    kTrailer,    // trailer lines after the last chunk
  };

  // Keeps or drops `n` body bytes; false when a discarded body grows past its limit.
  bool CountBody(size_t n);
  // Judges one complete head line (without its line break); false when it breaks a rule.
  bool HeadLine(const std::string& line);
  // The head ended: decides how the body is framed; false when it cannot be.
  bool EndHead();
  bool ChunkSizeLine(const std::string& line);
  void Reject(int status, const std::string& reason, const std::string& detail = "");
  void StartRequest();

  FramingLimits limits_;
  State state_ = State::kIdle;
  std::string line_;         // the line being read (head, chunk size or trailer)
  size_t head_bytes_ = 0;    // bytes of the current head so far
  size_t header_lines_ = 0;  // header lines of the current head so far
  std::string method_;
  bool http10_ = false;
  bool chunked_ = false;
  bool has_length_ = false;
  bool discard_ = false;    // the current body is dropped, not given to the parser
  uint64_t body_left_ = 0;  // bytes left of a Content-Length body or of a chunk
  uint64_t discarded_ = 0;  // bytes dropped of the current body
  uint64_t content_length_ = 0;
  int skip_line_ends_ = 0;  // CR or LF bytes that may still be dropped before the next request
  std::string answer_;
  bool closed_ = false;
  uint64_t heads_ = 0;
};

}  // namespace kubedouble::net
