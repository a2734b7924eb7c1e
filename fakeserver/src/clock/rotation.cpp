#include "rotation.h"

namespace kubedouble::fake {

TokenRotation::TokenRotation(
    ServerClock& clock, std::chrono::seconds ttl, std::chrono::seconds grace,
    std::function<Minted(ServerClock::TimePoint, std::chrono::seconds)> mint,
    std::function<void(const std::string&)> publish)
    : clock_(clock),
      ttl_(ttl),
      grace_(grace),
      mint_(std::move(mint)),
      publish_(std::move(publish)) {}

TokenRotation::~TokenRotation() { Stop(); }

std::string TokenRotation::Start() {
  std::string token;
  {
    std::lock_guard lock(mu_);
    token = RotateLocked(clock_.Now());
    started_ = true;
  }
  clock_.OnAdvance([cv = cv_] { cv->notify_all(); });
  thread_ = std::thread([this] { Loop(); });
  return token;
}

void TokenRotation::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_->notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string TokenRotation::Rotate() {
  std::lock_guard lock(mu_);
  return RotateLocked(clock_.Now());
}

std::string TokenRotation::RotateLocked(ServerClock::TimePoint now) {
  // The token lives through its own period and the grace period after its replacement.
  Minted m = mint_(now, ttl_ + grace_);
  if (!current_jti_.empty()) retired_[current_jti_] = now + grace_;
  // Forget tokens that have expired on their own anyway.
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (it->second + ttl_ + grace_ < now) {
      it = retired_.erase(it);
    } else {
      ++it;
    }
  }
  current_jti_ = m.jti;
  next_ = now + ttl_;
  publish_(m.token);
  return m.token;
}

bool TokenRotation::Valid(const std::string& jti) const {
  std::lock_guard lock(mu_);
  auto it = retired_.find(jti);
  if (it == retired_.end()) return true;
  return clock_.Now() < it->second;
}

ServerClock::TimePoint TokenRotation::next_rotation() const {
  std::lock_guard lock(mu_);
  return next_;
}

void TokenRotation::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = clock_.Now();
    if (now >= next_) {
      RotateLocked(now);
      continue;
    }
    // A real clock: sleep until the rotation is due (at most 1 s at a time); a fake clock is
    // woken by Advance.
    auto wait = std::min<std::chrono::system_clock::duration>(next_ - now, std::chrono::seconds(1));
    cv_->wait_for(lock, wait);
  }
}

}  // namespace kubedouble::fake
