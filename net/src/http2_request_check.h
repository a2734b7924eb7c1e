// What an HTTP/2 request's head and body must be (RFC 9113 8.1-8.3), checked as Go's server
// checks them, for the server's sessions (http2_session.h).
//
// nghttp2's own HTTP checks are off there: they reset a stream that carries one of HTTP/1.1's
// connection headers (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade) or a
// TE other than "trailers", where Go's server, and so kube-apiserver, answers 400 Bad Request
// with a line that names the header — an exec's WebSocket or SPDY upgrade asked for over HTTP/2
// gets
//   request header "Upgrade" is not valid in HTTP/2
// Every other rule is kept, and breaking one still resets the stream with PROTOCOL_ERROR, as
// both Go and nghttp2 do: field names (token characters, lower case) and values (no control
// characters), the pseudo-header fields (:method, :scheme, :path, :authority; each once, before
// the other fields; :method, an http or https :scheme and a :path present, or a CONNECT's
// :authority alone), a Content-Length that is a number and that the body's length matches, and
// trailers without pseudo-header fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kubedouble::net::http2 {

class RequestCheck {
 public:
  // One field of the request's header block, as it arrived. False: the request is malformed.
  bool Field(std::string_view name, std::string_view value);
  // The header block is whole. False: the request is malformed.
  bool HeadEnd();
  // Go's answer (400, text/plain) when the head is well formed but not valid in HTTP/2, without
  // its newline: `request header "Upgrade" is not valid in HTTP/2`. Empty otherwise. Set by
  // HeadEnd.
  const std::string& bad_request() const { return bad_request_; }

  // `n` more body bytes arrived. False: more than the Content-Length.
  bool Data(size_t n);
  // The body ended. False: shorter than the Content-Length.
  bool BodyEnd() const;

  // A field of the trailers. False: the request is malformed (a pseudo-header field, a bad
  // name or value).
  static bool TrailerField(std::string_view name, std::string_view value);

 private:
  bool regular_seen_ = false;
  std::string method_, scheme_, path_;
  bool has_method_ = false, has_scheme_ = false, has_path_ = false, has_authority_ = false;
  bool has_host_ = false;
  bool te_seen_ = false;
  uint8_t connection_headers_ = 0;  // bits: which of HTTP/1.1's connection headers came
  bool bad_te_ = false;
  int64_t content_length_ = -1;  // -1: none declared
  uint64_t received_ = 0;
  std::string bad_request_;
};

}  // namespace kubedouble::net::http2
