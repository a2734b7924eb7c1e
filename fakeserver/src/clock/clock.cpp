#include "kubedouble/fakeserver/clock.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <stdexcept>

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
  auto bad = [&](const std::string& why) {
    return std::invalid_argument(fmt::format("invalid duration \"{}\": {}", text, why));
  };
  if (text.empty()) throw bad("empty");
  size_t i = 0;
  double total_ns = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    if (i == start) throw bad("expected a number at \"" + text.substr(start) + "\"");
    double value;
    try {
      size_t used = 0;
      value = std::stod(text.substr(start, i - start), &used);
      if (used != i - start) throw std::invalid_argument("");
    } catch (const std::exception&) {
      throw bad("\"" + text.substr(start, i - start) + "\" is not a number");
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    double scale;
    if (unit == "h") {
      scale = 3600e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "s" || (unit.empty() && !any && i == text.size())) {
      scale = 1e9;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "us" || unit == "µs") {
      scale = 1e3;
    } else if (unit == "ns") {
      scale = 1;
    } else if (unit.empty()) {
      throw bad("missing unit (h, m, s, ms, us, ns)");
    } else {
      throw bad("unknown unit \"" + unit + "\" (expected h, m, s, ms, us or ns)");
    }
    total_ns += value * scale;
    any = true;
  }
  if (total_ns > 9.2e18) throw bad("too long");
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(total_ns)));
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
