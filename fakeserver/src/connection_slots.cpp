// Connection phases, the head timeout and eviction (see connection_slots.h).
#include "connection_slots.h"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>

namespace kubedouble::fake {

namespace {
bool WaitsForRequest(ConnectionSlots::Phase p) { return p != ConnectionSlots::Phase::kActive; }
bool InHeadTimeout(ConnectionSlots::Phase p) {
  return p == ConnectionSlots::Phase::kHandshake || p == ConnectionSlots::Phase::kHead;
}
}  // namespace

ConnectionSlots::ConnectionSlots(std::chrono::milliseconds head_timeout)
    : head_timeout_(head_timeout) {}

ConnectionSlots::~ConnectionSlots() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

ConnectionSlots::Id ConnectionSlots::Open(int fd) {
  std::lock_guard lock(mu_);
  if (!watchdog_.joinable() && !stop_) watchdog_ = std::thread([this] { Watch(); });
  Id id = next_++;
  conns_[id] = {fd, Phase::kHandshake, SteadyClock::now(), false};
  return id;
}

void ConnectionSlots::Enter(Id id, Phase phase) {
  std::lock_guard lock(mu_);
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second.phase == phase) return;
  // A handshake goes on into the first head with the same deadline.
  if (!(phase == Phase::kHead && it->second.phase == Phase::kHandshake)) {
    it->second.since = SteadyClock::now();
  }
  it->second.phase = phase;
}

void ConnectionSlots::Close(Id id) {
  std::lock_guard lock(mu_);
  conns_.erase(id);
}

void ConnectionSlots::End(Conn& c) {
  c.ended = true;
  ::shutdown(c.fd, SHUT_RDWR);
}

bool ConnectionSlots::EvictOne() {
  std::lock_guard lock(mu_);
  Conn* victim = nullptr;
  for (auto& [id, c] : conns_) {
    if (c.ended || !WaitsForRequest(c.phase)) continue;
    if (victim == nullptr) {
      victim = &c;
      continue;
    }
    // Handshakes and heads before idle connections; among equals, the longest waiting.
    bool head = InHeadTimeout(c.phase), victim_head = InHeadTimeout(victim->phase);
    if ((head && !victim_head) || (head == victim_head && c.since < victim->since)) victim = &c;
  }
  if (victim == nullptr) return false;
  End(*victim);
  ++evicted_;
  return true;
}

void ConnectionSlots::EndWaiting() {
  std::lock_guard lock(mu_);
  for (auto& [id, c] : conns_) {
    if (!c.ended && WaitsForRequest(c.phase)) End(c);
  }
}

size_t ConnectionSlots::Count(Phase phase) const {
  std::lock_guard lock(mu_);
  return static_cast<size_t>(std::count_if(conns_.begin(), conns_.end(), [&](const auto& kv) {
    return !kv.second.ended && kv.second.phase == phase;
  }));
}

uint64_t ConnectionSlots::timed_out() const {
  std::lock_guard lock(mu_);
  return timed_out_;
}

uint64_t ConnectionSlots::evicted() const {
  std::lock_guard lock(mu_);
  return evicted_;
}

void ConnectionSlots::Watch() {
  pthread_setname_np(pthread_self(), "kd-heads");
  // Checked a few times per timeout: a head is ended between 1 and 1.25 timeouts after it began.
  const auto period = std::max(std::chrono::milliseconds(10), head_timeout_ / 4);
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [&] { return stop_; });
    const auto now = SteadyClock::now();
    for (auto& [id, c] : conns_) {
      if (!c.ended && InHeadTimeout(c.phase) && now - c.since > head_timeout_) {
        End(c);
        ++timed_out_;
      }
    }
  }
}

}  // namespace kubedouble::fake
