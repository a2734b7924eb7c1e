// A connection's bytes to a container port and back (PortConnection in
// kubedouble/fakeserver/container_ports.h): HTTP/1.1 read a request at a time, or a raw echo.
#include <fmt/format.h>

#include <charconv>

#include "kubedouble/base/strings.h"
#include "kubedouble/fakeserver/container_ports.h"

namespace kubedouble::fake {

namespace {

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 16 * 1024 * 1024;

class EchoConnection : public PortConnection {
 public:
  std::string Receive(std::string_view bytes) override { return std::string(bytes); }
  bool Closed() const override { return false; }
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::optional<size_t> ParseSize(std::string_view text, int base) {
  size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string Serialize(const HttpResponse& r, bool head_only, bool close) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status, HttpReason(r.status));
  for (const auto& [name, value] : r.headers) out += name + ": " + value + "\r\n";
  out += fmt::format("Content-Length: {}\r\n", r.body.size());
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

class HttpConnection : public PortConnection {
 public:
  explicit HttpConnection(PortTarget target) : target_(std::move(target)) {}

  std::string Receive(std::string_view bytes) override {
    if (closed_) return "";
    buffer_.append(bytes);
    std::string out;
    while (!closed_) {
      std::optional<std::string> answer = Next();
      if (!answer) break;
      out += *answer;
    }
    return out;
  }
  bool Closed() const override { return closed_; }

 private:
  // The answer to the next whole request in the buffer, or nullopt while it is not whole.
  std::optional<std::string> Next() {
    size_t head_end = buffer_.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      if (buffer_.size() > kMaxHead) return Refuse(431, "request head too large");
      return std::nullopt;
    }
    std::string_view head(buffer_.data(), head_end);
    size_t line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    HttpRequest request;
    size_t sp1 = line.find(' ');
    size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1 || !line.substr(sp2 + 1).starts_with("HTTP/1."))
      return Refuse(400, "malformed request line");
    request.method = std::string(line.substr(0, sp1));
    request.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    bool http10 = line.substr(sp2 + 1) == "HTTP/1.0";
    std::optional<size_t> length;
    bool chunked = false;
    bool close = http10;
    std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
    while (!rest.empty()) {
      size_t eol = rest.find("\r\n");
      std::string_view h = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
      size_t colon = h.find(':');
      if (colon == std::string_view::npos || colon == 0) return Refuse(400, "malformed header");
      std::string name(h.substr(0, colon));
      std::string value(Trim(h.substr(colon + 1)));
      std::string lower = base::Lower(name);
      if (lower == "content-length") {
        length = ParseSize(value, 10);
        if (!length) return Refuse(400, "invalid Content-Length");
      } else if (lower == "transfer-encoding") {
        chunked = base::Lower(value) == "chunked";
        if (!chunked) return Refuse(501, "unsupported transfer encoding");
      } else if (lower == "connection") {
        std::string v = base::Lower(value);
        if (v == "close") close = true;
        if (v == "keep-alive") close = false;
      }
      request.headers.emplace_back(std::move(name), std::move(value));
    }
    size_t consumed = head_end + 4;
    if (chunked) {
      std::optional<size_t> end = ReadChunks(consumed, request.body);
      if (!end) return closed_ ? std::optional<std::string>(refusal_) : std::nullopt;
      consumed = *end;
    } else if (length) {
      if (*length > kMaxBody) return Refuse(413, "request body too large");
      if (buffer_.size() < consumed + *length) return std::nullopt;
      request.body = buffer_.substr(consumed, *length);
      consumed += *length;
    }
    buffer_.erase(0, consumed);
    if (close) closed_ = true;
    return Serialize(RespondHttp(target_, request), request.method == "HEAD", close);
  }

  // Reads a chunked body starting at `at` into `body`: the offset after it, or nullopt while it
  // is not whole (or when it is malformed: then closed_ and refusal_ are set).
  std::optional<size_t> ReadChunks(size_t at, std::string& body) {
    while (true) {
      size_t eol = buffer_.find("\r\n", at);
      if (eol == std::string::npos) return std::nullopt;
      std::string_view size_text(buffer_.data() + at, eol - at);
      size_text = size_text.substr(0, size_text.find(';'));
      std::optional<size_t> size = ParseSize(Trim(size_text), 16);
      if (!size || body.size() + *size > kMaxBody) {
        Refuse(400, "malformed chunked body");
        return std::nullopt;
      }
      at = eol + 2;
      if (*size == 0) {  // trailers up to an empty line
        size_t end = buffer_.find("\r\n", at);
        while (end != std::string::npos && end != at) {
          at = end + 2;
          end = buffer_.find("\r\n", at);
        }
        if (end == std::string::npos) return std::nullopt;
        return end + 2;
      }
      if (buffer_.size() < at + *size + 2) return std::nullopt;
      body.append(buffer_, at, *size);
      at += *size + 2;
    }
  }

  // A plain-text refusal, after which the connection closes (as Go's server does).
  std::string Refuse(int status, const std::string& why) {
    closed_ = true;
    buffer_.clear();
    HttpResponse r;
    r.status = status;
    r.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
    r.body = fmt::format("{} {}: {}", status, HttpReason(status), why);
    refusal_ = Serialize(r, false, true);
    return refusal_;
  }

  PortTarget target_;
  std::string buffer_;
  std::string refusal_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<PortConnection> OpenPortConnection(const PortTarget& target) {
  if (!target.listening) return nullptr;
  if (target.rule.mode == PortRule::Mode::kEcho) return std::make_unique<EchoConnection>();
  return std::make_unique<HttpConnection>(target);
}

}  // namespace kubedouble::fake
