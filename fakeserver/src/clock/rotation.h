// The state folder's service-account token, re-minted every `ttl` by the server's clock and
// swapped in atomically (the kubelet's ..data layout). A replaced token stays valid for `grace`
// after its replacement, then answers 401 — also when the rotation was forced early.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kubedouble/fakeserver/clock.h"

namespace kubedouble::fake {

class TokenRotation {
 public:
  struct Minted {
    std::string token;
    std::string jti;
  };
  // `mint(now, lifetime)` signs a token valid for `lifetime` from `now`; `publish(token)` writes
  // it where clients read it.
  TokenRotation(ServerClock& clock, std::chrono::seconds ttl, std::chrono::seconds grace,
                std::function<Minted(ServerClock::TimePoint, std::chrono::seconds)> mint,
                std::function<void(const std::string&)> publish);
  ~TokenRotation();  // Stop()

  // Mints and publishes the first token (returned) and starts the rotation thread.
  std::string Start();
  void Stop();
  // Mints and publishes a new token now; the previous one stays valid for `grace`.
  std::string Rotate();
  // False for a token this rotation replaced more than `grace` ago (by the clock).
  bool Valid(const std::string& jti) const;

  ServerClock::TimePoint next_rotation() const;
  std::chrono::seconds ttl() const { return ttl_; }
  std::chrono::seconds grace() const { return grace_; }

 private:
  std::string RotateLocked(ServerClock::TimePoint now);
  void Loop();

  ServerClock& clock_;
  std::chrono::seconds ttl_, grace_;
  std::function<Minted(ServerClock::TimePoint, std::chrono::seconds)> mint_;
  std::function<void(const std::string&)> publish_;
  mutable std::mutex mu_;
  // Shared with the clock's advance listener, which may outlive this object.
  std::shared_ptr<std::condition_variable_any> cv_ =
      std::make_shared<std::condition_variable_any>();
  bool stopping_ = false;
  bool started_ = false;
  std::string current_jti_;
  ServerClock::TimePoint next_{};
  std::map<std::string, ServerClock::TimePoint> retired_;  // jti -> valid until
  std::thread thread_;
};

}  // namespace kubedouble::fake
