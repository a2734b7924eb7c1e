// HTTP/1.1 heads, bodies and answers on a Connection (see http1.h).
#include "http1.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

#include "answer.h"
#include "ascii_case.h"

namespace kubedouble::net::http1 {

namespace {

// cpp-httplib's limits, kept: a request line over 8 KiB is 414, a header line over 8 KiB 400.
constexpr size_t kMaxRequestLine = 8192;
constexpr size_t kMaxHeaderLine = 8192;

bool KnownMethod(std::string_view m) {
  static constexpr std::array<std::string_view, 10> kMethods = {
      "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PRI"};
  return std::find(kMethods.begin(), kMethods.end(), m) != kMethods.end();
}

// The next line of `text` from `at` (without its line break); false when there is none.
bool NextLine(const std::string& text, size_t& at, std::string_view& line) {
  const size_t nl = text.find('\n', at);
  if (nl == std::string::npos) return false;
  line = std::string_view(text).substr(at, nl - at);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  at = nl + 1;
  return true;
}

bool ParseRequestLine(std::string_view line, httplib::Request& req) {
  std::string_view parts[3];
  size_t count = 0;
  size_t at = 0;
  while (at <= line.size()) {
    size_t sp = line.find(' ', at);
    if (sp == std::string_view::npos) sp = line.size();
    if (sp > at) {
      if (count == 3) return false;
      parts[count++] = line.substr(at, sp - at);
    }
    at = sp + 1;
  }
  if (count != 3 || !KnownMethod(parts[0])) return false;
  if (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0") return false;
  req.method = std::string(parts[0]);
  req.version = std::string(parts[2]);
  SetTarget(parts[1], req);
  return true;
}

// Takes what the parser used from the connection's input, and forgets it when all is taken.
void Consume(Connection& conn, size_t n) {
  conn.input_pos() += n;
  if (conn.input_pos() >= conn.input().size()) {
    conn.input().clear();
    conn.input_pos() = 0;
  }
}

size_t Available(Connection& conn) { return conn.input().size() - conn.input_pos(); }

// One line of a chunked body (its line break dropped), reading as needed.
bool ReadLine(Connection& conn, std::string& line) {
  for (;;) {
    const std::string& in = conn.input();
    const size_t nl = in.find('\n', conn.input_pos());
    if (nl != std::string::npos) {
      line.assign(in, conn.input_pos(), nl - conn.input_pos());
      if (!line.empty() && line.back() == '\r') line.pop_back();
      Consume(conn, nl + 1 - conn.input_pos());
      return true;
    }
    if (!conn.ReadMore()) return false;
  }
}

// Hands up to `left` bytes to `receiver` as they come; false on a failure or a refusal.
bool Deliver(Connection& conn, uint64_t left, uint64_t& offset, uint64_t total,
             const httplib::ContentReceiver& receiver) {
  while (left > 0) {
    if (Available(conn) == 0 && !conn.ReadMore()) return false;
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, Available(conn)));
    const char* data = conn.input().data() + conn.input_pos();
    const bool ok = receiver(data, n);
    (void)total;
    Consume(conn, n);
    offset += n;
    left -= n;
    if (!ok) return false;
  }
  return true;
}

std::string HexSize(size_t n) { return fmt::format("{:x}", n); }

}  // namespace

void SetTarget(std::string_view target, httplib::Request& req) {
  target = target.substr(0, target.find('#'));
  req.target = std::string(target);
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  // Only %-escapes are decoded (a '+' stays): a path without one is taken as it is.
  req.path = path.find('%') == std::string_view::npos
                 ? std::string(path)
                 : httplib::detail::decode_url(std::string(path), false);
  if (q != std::string_view::npos && q + 1 < target.size()) {
    httplib::detail::parse_query_text(std::string(target.substr(q + 1)), req.params);
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Head(const httplib::Response& res, size_t room) {
  const char* reason = Reason(res.status);
  size_t size = 32 + std::strlen(reason) + room;
  for (const auto& [name, value] : res.headers) size += name.size() + value.size() + 4;
  std::string head;
  head.reserve(size);  // one allocation for the head and what follows it
  head += "HTTP/1.1 ";
  head += std::to_string(res.status);
  head += ' ';
  head += reason;
  head += "\r\n";
  for (const auto& [name, value] : res.headers) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  head += "\r\n";
  return head;
}

namespace {

// A chunked stream from the response's content provider, compressed when asked.
bool WriteChunked(Connection& conn, httplib::Response& res, httplib::detail::compressor* compressor,
                  const std::function<bool()>& stopping) {
  size_t offset = 0;
  bool available = true;
  bool ok = true;
  auto chunk = [&](const char* data, size_t n) {
    if (n == 0) return true;
    const std::string out = Chunk(data, n);
    return conn.Write(out.data(), out.size());
  };
  httplib::DataSink sink;
  sink.write = [&](const char* data, size_t n) -> bool {
    if (!ok) return false;
    available = n > 0;
    offset += n;
    if (compressor == nullptr) {
      ok = chunk(data, n);
    } else {
      std::string payload;
      ok = compressor->compress(data, n, false, [&](const char* d, size_t l) {
        payload.append(d, l);
        return true;
      }) && chunk(payload.data(), payload.size());
    }
    return ok;
  };
  sink.done = [&] {
    if (!ok) return;
    available = false;
    if (compressor != nullptr) {
      std::string payload;
      ok = compressor->compress(nullptr, 0, true, [&](const char* d, size_t l) {
        payload.append(d, l);
        return true;
      }) && chunk(payload.data(), payload.size());
      if (!ok) return;
    }
    ok = conn.Write(kLastChunk.data(), kLastChunk.size());
  };
  sink.is_writable = [&] { return ok && !conn.ended() && !conn.HungUp(); };
  while (available && !stopping()) {
    if (!res.content_provider_(offset, 0, sink)) return false;
    if (!ok) return false;
  }
  return true;
}

// A content provider of known length (Content-Length), or of none (ended by the close).
bool WriteProvided(Connection& conn, httplib::Response& res, size_t length,
                   const std::function<bool()>& stopping) {
  size_t offset = 0;
  bool ok = true;
  bool done = false;
  httplib::DataSink sink;
  sink.write = [&](const char* data, size_t n) -> bool {
    if (ok) ok = conn.Write(data, n);
    if (ok) offset += n;
    return ok;
  };
  sink.done = [&] { done = true; };
  sink.is_writable = [&] { return ok && !conn.ended() && !conn.HungUp(); };
  while ((length == 0 ? !done : offset < length) && !stopping()) {
    if (!res.content_provider_(offset, length == 0 ? 0 : length - offset, sink)) return false;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const char* Reason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Entity";
    case 428:
      return "Precondition Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 300   ? "OK"
             : status < 400 ? "Redirect"
             : status < 500 ? "Client Error"
                            : "Server Error";
  }
}

std::string Refusal(int status) {
  std::string text = fmt::format("{} {}", status, Reason(status));
  return fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
      "Content-Length: {}\r\n\r\n{}",
      text, text.size(), text);
}

int ParseHead(Connection& conn, httplib::Request& req) {
  const std::string& in = conn.input();
  size_t at = conn.input_pos();
  std::string_view line;
  conn.TakeHead();
  int status = 0;
  if (!NextLine(in, at, line)) return 400;  // cannot be: the framing saw a whole head
  if (line.size() + 2 > kMaxRequestLine) {
    status = 414;
  } else if (!ParseRequestLine(line, req)) {
    status = 400;
  }
  while (NextLine(in, at, line) && !line.empty()) {
    if (status != 0) continue;
    if (line.size() + 2 > kMaxHeaderLine) {
      status = 400;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // the framing refused such a line
    req.headers.emplace(std::string(line.substr(0, colon)),
                        std::string(Trim(line.substr(colon + 1))));
  }
  Consume(conn, at - conn.input_pos());
  return status;
}

Body BodyOf(const httplib::Request& req) {
  Body b;
  b.done = true;
  const std::string& m = req.method;
  if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE" && m != "PRI") return b;
  if (req.version != "HTTP/1.0" && req.has_header("Transfer-Encoding")) {
    b.present = b.chunked = true;  // the framing let only "chunked" through
  } else if (req.has_header("Content-Length")) {
    b.length = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
    b.present = b.length > 0;
  }
  b.done = !b.present;
  b.expect_continue = EqualsIgnoreCase(req.get_header_value("Expect"), "100-continue");
  return b;
}

bool ReadBody(Connection& conn, Body& body, size_t max_body,
              const httplib::ContentReceiver& receiver) {
  if (body.done) return true;
  if (!body.chunked && body.length > max_body) return false;
  if (body.expect_continue) {
    body.expect_continue = false;
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    if (!conn.Write(kContinue, sizeof kContinue - 1)) return false;
  }
  uint64_t offset = 0;
  if (!body.chunked) {
    if (!Deliver(conn, body.length, offset, body.length, receiver)) return false;
    body.done = true;
    return true;
  }
  std::string line;
  for (;;) {
    if (!ReadLine(conn, line)) return false;
    const uint64_t size = std::strtoull(line.c_str(), nullptr, 16);  // framed: hex digits
    if (size == 0) break;
    if (!Deliver(conn, size, offset, 0, receiver)) return false;
    if (!ReadLine(conn, line)) return false;  // the chunk's line break
  }
  do {  // trailers, up to the blank line
    if (!ReadLine(conn, line)) return false;
  } while (!line.empty());
  body.done = true;
  return true;
}

std::string Chunk(const char* data, size_t size) {
  std::string out = HexSize(size) + "\r\n";
  out.append(data, size);
  out += "\r\n";
  return out;
}

std::unique_ptr<httplib::detail::compressor> WriteStreamHead(Connection& conn,
                                                             const httplib::Request& req,
                                                             httplib::Response& res, bool close,
                                                             bool& written) {
  std::unique_ptr<httplib::detail::compressor> compressor = PrepareAnswer(req, res);
  res.set_header("Transfer-Encoding", "chunked");
  if (close) res.set_header("Connection", "close");
  const std::string head = Head(res);
  written = conn.Write(head.data(), head.size());
  return compressor;
}

std::string AnswerBytes(const httplib::Request& req, httplib::Response& res,
                        std::shared_ptr<const std::string>& shared, bool close) {
  PrepareAnswer(req, res, &shared);
  if (close) res.set_header("Connection", "close");
  const std::string_view body = req.method == "HEAD" ? std::string_view() : WholeBody(res, shared);
  std::string bytes = Head(res, body.size());
  bytes += body;
  return bytes;
}

bool WriteAnswer(Connection& conn, const httplib::Request& req, httplib::Response& res, bool close,
                 const std::function<bool()>& stopping) {
  std::unique_ptr<httplib::detail::compressor> compressor = PrepareAnswer(req, res);
  if (res.is_chunked_content_provider_) {
    res.set_header("Transfer-Encoding", "chunked");
  } else if (res.content_length_ > 0) {
    res.set_header("Content-Length", std::to_string(res.content_length_));
  } else {
    close = true;  // no length: the end of the stream ends the body
  }
  if (close) res.set_header("Connection", "close");
  // The head goes at once (a watcher learns its 200 before the first event).
  const std::string head = Head(res);
  if (!conn.Write(head.data(), head.size())) return false;
  if (req.method == "HEAD") return true;
  if (res.is_chunked_content_provider_) return WriteChunked(conn, res, compressor.get(), stopping);
  return WriteProvided(conn, res, res.content_length_, stopping);
}

}  // namespace kubedouble::net::http1
