// An HTTP/2 stream's request and answer between the loop and a worker (see http2_stream.h).
#include "http2_stream.h"

#include <algorithm>
#include <cstring>

#include "answer.h"

namespace kubedouble::net::http2 {

namespace {
// A worker's writes wait while more than this waits to be sent on its stream.
constexpr size_t kHighWater = 256 * 1024;
}  // namespace

void Stream::Post(std::unique_lock<std::mutex>& lock) {
  if (posted_) return;
  posted_ = true;
  lock.unlock();
  post_();
}

void Stream::AppendBody(const uint8_t* data, size_t n, size_t max_body) {
  std::lock_guard lock(mu_);
  body_seen_ += n;
  if (body_seen_ > max_body) {
    body_too_big_ = true;
    body_.clear();
  } else {
    body_.append(reinterpret_cast<const char*>(data), n);
  }
  cv_.notify_all();
}

void Stream::EndBody() {
  std::lock_guard lock(mu_);
  body_done_ = true;
  cv_.notify_all();
}

bool Stream::ReadBody(size_t max_body, const httplib::ContentReceiver& receiver) {
  const std::string length = request.get_header_value("Content-Length");
  if (!length.empty() && std::strtoull(length.c_str(), nullptr, 10) > max_body) return false;
  std::unique_lock lock(mu_);
  for (;;) {
    if (body_too_big_) return false;
    if (!body_.empty()) {
      std::string chunk;
      chunk.swap(body_);
      lock.unlock();
      if (!receiver(chunk.data(), chunk.size())) return false;
      lock.lock();
      continue;
    }
    if (body_done_) return true;
    if (closed_) return false;
    if (!cv_.wait_for(lock, io_timeout_,
                      [&] { return !body_.empty() || body_done_ || closed_ || body_too_big_; })) {
      return false;
    }
  }
}

void Stream::Respond(int status, const httplib::Headers& headers, bool has_body) {
  std::unique_lock lock(mu_);
  head_.status = status;
  head_.headers = headers;
  head_.has_body = has_body;
  head_ready_ = true;
  Post(lock);
}

void Stream::RespondWhole(int status, httplib::Headers headers, std::string body, bool post,
                          std::shared_ptr<const std::string> shared) {
  std::unique_lock lock(mu_);
  head_.status = status;
  head_.headers = std::move(headers);
  head_.has_body = shared ? !shared->empty() : !body.empty();
  head_ready_ = true;
  out_.swap(body);
  shared_out_ = std::move(shared);
  out_pos_ = 0;
  out_end_ = true;
  if (post) Post(lock);
}

bool Stream::Write(const char* data, size_t n) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, io_timeout_,
                    [&] { return closed_ || out_.size() - out_pos_ < kHighWater; })) {
    return false;
  }
  if (closed_ || reset_ != 0) return false;
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  out_.append(data, n);
  if (deferred_ && !resume_) {
    resume_ = true;
    Post(lock);
  }
  return true;
}

bool Stream::Flush() {
  std::unique_lock lock(mu_);
  ++flushing_;
  const bool sent =
      cv_.wait_for(lock, io_timeout_, [&] { return closed_ || out_pos_ == out_.size(); });
  --flushing_;
  return sent && !closed_ && reset_ == 0;
}

void Stream::End() {
  std::unique_lock lock(mu_);
  out_end_ = true;
  if (deferred_ && !resume_) {
    resume_ = true;
    Post(lock);
  }
}

void Stream::Reset(uint32_t code) {
  std::unique_lock lock(mu_);
  if (closed_ || reset_ != 0) return;
  reset_ = code;
  Post(lock);
}

void Stream::SetStreaming() {
  std::lock_guard lock(mu_);
  streaming_ = true;
}

bool Stream::streaming() {
  std::lock_guard lock(mu_);
  return streaming_ && !hung_up_ && !closed_;
}

bool Stream::hung_up() {
  std::lock_guard lock(mu_);
  return hung_up_;
}

void Stream::ForgetHangUp() {
  std::lock_guard lock(mu_);
  on_hang_up_.clear();
}

bool Stream::closed() {
  std::lock_guard lock(mu_);
  return closed_;
}

void Stream::OnHangUp(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!hung_up_) {
      on_hang_up_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

Stream::Pending Stream::TakePending() {
  std::lock_guard lock(mu_);
  Pending p;
  posted_ = false;
  if (head_ready_) {
    head_ready_ = false;
    p.head = true;
    p.answer = std::move(head_);
    if (!p.answer.has_body) eof_sent_ = true;  // the head ends the stream
  }
  if (reset_ != 0 && !closed_) p.reset = reset_;
  if (resume_) {
    resume_ = false;
    if (deferred_) {
      deferred_ = false;
      p.resume = true;
    }
  }
  return p;
}

ssize_t Stream::ReadAnswer(size_t size, bool& eof) {
  std::lock_guard lock(mu_);
  const std::string& out = shared_out_ ? *shared_out_ : out_;
  const size_t n = std::min(size, out.size() - out_pos_);
  if (out_end_ && n == out.size() - out_pos_) {
    eof = true;
    eof_sent_ = true;
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    deferred_ = true;
    return -1;
  }
  return static_cast<ssize_t>(n);
}

void Stream::TakeAnswer(size_t n, std::string& into) {
  std::lock_guard lock(mu_);
  const std::string& out = shared_out_ ? *shared_out_ : out_;
  const size_t left = out.size() - out_pos_;
  n = std::min(n, left);
  into.append(out, out_pos_, n);
  out_pos_ += n;
  if (out_pos_ == out.size()) {
    if (shared_out_) {
      shared_out_.reset();
    } else {
      out_.clear();
    }
    out_pos_ = 0;
  }
  // A writer waiting for room: there is some now. A flush waits for all of it to be taken.
  if ((left >= kHighWater && left - n < kHighWater) || (flushing_ > 0 && out_pos_ == 0)) {
    cv_.notify_all();
  }
}

void Stream::Closed(bool by_error) {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    if ((by_error || !eof_sent_) && !hung_up_) {
      hung_up_ = true;
      fns.swap(on_hang_up_);
    }
    on_hang_up_.clear();
    cv_.notify_all();
  }
  for (auto& fn : fns) fn();
}

void Stream::HangUp() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lock(mu_);
    if (hung_up_) return;
    hung_up_ = true;
    fns.swap(on_hang_up_);
    cv_.notify_all();
  }
  for (auto& fn : fns) fn();
}

namespace {

bool WriteProvided(Stream& stream, httplib::Response& res, httplib::detail::compressor* compressor,
                   const std::function<bool()>& stopping) {
  const size_t length = res.is_chunked_content_provider_ ? 0 : res.content_length_;
  size_t offset = 0;
  bool ok = true;
  bool done = false;
  auto send = [&](const char* data, size_t n) {
    if (compressor == nullptr) return n == 0 || stream.Write(data, n);
    std::string payload;
    return compressor->compress(data, n, false, [&](const char* d, size_t l) {
      payload.append(d, l);
      return true;
    }) && (payload.empty() || stream.Write(payload.data(), payload.size()));
  };
  httplib::DataSink sink;
  sink.write = [&](const char* data, size_t n) -> bool {
    if (ok) ok = send(data, n);
    if (ok) offset += n;
    return ok;
  };
  sink.done = [&] {
    if (done || !ok) return;
    done = true;
    if (compressor != nullptr) {
      std::string payload;
      ok = compressor->compress(nullptr, 0, true, [&](const char* d, size_t l) {
        payload.append(d, l);
        return true;
      }) && (payload.empty() || stream.Write(payload.data(), payload.size()));
    }
  };
  sink.is_writable = [&] { return ok && !stream.closed() && !stream.hung_up(); };
  while ((length == 0 ? !done : offset < length) && !stopping()) {
    // A provider that gives up ends its answer, as a Go handler's return ends its stream.
    if (!res.content_provider_(offset, length == 0 ? 0 : length - offset, sink) || !ok) break;
  }
  if (!ok || stream.closed()) return false;
  if (compressor != nullptr && !done) sink.done();
  stream.End();
  return ok;
}

}  // namespace

bool WriteAnswer(Stream& stream, const httplib::Request& req, httplib::Response& res,
                 std::shared_ptr<const std::string>& shared, const std::function<bool()>& stopping,
                 bool& whole) {
  whole = false;
  const bool provided = static_cast<bool>(res.content_provider_);
  std::unique_ptr<httplib::detail::compressor> compressor = PrepareAnswer(req, res, &shared);
  if (provided && !res.is_chunked_content_provider_ && res.content_length_ > 0) {
    res.set_header("Content-Length", std::to_string(res.content_length_));
  }
  const bool head_only = req.method == "HEAD";
  if (head_only || !provided) {
    whole = true;
    stream.RespondWhole(res.status, std::move(res.headers),
                        head_only ? std::string() : std::move(res.body), false,
                        head_only ? nullptr : std::move(shared));
    return !stream.closed() || !stream.hung_up();
  }
  stream.SetStreaming();
  stream.Respond(res.status, res.headers, true);
  return WriteProvided(stream, res, compressor.get(), stopping);
}

}  // namespace kubedouble::net::http2
