// Many streams at once over one HTTP/2 connection, through nghttp2 (see http2_client.h).
#include "http2_client.h"

#include <httplib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "kubedouble/base/strings.h"

namespace kubedouble::access::detail {

namespace {

constexpr size_t kReadSize = 16 * 1024;
// Go's transport: 4 MiB per stream, 1 GiB for the connection, each given back as the caller takes
// the bytes; 100 streams until the server's SETTINGS say how many, 1000 when they say nothing.
constexpr int32_t kStreamWindow = 4 << 20;
constexpr int32_t kConnectionWindow = 1 << 30;
constexpr uint32_t kStreamsBeforeSettings = 100;
constexpr uint32_t kStreamsAtMost = 1000;
// Reads in a row before the thread looks again for something to send.
constexpr int kReadsInARow = 8;
// The ping timeout when the upkeep gives none, as Go's transport.
constexpr std::chrono::seconds kDefaultPingTimeout(15);

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

// A request on the connection and what has come of its answer. Owned by the caller and, while
// nghttp2 knows the stream, by the connection.
struct Http2Connection::Stream {
  int32_t id = -1;
  std::string body;  // the request's body (nghttp2 reads it from here)
  size_t body_pos = 0;
  bool sent = false;  // its HEADERS left
  int status = 0;
  Headers headers;
  bool head = false;  // the final head (not a 1xx) is whole
  std::string data;   // body bytes received and not yet given to the caller
  bool closed = false;
  uint32_t error = 0;      // the RST_STREAM code that closed it
  bool abandoned = false;  // the caller left: what comes is given back to the connection
  std::condition_variable cv;
};

Http2Connection::Stream* Http2Connection::Find(int32_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.get();
}

Http2Connection::Http2Connection(std::shared_ptr<net::DialedConn> conn,
                                 std::chrono::milliseconds wait_limit, Http2Upkeep upkeep)
    : conn_(std::move(conn)),
      wait_limit_(wait_limit),
      upkeep_(upkeep),
      last_read_(Clock::now()),
      idle_since_(last_read_),
      sleep_until_(Clock::time_point::max()) {
  conn_->set_io_timeout(wait_limit.count() > 0 ? wait_limit : std::chrono::seconds(30));
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  // The answer's head: its status and fields (a 1xx head's are dropped, and so are trailers).
  nghttp2_session_callbacks_set_on_header_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
             const uint8_t* value, size_t valuelen, uint8_t, void* self) {
        Stream* s = static_cast<Http2Connection*>(self)->Find(frame->hd.stream_id);
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
  // The end of a head, the server's SETTINGS and its GOAWAY.
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* self) {
        auto* c = static_cast<Http2Connection*>(self);
        if (frame->hd.type == NGHTTP2_GOAWAY) {
          c->goaway_ = true;
          c->goaway_last_stream_ = frame->goaway.last_stream_id;
          c->goaway_code_ = frame->goaway.error_code;
          c->goaway_debug_.assign(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                                  frame->goaway.opaque_data_len);
        } else if (frame->hd.type == NGHTTP2_PING && (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0 &&
                   std::memcmp(frame->ping.opaque_data, c->ping_data_, sizeof c->ping_data_) == 0) {
          c->ping_out_ = false;  // the server is there
        } else if (frame->hd.type == NGHTTP2_SETTINGS &&
                   (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
          c->settings_seen_ = true;
          c->settings_cv_.notify_all();
        } else if (Stream* s = c->Find(frame->hd.stream_id);
                   s != nullptr && frame->hd.type == NGHTTP2_HEADERS && s->status >= 200) {
          s->head = true;
          s->cv.notify_all();
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_frame_send_callback(
      cb, [](nghttp2_session*, const nghttp2_frame* frame, void* self) {
        Stream* s = static_cast<Http2Connection*>(self)->Find(frame->hd.stream_id);
        if (s != nullptr && frame->hd.type == NGHTTP2_HEADERS) s->sent = true;
        return 0;
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cb, [](nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
             void* self) {
        auto* c = static_cast<Http2Connection*>(self);
        Stream* s = c->Find(stream_id);
        if (s == nullptr || s->abandoned) {
          c->to_consume_.emplace_back(stream_id, len);  // no one will read it
        } else {
          s->data.append(reinterpret_cast<const char*>(data), len);
          s->cv.notify_all();
        }
        return 0;
      });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cb, [](nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self) {
        auto* c = static_cast<Http2Connection*>(self);
        auto it = c->streams_.find(stream_id);
        if (it == c->streams_.end()) return 0;
        it->second->closed = true;
        it->second->error = error_code;
        it->second->cv.notify_all();
        c->streams_.erase(it);  // the caller keeps its own reference
        c->MaybeIdle();
        return 0;
      });
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_peer_max_concurrent_streams(option, kStreamsBeforeSettings);
  nghttp2_session_client_new2(&session_, cb, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(cb);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  thread_ = std::thread([this] { Run(); });
}

Http2Connection::~Http2Connection() {
  {
    // A polite end (GOAWAY), which the thread sends before it leaves.
    std::lock_guard<std::mutex> lock(mu_);
    nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
    stopping_ = true;
  }
  Wake();
  thread_.join();
  Fail();  // streams a caller still waits on (there are none while the transport holds them)
  nghttp2_session_del(session_);
  ::close(wake_fd_);
}

void Http2Connection::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

bool Http2Connection::Collect(std::string& out) {
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      broken_why_ = nghttp2_strerror(static_cast<int>(n));
      return false;
    }
    if (n == 0) return true;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool Http2Connection::Flush() {
  std::lock_guard<std::mutex> writing(write_mu_);
  std::string out;
  bool collected = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) return false;
    collected = Collect(out);
  }
  if (collected && (out.empty() || conn_->Write(out))) return true;
  Fail();
  return false;
}

void Http2Connection::Fail() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead_ = true;
    for (auto& [id, s] : streams_) s->cv.notify_all();
    settings_cv_.notify_all();
  }
  Wake();  // the thread leaves
}

void Http2Connection::Leave() {
  Fail();
  // Not under a write in progress (that writer fails by itself, and a write to a socket shut
  // here would raise SIGPIPE); later writers see the connection dead and write nothing.
  std::unique_lock<std::mutex> writing(write_mu_, std::try_to_lock);
  if (writing.owns_lock()) ::shutdown(conn_->fd(), SHUT_RDWR);
}

void Http2Connection::MaybeIdle() {
  if (reserved_ != 0 || !streams_.empty()) return;
  idle_since_ = Clock::now();
  if (upkeep_.idle_timeout.count() > 0 && idle_since_ + upkeep_.idle_timeout < sleep_until_) {
    Wake();  // the thread would sleep past the idle timeout
  }
}

int Http2Connection::Upkeep(Clock::time_point now) {
  Clock::time_point next = Clock::time_point::max();
  if (upkeep_.idle_timeout.count() > 0 && reserved_ == 0 && streams_.empty()) {
    const Clock::time_point due = idle_since_ + upkeep_.idle_timeout;
    if (now >= due) {
      spdlog::debug("http2: closing the connection, idle for {} ms", upkeep_.idle_timeout.count());
      nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);  // GOAWAY, then the close
      stopping_ = true;
      return 0;
    }
    next = due;
  }
  if (upkeep_.read_idle_timeout.count() > 0) {
    const std::chrono::milliseconds ping_timeout =
        upkeep_.ping_timeout.count() > 0 ? upkeep_.ping_timeout : kDefaultPingTimeout;
    if (!ping_out_ && now >= last_read_ + upkeep_.read_idle_timeout) {
      thread_local std::mt19937_64 random{std::random_device{}()};
      const uint64_t payload = random();
      std::memcpy(ping_data_, &payload, sizeof ping_data_);
      nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, ping_data_);
      ping_out_ = true;
      ping_sent_ = now;
      spdlog::debug("http2: nothing read for {} ms; PING sent", upkeep_.read_idle_timeout.count());
    }
    if (ping_out_ && now >= ping_sent_ + ping_timeout) {
      spdlog::debug("http2: no PING ACK within {} ms; the connection is lost",
                    ping_timeout.count());
      lost_ = true;
      return 0;
    }
    next = std::min(next,
                    ping_out_ ? ping_sent_ + ping_timeout : last_read_ + upkeep_.read_idle_timeout);
  }
  sleep_until_ = next;
  if (next == Clock::time_point::max()) return -1;
  // Rounded up, so that the thread wakes once the moment has come.
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
  return static_cast<int>(std::clamp<int64_t>(wait, 1, INT_MAX));
}

void Http2Connection::Run() {
  char buf[kReadSize];
  for (;;) {
    bool stopping = false, lost = false;
    int wait_ms = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopping_ && !dead_) wait_ms = Upkeep(Clock::now());
      stopping = stopping_ || dead_;
      lost = lost_;
    }
    if (lost) return Leave();  // nothing more is written to a server that does not answer
    if (!Flush() || stopping) return Leave();
    pollfd fds[2] = {{conn_->fd(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const bool pending = conn_->Pending();
    if (::poll(fds, 2, pending ? 0 : wait_ms) < 0 && errno != EINTR) return Leave();
    if (fds[1].revents != 0) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
    }
    if (!pending && fds[0].revents == 0) continue;
    for (int i = 0; i < kReadsInARow; ++i) {
      const ssize_t n = conn_->ReadNow(buf, sizeof buf);
      if (n == net::DialedConn::kAgain) break;
      if (n <= 0) return Leave();
      std::unique_lock<std::mutex> lock(mu_);
      last_read_ = Clock::now();
      const ssize_t rv =
          nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf), n);
      if (rv < 0) {
        broken_why_ = nghttp2_strerror(static_cast<int>(rv));
        lock.unlock();
        Flush();  // nghttp2's GOAWAY for the protocol error, if the socket takes it
        return Leave();
      }
      for (const auto& [id, size] : to_consume_) nghttp2_session_consume(session_, id, size);
      to_consume_.clear();
    }
  }
}

void Http2Connection::AwaitSettings() {
  std::unique_lock<std::mutex> lock(mu_);
  settings_cv_.wait_for(lock, wait_limit_.count() > 0 ? wait_limit_ : std::chrono::seconds(30),
                        [&] { return settings_seen_ || dead_; });
}

bool Http2Connection::Open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !dead_ && !goaway_ && !stopping_ && nghttp2_session_check_request_allowed(session_) != 0;
}

bool Http2Connection::Reserve() {
  std::lock_guard<std::mutex> lock(mu_);
  if (dead_ || goaway_ || stopping_ || nghttp2_session_check_request_allowed(session_) == 0)
    return false;
  const uint32_t allowed = std::min(
      kStreamsAtMost,
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS));
  if (reserved_ >= allowed) return false;
  ++reserved_;
  return true;
}

void Http2Connection::Cancel(Stream& s) {
  if (!s.closed && !dead_) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_CANCEL);
  }
  s.abandoned = true;
  if (!s.data.empty()) {
    nghttp2_session_consume(session_, s.id, s.data.size());
    s.data.clear();
  }
}

std::string Http2Connection::BrokenMessage() const {
  // A late PING ACK: Go's transport's words for it, those of a lost connection.
  if (lost_) return "http2: client connection lost";
  if (goaway_) {
    return fmt::format(
        "http2: server sent GOAWAY and closed the connection; LastStreamID={}, ErrCode={}, "
        "debug=\"{}\"",
        goaway_last_stream_, nghttp2_http2_strerror(goaway_code_), goaway_debug_);
  }
  if (!broken_why_.empty()) return "http2: " + broken_why_;
  return "http2: client connection lost";
}

template <typename Ready>
bool Http2Connection::Wait(std::unique_lock<std::mutex>& lock, Stream& s, Ready ready) {
  if (wait_limit_.count() <= 0) {
    s.cv.wait(lock, ready);
    return true;
  }
  return s.cv.wait_for(lock, wait_limit_, ready);
}

Http2Outcome Http2Connection::RoundTrip(const Request& request, const std::string& path,
                                        const Headers& headers, bool decompress, Response& answer) {
  Http2Outcome outcome;
  // The place taken with Reserve is given back however the round trip ends.
  struct Place {
    Http2Connection* c;
    ~Place() {
      std::lock_guard<std::mutex> lock(c->mu_);
      --c->reserved_;
      c->MaybeIdle();
    }
  } place{this};

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

  auto stream = std::make_shared<Stream>();
  Stream& s = *stream;
  s.body = request.body;
  nghttp2_data_provider provider{};
  provider.source.ptr = stream.get();
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                              uint32_t* flags, nghttp2_data_source* source, void*) -> ssize_t {
    auto* st = static_cast<Stream*>(source->ptr);
    const size_t n = std::min(length, st->body.size() - st->body_pos);
    std::copy_n(st->body.data() + st->body_pos, n, buf);
    st->body_pos += n;
    if (st->body_pos == st->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  };

  std::unique_lock<std::mutex> lock(mu_);
  if (dead_) {
    outcome.kind = Http2Outcome::Kind::kRefused;
    outcome.message = BrokenMessage();
    return outcome;
  }
  s.id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                s.body.empty() ? nullptr : &provider, nullptr);
  if (s.id < 0) {
    outcome.kind = Http2Outcome::Kind::kRefused;
    outcome.message = fmt::format("http2: {}", nghttp2_strerror(s.id));
    return outcome;
  }
  streams_.emplace(s.id, stream);
  lock.unlock();
  Flush();  // the request leaves from the caller's thread (a failure ends the wait below)
  lock.lock();

  bool head_given = false;
  std::unique_ptr<httplib::detail::decompressor> decompressor;
  auto stop = [&](Http2Outcome::Kind kind, std::string message) {
    Cancel(s);
    lock.unlock();
    Flush();
    outcome.kind = kind;
    outcome.message = std::move(message);
    return outcome;
  };
  for (;;) {
    const bool woken = Wait(lock, s, [&] {
      return (s.head && !head_given) || (head_given && !s.data.empty()) || s.closed || dead_;
    });
    if (!woken) return stop(Http2Outcome::Kind::kTimedOut, "");
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
      if (request.on_head) {
        lock.unlock();
        const bool go_on = request.on_head(answer);
        lock.lock();
        if (!go_on) return stop(Http2Outcome::Kind::kStopped, "");
      }
    }
    if (head_given && !s.data.empty()) {
      std::string piece;
      piece.swap(s.data);
      lock.unlock();
      bool go_on = true;
      auto give = [&](const char* data, size_t n) {
        if (!request.on_body) {
          answer.body.append(data, n);
        } else if (go_on) {
          go_on = request.on_body(std::string_view(data, n));
        }
        return go_on;
      };
      bool bad_gzip = false;
      if (decompressor) {
        bad_gzip = !decompressor->decompress(piece.data(), piece.size(), give) && go_on;
      } else {
        give(piece.data(), piece.size());
      }
      lock.lock();
      // Taken: the windows open again by as much (WINDOW_UPDATE when nghttp2 finds it worth it).
      nghttp2_session_consume(session_, s.id, piece.size());
      if (bad_gzip) {
        return stop(Http2Outcome::Kind::kReset,
                    "gzip: invalid compressed data in the answer's body");
      }
      if (!go_on) return stop(Http2Outcome::Kind::kStopped, "");
      if (nghttp2_session_want_write(session_) != 0) {
        lock.unlock();
        Flush();
        lock.lock();
      }
      continue;
    }
    if (s.closed && s.data.empty()) {
      if (s.error == NGHTTP2_NO_ERROR && head_given) return outcome;  // kAnswered
      if (!s.sent || s.error == NGHTTP2_REFUSED_STREAM ||
          (s.error == NGHTTP2_NO_ERROR && goaway_)) {
        outcome.kind = Http2Outcome::Kind::kRefused;
        if (goaway_) {
          outcome.message = "http2: Transport received Server's graceful shutdown GOAWAY";
        } else if (s.error == NGHTTP2_REFUSED_STREAM) {
          outcome.message = fmt::format("stream error: stream ID {}; REFUSED_STREAM", s.id);
        } else {
          outcome.message = BrokenMessage();
        }
        return outcome;
      }
      outcome.kind = Http2Outcome::Kind::kReset;
      outcome.message = fmt::format("stream error: stream ID {}; {}; received from peer", s.id,
                                    nghttp2_http2_strerror(s.error));
      return outcome;
    }
    if (dead_ && !s.closed) {
      // The connection ended under the stream: one that never left was not processed.
      s.abandoned = true;
      outcome.kind = s.sent ? Http2Outcome::Kind::kBroken : Http2Outcome::Kind::kRefused;
      outcome.message = BrokenMessage();
      return outcome;
    }
  }
}

}  // namespace kubedouble::access::detail
