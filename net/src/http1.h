// HTTP/1.1 on a Connection: a request head into an httplib::Request, its body as an
// httplib::ContentReader, and an httplib::Response (a body, or a content provider) onto the wire.
// The bytes were framed before they get here (request_framing.h): a head is whole and within
// Go's rules, so parsing only has to split it.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "connection.h"

namespace kubedouble::net::http1 {

// Takes the head at the front of conn's input into `req` (method, target, path, params, version,
// headers). 0, or the status to refuse it with: 400 (not a request line cpp-httplib's parser
// took: unknown method, version other than HTTP/1.0 and 1.1, a header line over 8 KiB) or 414
// (a request line over 8 KiB).
int ParseHead(Connection& conn, httplib::Request& req);

// The body's framing and how much of it was read.
struct Body {
  bool present = false;  // POST, PUT, PATCH, DELETE (or PRI) with Content-Length > 0 or chunked
  bool chunked = false;
  uint64_t length = 0;  // Content-Length
  bool done = false;    // read to its end
  bool expect_continue = false;
};
Body BodyOf(const httplib::Request& req);

// Reads `body` from the connection into `receiver`; false when it could not be read whole (the
// connection failed, the receiver said no, or Content-Length is over `max_body`).
bool ReadBody(Connection& conn, Body& body, size_t max_body,
              const httplib::ContentReceiver& receiver);

// The bytes of `res`, a whole answer (no content provider) to `req`: head and body (HEAD: no
// body), with "Connection: close" when `close`. `shared`: the exchange's shared body
// (Exchange::ShareBody; answer.h, PrepareAnswer), null when none.
std::string AnswerBytes(const httplib::Request& req, httplib::Response& res,
                        std::shared_ptr<const std::string>& shared, bool close);

// Writes `res`, an answer from a content provider (a whole answer leaves as AnswerBytes), to
// `req` (HEAD: the head only), with "Connection: close" when `close` or when the provider gives
// no length. The provider runs here; `stopping` ends a stream between two of its calls. False
// when the connection failed or the provider gave up.
bool WriteAnswer(Connection& conn, const httplib::Request& req, httplib::Response& res, bool close,
                 const std::function<bool()>& stopping);

// The head of `res`, a chunked content provider's answer to `req` (Transfer-Encoding: chunked;
// "Connection: close" when `close`), written now; `written` false when it could not be. Returns
// the compressor the body's bytes go through (nullptr: none). The body then leaves as Chunk()s
// and ends with kLastChunk.
std::unique_ptr<httplib::detail::compressor> WriteStreamHead(Connection& conn,
                                                             const httplib::Request& req,
                                                             httplib::Response& res, bool close,
                                                             bool& written);
// One chunk of a chunked body: its size line, the bytes, the line break.
std::string Chunk(const char* data, size_t size);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// The status line and headers of `res`, with the blank line that ends them; the string has room
// for `room` more bytes (a body appended to it).
std::string Head(const httplib::Response& res, size_t room = 0);

// An answer the server gives itself before any handler (as Go's server words it), ending the
// connection.
std::string Refusal(int status);

// A request target ("/path?query#fragment") into req.target, req.path (decoded) and req.params.
void SetTarget(std::string_view target, httplib::Request& req);

// A header value without the blanks (spaces, tabs) around it.
std::string_view Trim(std::string_view s);

// The reason phrase of a status ("Not Found").
const char* Reason(int status);

}  // namespace kubedouble::net::http1
