#include "kubedouble/net/relay.h"

#include <chrono>

namespace kubedouble::net {

bool WantsStream(const httplib::Request& req) {
  auto flag = [&](const char* name) {
    if (!req.has_param(name)) return false;
    std::string v = req.get_param_value(name);
    return v != "0" && v != "false";
  };
  return flag("watch") || flag("follow") || req.path.find("/watch/") != std::string::npos;
}

bool Relay::Head(int status, Headers headers) {
  std::lock_guard<std::mutex> lock(mu_);
  status_ = status;
  headers_ = std::move(headers);
  head_ready_ = true;
  cv_.notify_all();
  return !client_gone_;
}

bool Relay::Piece(std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  pieces_.emplace_back(data);
  cv_.notify_all();
  return !client_gone_;
}

void Relay::Finish(std::string error) {
  std::lock_guard<std::mutex> lock(mu_);
  error_ = std::move(error);
  done_ = true;
  cv_.notify_all();
}

bool Relay::Wait(bool stream) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_ || (stream && head_ready_); });
  return head_ready_;
}

std::string Relay::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void Relay::Answer(const std::shared_ptr<Relay>& relay, httplib::Response& res,
                   const std::string& content_type) {
  std::unique_lock<std::mutex> lock(relay->mu_);
  if (relay->done_) {
    std::string body;
    for (auto& piece : relay->pieces_) body += piece;
    relay->pieces_.clear();
    lock.unlock();
    res.set_content(body, content_type.empty() ? "text/plain" : content_type);
    return;
  }
  lock.unlock();
  res.set_chunked_content_provider(
      content_type.empty() ? "application/json" : content_type,
      [relay](size_t, httplib::DataSink& sink) {
        std::unique_lock<std::mutex> l(relay->mu_);
        if (!relay->cv_.wait_for(l, std::chrono::milliseconds(200),
                                 [&] { return !relay->pieces_.empty() || relay->done_; })) {
          return sink.is_writable();
        }
        while (!relay->pieces_.empty()) {
          std::string piece = std::move(relay->pieces_.front());
          relay->pieces_.pop_front();
          l.unlock();
          if (!sink.write(piece.data(), piece.size())) return false;
          l.lock();
        }
        if (relay->done_) sink.done();
        return true;
      },
      [relay](bool) {
        std::lock_guard<std::mutex> g(relay->mu_);
        relay->client_gone_ = true;
      });
}

}  // namespace kubedouble::net
