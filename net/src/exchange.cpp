// What a handler may do with its request's connection (see exchange.h).
#include "kubedouble/net/exchange.h"

#include "connection.h"

namespace kubedouble::net {

Exchange::Exchange(std::shared_ptr<Connection> conn, bool over_limit)
    : conn_(std::move(conn)), over_limit_(over_limit) {}

Exchange::~Exchange() = default;

void Exchange::SetBody(bool has_body, std::unique_ptr<httplib::ContentReader> reader) {
  has_body_ = has_body;
  reader_ = std::move(reader);
}

bool Exchange::hung_up() const {
  std::lock_guard lock(conn_->mu);
  return conn_->hung_up;
}

void Exchange::OnHangUp(std::function<void()> fn) {
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

bool Exchange::ended() const { return conn_->ended(); }

void Exchange::Upgrade(UpgradeTaker taker) { taker_ = std::move(taker); }

}  // namespace kubedouble::net
