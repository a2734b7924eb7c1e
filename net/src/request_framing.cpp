// Request framing and head limits (see request_framing.h).
#include "request_framing.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "ascii_case.h"

namespace kubedouble::net {

namespace {

// Methods whose bodies cpp-httplib reads; any other method's body is discarded here.
bool ParserReadsBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE" ||
         method == "PRI";
}

// RFC 9110 token characters (header names, methods).
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

// A header value as Go accepts it: no control characters but horizontal tab.
bool IsValidValue(std::string_view v) {
  return std::none_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only, as Go's parseContentLength demands (no sign, no space inside, no empty value).
bool ParseLength(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 19) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  out = n;
  return true;
}

}  // namespace

bool RequestFraming::BodyPending() const {
  if (discard_) return false;
  switch (state_) {
    case State::kBody:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkEnd:
    case State::kTrailer:
      return true;
    default:
      return false;
  }
}

void RequestFraming::Reject(int status, const std::string& reason, const std::string& detail) {
  // Go's server answers a request it cannot parse with these bytes and closes the connection.
  std::string text = std::to_string(status) + " " + reason;
  std::string body = detail.empty() ? text : detail;
  answer_ = "HTTP/1.1 " + text +
            "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" + body;
}

void RequestFraming::StartRequest() {
  state_ = State::kHead;
  head_bytes_ = 0;
  header_lines_ = 0;
  method_.clear();
  http10_ = false;
  chunked_ = false;
  has_length_ = false;
  content_length_ = 0;
  discard_ = false;
  discarded_ = 0;
}

bool RequestFraming::HeadLine(const std::string& line) {
  if (method_.empty()) {  // the request line: METHOD SP target SP HTTP/x.y
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp1 == 0 || sp2 == sp1) {
      Reject(400, "Bad Request");
      return false;
    }
    std::string_view method(line.data(), sp1);
    if (!std::all_of(method.begin(), method.end(),
                     [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); })) {
      Reject(400, "Bad Request");
      return false;
    }
    method_ = std::string(method);
    http10_ = line.compare(sp2 + 1, std::string::npos, "HTTP/1.0") == 0;
    return true;
  }
  if (++header_lines_ > limits_.max_header_lines) {
    Reject(431, "Request Header Fields Too Large");
    return false;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) {  // also a folded continuation line, which Go refuses
    Reject(400, "Bad Request");
    return false;
  }
  std::string_view name(line.data(), colon);
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return IsTokenChar(static_cast<unsigned char>(c));
      })) {
    Reject(400, "Bad Request", "400 Bad Request: invalid header name");
    return false;
  }
  std::string_view value = TrimSpaces(std::string_view(line).substr(colon + 1));
  if (!IsValidValue(value)) {
    Reject(400, "Bad Request", "400 Bad Request: invalid header value");
    return false;
  }
  if (EqualsIgnoreCase(name, "Content-Length")) {
    uint64_t n = 0;
    if (!ParseLength(value, n) || (has_length_ && n != content_length_)) {
      Reject(400, "Bad Request");
      return false;
    }
    has_length_ = true;
    content_length_ = n;
  } else if (EqualsIgnoreCase(name, "Transfer-Encoding") && !http10_) {
    // Only "chunked", alone and once, as Go's server accepts it.
    if (chunked_ || !EqualsIgnoreCase(value, "chunked")) {
      Reject(501, "Not Implemented", "Unsupported transfer encoding");
      return false;
    }
    chunked_ = true;
  }
  return true;
}

bool RequestFraming::EndHead() {
  if (method_.empty()) {  // a head of nothing but its end cannot happen (empty lines are skipped)
    Reject(400, "Bad Request");
    return false;
  }
  ++heads_;
  discard_ = !ParserReadsBody(method_);
  discarded_ = 0;
  if (method_ == "POST") skip_line_ends_ = 4;
  if (chunked_) {  // Transfer-Encoding wins over Content-Length, as in Go
    state_ = State::kChunkSize;
  } else if (has_length_ && content_length_ > 0) {
    state_ = State::kBody;
    body_left_ = content_length_;
  } else {
    // No body. (Go reads none either; the server answers such a POST without reading.)
    state_ = State::kIdle;
    discard_ = false;
  }
  return true;
}

bool RequestFraming::ChunkSizeLine(const std::string& line) {
  std::string_view v = TrimSpaces(std::string_view(line).substr(0, line.find(';')));
  if (v.empty() || v.size() > 15) {
    Reject(400, "Bad Request");
    return false;
  }
  uint64_t size = 0;
  for (char c : v) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      Reject(400, "Bad Request");
      return false;
    }
    size = size * 16 + static_cast<uint64_t>(d);
  }
  if (size == 0) {
    state_ = State::kTrailer;
    header_lines_ = 0;
  } else {
    state_ = State::kChunkData;
    body_left_ = size;
  }
  return true;
}

bool RequestFraming::CountBody(size_t n) {
  if (!discard_) return true;
  discarded_ += n;
  if (discarded_ > limits_.max_discarded_body) {
    closed_ = true;  // Go closes such a connection without answering again
    return false;
  }
  return true;
}

size_t RequestFraming::Scan(char* data, size_t n) {
  if (Rejected()) return 0;
  // cpp-httplib reads a head a byte at a time: a byte inside a head line needs no more than this.
  if (n == 1 && state_ == State::kHead && data[0] != '\n' &&
      line_.size() < limits_.max_line_bytes && head_bytes_ < limits_.max_head_bytes) {
    ++head_bytes_;
    line_.push_back(data[0]);
    return 1;
  }
  size_t kept = 0;
  size_t i = 0;
  auto keep = [&](size_t from, size_t count, bool body) {
    if (body && discard_) return;
    if (kept != from) std::memmove(data + kept, data + from, count);
    kept += count;
  };
  while (i < n) {
    switch (state_) {
      case State::kIdle:
        // After a POST, up to four CR or LF bytes are dropped (old clients end a body with a
        // line break), as Go's server does; anywhere else an empty request line is refused.
        if ((data[i] == '\r' || data[i] == '\n') && skip_line_ends_ > 0) {
          --skip_line_ends_;
          ++i;
          break;
        }
        skip_line_ends_ = 0;
        StartRequest();
        break;
      case State::kBody:
      case State::kChunkData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, n - i));
        if (!CountBody(take)) return 0;
        keep(i, take, true);
        i += take;
        body_left_ -= take;
        if (body_left_ == 0) state_ = state_ == State::kBody ? State::kIdle : State::kChunkEnd;
        if (state_ == State::kIdle) discard_ = false;
        break;
      }
      case State::kHead:
      case State::kChunkSize:
      case State::kChunkEnd:
      case State::kTrailer: {
        const bool body = state_ != State::kHead;
        const char* nl = static_cast<const char*>(std::memchr(data + i, '\n', n - i));
        size_t end = nl ? static_cast<size_t>(nl - data) + 1 : n;
        size_t count = end - i;
        if (!body) head_bytes_ += count;
        if (body && !CountBody(count)) return 0;
        line_.append(data + i, nl ? count - 1 : count);
        keep(i, count, body);
        i = end;
        if (line_.size() > limits_.max_line_bytes || head_bytes_ > limits_.max_head_bytes) {
          Reject(431, "Request Header Fields Too Large");
          return 0;
        }
        if (!nl) break;  // the line goes on in the next bytes
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        std::string line;
        line.swap(line_);
        bool ok = true;
        if (state_ == State::kHead) {
          ok = line.empty() ? EndHead() : HeadLine(line);
        } else if (state_ == State::kChunkSize) {
          ok = ChunkSizeLine(line);
        } else if (state_ == State::kChunkEnd) {
          if (!line.empty()) {
            Reject(400, "Bad Request");
            ok = false;
          }
          state_ = State::kChunkSize;
        } else if (line.empty()) {  // the end of the trailers: the request is complete
          state_ = State::kIdle;
          discard_ = false;
        } else if (++header_lines_ > limits_.max_header_lines) {
          Reject(431, "Request Header Fields Too Large");
          ok = false;
        }
        if (!ok) return 0;
        line.clear();
        line_.swap(line);  // the next line reuses this one's memory
        break;
      }
    }
  }
  return kept;
}

}  // namespace kubedouble::net
