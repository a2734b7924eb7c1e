#include "kubedouble/fakeserver/clock.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <stdexcept>

#include "kubedouble/base/duration.h"

namespace kubedouble::fake {

ServerClock::ServerClock(bool fake) : fake_(fake), fake_now_(std::chrono::system_clock::now()) {}

ServerClock::ServerClock(const ServerClock& other) : fake_(other.fake_) {
  std::lock_guard lock(other.mu_);
  fake_now_ = other.fake_now_;
}

ServerClock ServerClock::FromName(const std::string& name) {
  if (name == "real") return ServerClock(false);
  if (name == "fake") return ServerClock(true);
  throw std::invalid_argument(fmt::format("unknown clock \"{}\" (expected real or fake)", name));
}

ServerClock::TimePoint ServerClock::Now() const {
  if (!fake_) return std::chrono::system_clock::now();
  std::lock_guard lock(mu_);
  return fake_now_;
}

ServerClock::TimePoint ServerClock::Advance(std::chrono::nanoseconds by) {
  if (!fake_) {
    throw std::logic_error(
        "the clock is real and cannot be moved (start the server with --clock fake)");
  }
  if (by.count() < 0) throw std::invalid_argument("the clock only moves forward");
  TimePoint now;
  std::vector<std::function<void()>> listeners;
  {
    std::lock_guard lock(mu_);
    fake_now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(by);
    now = fake_now_;
    listeners = listeners_;
  }
  for (auto& fn : listeners) fn();
  return now;
}

void ServerClock::OnAdvance(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  listeners_.push_back(std::move(fn));
}

std::chrono::nanoseconds ParseDuration(const std::string& text) {
  // A bare number is seconds; everything else is Go's syntax.
  const bool bare = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
  std::string why;
  auto d = base::ParseGoDuration(bare ? text + "s" : text, &why);
  if (!d && bare) base::ParseGoDuration(text, &why);  // name what was written
  if (!d) throw std::invalid_argument(why);
  if (d->count() < 0) {
    throw std::invalid_argument(fmt::format("time: negative duration \"{}\"", text));
  }
  return *d;
}

std::string FormatDuration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  if (d.count() == 0) return "0s";
  if (d < seconds(1)) {
    if (d % milliseconds(1) == nanoseconds(0))
      return fmt::format("{}ms", duration_cast<milliseconds>(d).count());
    return fmt::format("{}ns", d.count());
  }
  std::string out;
  auto h = duration_cast<hours>(d);
  d -= h;
  auto m = duration_cast<minutes>(d);
  d -= m;
  auto ms = duration_cast<milliseconds>(d);
  if (h.count()) out += fmt::format("{}h", h.count());
  if (m.count()) out += fmt::format("{}m", m.count());
  if (ms.count()) {
    if (ms.count() % 1000 == 0) {
      out += fmt::format("{}s", ms.count() / 1000);
    } else {
      out += fmt::format("{}.{:03d}s", ms.count() / 1000, ms.count() % 1000);
    }
  }
  return out;
}

}  // namespace kubedouble::fake
