// One request at a time over an HTTP/2 connection, through nghttp2 (see http2_client.h).
#include "http2_client.h"

#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string_view>
#include <vector>

#include "kubedouble/base/strings.h"

namespace kubedouble::access::detail {

namespace {

constexpr size_t kReadSize = 16 * 1024;
// Go's transport: 4 MiB per stream, 1 GiB for the connection (the reader, not the window, is
// what holds a stream back: nothing more is read until the caller took what came).
constexpr int32_t kStreamWindow = 4 << 20;
constexpr int32_t kConnectionWindow = 1 << 30;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// HTTP/1.1's hop-by-hop headers, which HTTP/2 forbids (RFC 9113 8.2.2); Host is :authority.
bool LeftOut(std::string_view lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade" || lower == "host";
}

// Go sends a Content-Length for a body, and 0 for POST, PUT and PATCH without one.
bool SendsContentLength(const std::string& method, size_t length) {
  return length > 0 || method == "POST" || method == "PUT" || method == "PATCH";
}

nghttp2_nv Pair(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// The request under way and what has come of its answer.
struct Http2Connection::Stream {
  int32_t id = -1;
  const std::string* body = nullptr;
  size_t body_pos = 0;
  int status = 0;
  Headers headers;
  bool head = false;  // the final head (not a 1xx) is whole
  std::string data;   // body bytes received and not yet given to the caller
  bool closed = false;
  uint32_t error = 0;  // the RST_STREAM code that closed it
};

Http2Connection::Stream* Http2Connection::Current(int32_t stream_id) const {
  return stream_ && stream_->id == stream_id ? stream_.get() : nullptr;
}

Http2Connection::Http2Connection(std::shared_ptr<net::DialedConn> conn) : conn_(std::move(conn)) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  // The answer's head: its status and fields (a 1xx head's are dropped, and so are trailers).
  nghttp2_session_callbacks_set_on_header_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* self) {
        Stream* s = static_cast<Http2Connection*>(self)->Current(frame->hd.stream_id);
        if (s == nullptr || s->head) return 0;
        const std::string_view n(reinterpret_cast<const char*>(name), namelen);
        std::string v(reinterpret_cast<const char*>(value), valuelen);
        if (n == ":status") {
          s->status = std::atoi(v.c_str());
          s->headers.clear();
        } else if (!n.empty() && n.front() != ':') {
          s->headers.emplace(base::CanonicalHeaderKey(n), std::move(v));
        }
        return 0;
      });
  // The end of a head, and the server's GOAWAY.
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* self) {
        auto* c = static_cast<Http2Connection*>(self);
        if (frame->hd.type == NGHTTP2_GOAWAY) {
          c->goaway_ = true;
          c->goaway_last_stream_ = frame->goaway.last_stream_id;
          c->goaway_code_ = frame->goaway.error_code;
          c->goaway_debug_.assign(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                                  frame->goaway.opaque_data_len);
        } else if (Stream* s = c->Current(frame->hd.stream_id);
                   s != nullptr && frame->hd.type == NGHTTP2_HEADERS && s->status >= 200) {
          s->head = true;
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, [](nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
             void* self) {
        if (Stream* s = static_cast<Http2Connection*>(self)->Current(stream_id)) {
          s->data.append(reinterpret_cast<const char*>(data), len);
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, [](nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self) {
        if (Stream* s = static_cast<Http2Connection*>(self)->Current(stream_id)) {
          s->closed = true;
          s->error = error_code;
        }
        return 0;
      });
  nghttp2_session_client_new(&session_, cb, this);
  nghttp2_session_callbacks_del(cb);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  broken_ = !Flush();
}

Http2Connection::~Http2Connection() {
  if (session_ != nullptr) {
    // A polite end (GOAWAY), if the socket takes it soon.
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    conn_->set_io_timeout(std::chrono::milliseconds(100));
    if (!broken_) Flush();
    nghttp2_session_del(session_);
  }
}

bool Http2Connection::Flush() {
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      broken_why_ = nghttp2_strerror(static_cast<int>(n));
      return false;
    }
    if (n == 0) return true;
    if (!conn_->Write(
            std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(n)))) {
      return false;
    }
  }
}

bool Http2Connection::Receive() {
  char buf[kReadSize];
  const ssize_t n = conn_->Read(buf, sizeof buf);
  if (n <= 0) {
    broken_ = true;
    return false;
  }
  const ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf), n);
  if (rv < 0) {
    broken_why_ = nghttp2_strerror(static_cast<int>(rv));
    Flush();  // nghttp2's GOAWAY for the protocol error, if the socket takes it
    broken_ = true;
    return false;
  }
  return true;
}

void Http2Connection::Cancel() {
  if (stream_ && !stream_->closed) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_->id, NGHTTP2_CANCEL);
  }
  if (!Flush()) broken_ = true;
}

std::string Http2Connection::BrokenMessage() const {
  if (goaway_) {
    return fmt::format(
        "http2: server sent GOAWAY and closed the connection; LastStreamID={}, ErrCode={}, "
        "debug=\"{}\"",
        goaway_last_stream_, nghttp2_http2_strerror(goaway_code_), goaway_debug_);
  }
  if (!broken_why_.empty()) return "http2: " + broken_why_;
  return "http2: client connection lost";
}

bool Http2Connection::Usable() {
  if (broken_ || goaway_ || session_ == nullptr) return false;
  // What came while the connection was idle: a GOAWAY, a PING, the server's close.
  for (;;) {
    char buf[kReadSize];
    const ssize_t n = conn_->ReadNow(buf, sizeof buf);
    if (n == net::DialedConn::kAgain) break;
    if (n <= 0 ||
        nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf), n) < 0) {
      broken_ = true;
      return false;
    }
  }
  if (!Flush()) broken_ = true;
  return !broken_ && !goaway_ && nghttp2_session_want_read(session_) != 0 &&
         nghttp2_session_check_request_allowed(session_) != 0;
}

Http2Outcome Http2Connection::RoundTrip(const Request& request, const std::string& path,
                                        const Headers& headers, bool decompress, Response& answer) {
  Http2Outcome outcome;
  auto broken = [&] {
    outcome.kind = Http2Outcome::Kind::kBroken;
    outcome.message = BrokenMessage();
    return outcome;
  };
  if (broken_) return broken();

  // The head: pseudo-fields first, then the fields in lower case.
  std::vector<std::string> names, values;
  names.reserve(headers.size() + 8);
  values.reserve(headers.size() + 8);
  auto add = [&](std::string name, std::string value) {
    names.push_back(std::move(name));
    values.push_back(std::move(value));
  };
  const auto host = headers.find("Host");
  add(":method", request.method);
  add(":scheme", "https");
  add(":authority", host != headers.end() ? host->second : std::string());
  add(":path", path);
  for (const auto& [name, value] : headers) {
    std::string lower = Lower(name);
    if (LeftOut(lower) || lower == "content-length") continue;
    if (lower == "te" && Lower(value) != "trailers") continue;
    add(std::move(lower), value);
  }
  if (SendsContentLength(request.method, request.body.size())) {
    add("content-length", std::to_string(request.body.size()));
  }
  std::vector<nghttp2_nv> nv;
  nv.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) nv.push_back(Pair(names[i], values[i]));

  stream_ = std::make_unique<Stream>();
  stream_->body = &request.body;
  nghttp2_data_provider provider{};
  provider.source.ptr = stream_.get();
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                              uint32_t* flags, nghttp2_data_source* source, void*) -> ssize_t {
    auto* s = static_cast<Stream*>(source->ptr);
    const size_t n = std::min(length, s->body->size() - s->body_pos);
    std::copy_n(s->body->data() + s->body_pos, n, buf);
    s->body_pos += n;
    if (s->body_pos == s->body->size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  };
  stream_->id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                       request.body.empty() ? nullptr : &provider, nullptr);
  if (stream_->id < 0) {
    broken_why_ = nghttp2_strerror(stream_->id);
    broken_ = true;
    stream_.reset();
    return broken();
  }

  bool head_given = false;
  std::unique_ptr<httplib::detail::decompressor> decompressor;
  auto stop = [&] {
    Cancel();
    stream_.reset();
    outcome.kind = Http2Outcome::Kind::kStopped;
    return outcome;
  };
  for (;;) {
    if (!Flush()) {
      broken_ = true;
      stream_.reset();
      return broken();
    }
    Stream& s = *stream_;
    if (s.head && !head_given) {
      head_given = true;
      outcome.head_seen = true;
      answer.status = s.status;
      answer.headers = std::move(s.headers);
      if (decompress && Lower(answer.Header("Content-Encoding")) == "gzip") {
        // The caller gets the body as it was before compression, as from Go's transport: the
        // encoding and the compressed length no longer describe it.
        decompressor = std::make_unique<httplib::detail::gzip_decompressor>();
        answer.headers.erase("Content-Encoding");
        answer.headers.erase("Content-Length");
      }
      if (request.on_head && !request.on_head(answer)) return stop();
    }
    if (head_given && !s.data.empty()) {
      std::string piece;
      piece.swap(s.data);
      bool go_on = true;
      auto give = [&](const char* data, size_t n) {
        if (!request.on_body) {
          answer.body.append(data, n);
        } else if (go_on) {
          go_on = request.on_body(std::string_view(data, n));
        }
        return go_on;
      };
      if (decompressor) {
        if (!decompressor->decompress(piece.data(), piece.size(), give) && go_on) {
          Cancel();
          stream_.reset();
          outcome.kind = Http2Outcome::Kind::kReset;
          outcome.message = "gzip: invalid compressed data in the answer's body";
          return outcome;
        }
      } else {
        give(piece.data(), piece.size());
      }
      if (!go_on) return stop();
    }
    if (s.closed && s.data.empty()) {
      const uint32_t error = s.error;
      const int32_t id = s.id;
      stream_.reset();
      if (error == NGHTTP2_NO_ERROR && head_given) return outcome;  // kAnswered
      if (error == NGHTTP2_REFUSED_STREAM || (error == NGHTTP2_NO_ERROR && goaway_)) {
        outcome.kind = Http2Outcome::Kind::kRefused;
        outcome.message = error == NGHTTP2_REFUSED_STREAM && !goaway_
                              ? fmt::format("stream error: stream ID {}; REFUSED_STREAM", id)
                              : "http2: Transport received Server's graceful shutdown GOAWAY";
        return outcome;
      }
      outcome.kind = Http2Outcome::Kind::kReset;
      outcome.message = fmt::format("stream error: stream ID {}; {}; received from peer", id,
                                    nghttp2_http2_strerror(error));
      return outcome;
    }
    if (!Receive()) {
      stream_.reset();
      return broken();
    }
  }
}

}  // namespace kubedouble::access::detail
