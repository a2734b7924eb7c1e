// What a handler may do with its request's connection (see exchange.h).
#include "kubedouble/net/exchange.h"

#include "connection.h"
#include "http2_stream.h"
#include "parking.h"

namespace kubedouble::net {

Exchange::Exchange(std::shared_ptr<Connection> conn, bool over_limit)
    : conn_(std::move(conn)), over_limit_(over_limit) {}

Exchange::Exchange(std::shared_ptr<Connection> conn, std::shared_ptr<http2::Stream> stream,
                   bool over_limit)
    : conn_(std::move(conn)), stream_(std::move(stream)), over_limit_(over_limit) {}

Exchange::~Exchange() = default;

void Exchange::SetBody(bool has_body, std::unique_ptr<httplib::ContentReader> reader) {
  has_body_ = has_body;
  reader_ = std::move(reader);
}

const httplib::ContentReader& Exchange::body() const {
  static const httplib::ContentReader kNoBody(
      [](const httplib::ContentReceiver&) { return true; },
      [](const httplib::MultipartContentHeader&, const httplib::ContentReceiver&) {
        return false;
      });
  return reader_ ? *reader_ : kNoBody;
}

bool Exchange::hung_up() const {
  if (stream_) return stream_->hung_up();
  std::lock_guard lock(conn_->mu);
  return conn_->hung_up;
}

void Exchange::OnHangUp(std::function<void()> fn) {
  if (stream_) return stream_->OnHangUp(std::move(fn));
  {
    std::lock_guard lock(conn_->mu);
    if (!conn_->hung_up) {
      conn_->on_hang_up.push_back(std::move(fn));
      conn_->ListenForHangUp();
      return;
    }
  }
  fn();
}

void Exchange::Reset() { conn_->Reset(); }

void Exchange::Close() { conn_->Shutdown(); }

bool Exchange::WriteRaw(std::string_view bytes) { return conn_->Write(bytes.data(), bytes.size()); }

bool Exchange::Flush() { return stream_ ? stream_->Flush() : !conn_->ended(); }

bool Exchange::ended() const { return conn_->ended(); }

void Exchange::Upgrade(UpgradeTaker taker) { taker_ = std::move(taker); }

void Exchange::UnshareBody() {
  if (!shared_body_) return;
  if (response.body.empty()) response.body = *shared_body_;
  shared_body_.reset();
}

std::shared_ptr<StreamWaker> Exchange::WakeableStream() {
  if (!waker_) waker_ = std::make_shared<Parking>();
  return waker_;
}

}  // namespace kubedouble::net
