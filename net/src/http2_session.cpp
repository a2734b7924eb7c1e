// An HTTP/2 connection's frames on the event loop (see http2_session.h).
#include "http2_session.h"

#include <algorithm>
#include <string_view>

#include <kubedouble/base/strings.h>

#include "connection.h"
#include "http1.h"

namespace kubedouble::net::http2 {

namespace {
// What nghttp2 has to send is gathered up to this much before one TLS write.
constexpr size_t kBatch = 64 * 1024;
constexpr size_t kReadSize = 16 * 1024;

// Headers of HTTP/1.1 connections that HTTP/2 forbids (RFC 9113 8.2.2): never sent.
bool ConnectionSpecific(std::string_view lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade";
}

// HPACK: a header whose value differs on every answer (the audit id) is sent as a literal that is
// not indexed. Indexing it would only push the headers that repeat (Content-Type, the flow-control
// UIDs, Cache-Control) out of the client's table one answer after another, and have them sent,
// and encoded, in full again.
uint8_t IndexFlag(std::string_view lower) {
  return lower == "audit-id" ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE;
}

nghttp2_nv Pair(const std::string& name, const std::string& value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

// Stream ids posted by workers, shared with the streams (which may outlive the session).
class Session::Mailbox {
 public:
  explicit Mailbox(std::function<void()> wake) : wake_(std::move(wake)) {}
  void Post(int32_t id) {
    bool first;
    {
      std::lock_guard lock(mu_);
      ids_.push_back(id);
      first = !woken_;
      woken_ = true;
    }
    if (first) wake_();
  }
  // Without waking the loop: the poster sends it, or the session's holder does.
  void Hand(int32_t id) {
    std::lock_guard lock(mu_);
    ids_.push_back(id);
    ++handed_;
  }
  bool Handed() {
    std::lock_guard lock(mu_);
    return handed_ != 0;
  }
  // The ids posted since the last Take, into `ids` (whose room the next posts reuse).
  void Take(std::vector<int32_t>& ids) {
    ids.clear();
    std::lock_guard lock(mu_);
    woken_ = false;
    handed_ = 0;
    ids.swap(ids_);
  }

 private:
  const std::function<void()> wake_;
  std::mutex mu_;
  std::vector<int32_t> ids_;
  bool woken_ = false;
  size_t handed_ = 0;
};

Session::Session(Connection& conn, Hooks hooks, size_t max_body,
                 std::chrono::milliseconds io_timeout, uint32_t max_streams)
    : conn_(conn),
      hooks_(std::move(hooks)),
      max_body_(max_body),
      io_timeout_(io_timeout),
      max_streams_(std::max<uint32_t>(max_streams, 1)),
      mailbox_(std::make_shared<Mailbox>(hooks_.wake)),
      idle_since_(std::chrono::steady_clock::now()) {
  nghttp2_session_callbacks* cb = nullptr;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cb, OnHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, OnFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, OnDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, OnStreamClose);
  nghttp2_session_callbacks_set_send_data_callback(cb, SendBody);
  // The request's HTTP rules are checked as Go's server checks them (http2_request_check.h), not
  // by nghttp2, which would reset a stream that asks for an Upgrade where Go answers 400. Leading
  // or trailing blanks in a header value are taken (and trimmed, as HTTP/1.1's are): Go's server
  // accepts them, and kubectl sends "Bearer " for a blank token.
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  nghttp2_option_set_no_http_messaging(option, 1);
  nghttp2_session_server_new2(&session_, cb, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(cb);
}

Session::~Session() {
  Abort();
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool Session::Start() {
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams_},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0) {
    return false;
  }
  return Flush();
}

Stream* Session::Find(int32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

int Session::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto* s = static_cast<Session*>(self);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const int32_t id = frame->hd.stream_id;
  std::weak_ptr<Mailbox> mailbox = s->mailbox_;
  auto stream = std::make_shared<Stream>(
      id,
      [mailbox, id] {
        if (auto m = mailbox.lock()) m->Post(id);
      },
      s->io_timeout_);
  stream->request.version = "HTTP/2.0";
  s->streams_[id] = std::move(stream);
  ++s->open_;
  return 0;
}

int Session::OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* self) {
  auto* s = static_cast<Session*>(self);
  Stream* stream = s->Find(frame->hd.stream_id);
  if (stream == nullptr) return 0;
  const std::string_view n(reinterpret_cast<const char*>(name), namelen);
  const std::string_view raw(reinterpret_cast<const char*>(value), valuelen);
  if (stream->dispatched) {  // trailers: checked, not kept
    return RequestCheck::TrailerField(n, raw) ? 0 : s->Malformed(frame->hd.stream_id);
  }
  if (!stream->check.Field(n, raw)) return s->Malformed(frame->hd.stream_id);
  const std::string_view v = http1::Trim(raw);
  httplib::Request& req = stream->request;
  if (n == ":method") {
    req.method = v;
  } else if (n == ":path") {
    http1::SetTarget(v, req);
  } else if (n == ":authority") {
    req.headers.emplace("Host", v);
  } else if (!n.empty() && n.front() != ':') {
    // HTTP/2 sends names in lower case; handlers (and the HTTP/1.1 requests the pod proxy
    // makes from them) see them as Go's server hands them over.
    req.headers.emplace(base::CanonicalHeaderKey(n), v);
  }
  return 0;
}

int Session::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* self) {
  auto* s = static_cast<Session*>(self);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto it = s->streams_.find(frame->hd.stream_id);
  if (it == s->streams_.end()) return 0;
  std::shared_ptr<Stream> stream = it->second;
  const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (end && !stream->check.BodyEnd()) {  // shorter than its Content-Length
    s->Malformed(stream->id());
    return 0;
  }
  if (frame->hd.type == NGHTTP2_HEADERS && !stream->dispatched) {
    if (!stream->check.HeadEnd()) {
      s->Malformed(stream->id());
      return 0;
    }
    stream->dispatched = true;
    stream->has_body = !end;
    if (end) stream->EndBody();
    if (!stream->check.bad_request().empty()) {
      s->AnswerBadRequest(*stream);
      return 0;
    }
    if (s->hooks_.dispatch(stream)) s->Shutdown();  // over the limit: this one is refused, no more
    return 0;
  }
  if (end) stream->EndBody();
  return 0;
}

int Session::OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t len, void* self) {
  auto* s = static_cast<Session*>(self);
  Stream* stream = s->Find(stream_id);
  if (stream == nullptr) return 0;
  if (!stream->check.Data(len)) {  // longer than its Content-Length
    s->Malformed(stream_id);
    return 0;
  }
  stream->AppendBody(data, len, s->max_body_);
  return 0;
}

int Session::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self) {
  auto* s = static_cast<Session*>(self);
  auto it = s->streams_.find(stream_id);
  if (it == s->streams_.end()) return 0;
  std::shared_ptr<Stream> stream = std::move(it->second);
  s->streams_.erase(it);
  if (--s->open_ == 0) s->idle_since_ = std::chrono::steady_clock::now();
  stream->Closed(error_code != NGHTTP2_NO_ERROR);
  return 0;
}

int Session::Malformed(int32_t stream_id) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_PROTOCOL_ERROR);
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

void Session::AnswerBadRequest(Stream& stream) {
  if (hooks_.refused) hooks_.refused(stream.request, 400);  // journaled before it is answered
  httplib::Headers headers = {{"Content-Type", "text/plain; charset=utf-8"},
                              {"X-Content-Type-Options", "nosniff"}};
  stream.RespondWhole(400, headers, stream.check.bad_request() + "\n");
}

ssize_t Session::ReadBody(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* flags,
                          nghttp2_data_source* source, void*) {
  bool eof = false;
  const ssize_t n = static_cast<Stream*>(source->ptr)->ReadAnswer(length, eof);
  if (n < 0) return NGHTTP2_ERR_DEFERRED;
  if (eof) *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (n > 0) *flags |= NGHTTP2_DATA_FLAG_NO_COPY;  // SendBody writes the frame
  return n;
}

int Session::SendBody(nghttp2_session*, nghttp2_frame* frame, const uint8_t* head, size_t length,
                      nghttp2_data_source* source, void* self) {
  auto* s = static_cast<Session*>(self);
  s->out_.append(reinterpret_cast<const char*>(head), 9);
  const size_t padding = frame->data.padlen;
  if (padding > 0) s->out_ += static_cast<char>(padding - 1);
  static_cast<Stream*>(source->ptr)->TakeAnswer(length, s->out_);
  if (padding > 1) s->out_.append(padding - 1, '\0');
  // Enough for one write: nghttp2_session_mem_send returns, Flush writes, then asks again.
  return s->out_.size() >= kBatch ? NGHTTP2_ERR_PAUSE : 0;
}

void Session::Submit(Stream& stream, const Stream::Head& head) {
  // The names in lower case, one after another in one buffer (sized whole first: the pairs
  // point into it); nghttp2 copies them. An ordinary answer's head fits the room on the stack;
  // a larger one takes the heap.
  size_t size = 0;
  for (const auto& [name, value] : head.headers) size += name.size();
  char lower_room[512];
  std::string lower_heap;
  char* lower = lower_room;
  if (size > sizeof lower_room) {
    lower_heap.resize(size);
    lower = lower_heap.data();
  }
  nghttp2_nv nv_room[24];
  std::vector<nghttp2_nv> nv_heap;
  nghttp2_nv* nv = nv_room;
  if (head.headers.size() + 1 > std::size(nv_room)) {
    nv_heap.resize(head.headers.size() + 1);
    nv = nv_heap.data();
  }
  static const std::string kStatus = ":status";
  const std::string status = std::to_string(head.status);
  size_t count = 0;
  nv[count++] = Pair(kStatus, status);
  for (const auto& [name, value] : head.headers) {
    char* to = lower;
    for (const char c : name) *to++ = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    const std::string_view n(lower, name.size());
    if (n.empty() || ConnectionSpecific(n)) continue;
    nv[count++] = {reinterpret_cast<uint8_t*>(lower),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), n.size(),
                   value.size(), IndexFlag(n)};
    lower = to;
  }
  nghttp2_data_provider body{};
  body.source.ptr = &stream;
  body.read_callback = ReadBody;
  nghttp2_submit_response(session_, stream.id(), nv, count, head.has_body ? &body : nullptr);
}

bool Session::OnEvent() {
  char buf[kReadSize];
  for (;;) {
    const int n = conn_.ReadAvailable(buf, sizeof buf);
    if (n < 0) return false;
    if (n == 0) break;
    const ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(buf), n);
    if (rv < 0) {
      Flush();  // nghttp2's GOAWAY for the protocol error, if the socket takes it
      return false;
    }
  }
  return Flush();
}

void Session::Hand(int32_t stream) { mailbox_->Hand(stream); }

bool Session::Handed() { return mailbox_->Handed(); }

bool Session::Pump() {
  mailbox_->Take(taken_);
  for (int32_t id : taken_) {
    auto it = streams_.find(id);
    if (it == streams_.end()) continue;
    std::shared_ptr<Stream> stream = it->second;
    Stream::Pending p = stream->TakePending();
    if (p.head) Submit(*stream, p.answer);
    if (p.reset != 0) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, p.reset);
    } else if (p.resume) {
      nghttp2_session_resume_data(session_, id);
    }
  }
  return Flush();
}

bool Session::Flush() {
  wants_write_ = false;
  for (;;) {
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
      while (out_.size() < kBatch) {
        const uint8_t* data = nullptr;
        const ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0) return false;
        if (n == 0) break;
        out_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      }
      if (out_.empty()) return true;
    }
    const size_t len = retry_len_ != 0 ? retry_len_ : out_.size() - out_pos_;
    const int n = conn_.WriteNow(out_.data() + out_pos_, len);
    if (n < 0) return false;
    if (n == 0) {
      retry_len_ = len;
      wants_write_ = true;
      return true;
    }
    retry_len_ = 0;
    out_pos_ += static_cast<size_t>(n);
  }
}

void Session::Shutdown() {
  if (goaway_) return;
  goaway_ = true;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

void Session::HangUpStreaming() {
  std::vector<std::shared_ptr<Stream>> streaming;
  for (auto& [id, stream] : streams_) {
    if (stream->streaming()) streaming.push_back(stream);
  }
  for (auto& stream : streaming) stream->HangUp();
}

void Session::Abort() {
  std::map<int32_t, std::shared_ptr<Stream>> streams;
  streams.swap(streams_);
  open_ = 0;
  for (auto& [id, stream] : streams) stream->Closed(true);
}

bool Session::Over() {
  if (out_pos_ != out_.size()) return false;
  if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
    return true;
  }
  return goaway_ && streams_.empty() && nghttp2_session_want_write(session_) == 0;
}

}  // namespace kubedouble::net::http2
