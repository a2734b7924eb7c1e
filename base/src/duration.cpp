// Go's duration syntax both ways, in integer nanoseconds (as time.Duration is).
#include "kubedouble/base/duration.h"

#include <fmt/format.h>

#include <cstdint>

namespace kubedouble::base {
namespace {

// A Go-quoted string for an error message ("5d" -> "\"5d\"").
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

int64_t UnitScale(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

bool Digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<std::chrono::nanoseconds> ParseGoDuration(std::string_view text, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<std::chrono::nanoseconds> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  auto invalid = [&] { return fail("time: invalid duration " + Quote(text)); };
  std::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid();
  // Magnitudes add up unsigned, as Go does, so that -9223372036854775808ns still fits.
  uint64_t total = 0;
  while (!s.empty()) {
    if (!Digit(s[0]) && s[0] != '.') return invalid();
    uint64_t whole = 0;
    size_t n = 0, digits = 0;
    bool overflow = false;
    for (; n < s.size() && Digit(s[n]); ++n, ++digits) {
      if (__builtin_mul_overflow(whole, 10u, &whole) ||
          __builtin_add_overflow(whole, static_cast<uint64_t>(s[n] - '0'), &whole)) {
        overflow = true;
      }
    }
    uint64_t fraction = 0, fraction_scale = 1;
    if (n < s.size() && s[n] == '.') {
      for (++n; n < s.size() && Digit(s[n]); ++n, ++digits) {
        if (fraction_scale < 1'000'000'000'000'000'000u) {  // further digits cannot matter
          fraction = fraction * 10 + static_cast<uint64_t>(s[n] - '0');
          fraction_scale *= 10;
        }
      }
    }
    if (digits == 0 || overflow) return invalid();
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !Digit(s[u]) && s[u] != '.') ++u;
    const std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    if (unit.empty()) return fail("time: missing unit in duration " + Quote(text));
    const auto scale = static_cast<uint64_t>(UnitScale(unit));
    if (scale == 0) {
      return fail("time: unknown unit " + Quote(unit) + " in duration " + Quote(text));
    }
    uint64_t value;
    if (__builtin_mul_overflow(whole, scale, &value)) return invalid();
    // The fraction's share, rounded down as Go does: fraction / fraction_scale * scale.
    __extension__ using Wide = unsigned __int128;  // fraction * scale may pass 64 bits
    const auto part = static_cast<uint64_t>(Wide{fraction} * scale / fraction_scale);
    if (__builtin_add_overflow(value, part, &value) ||
        __builtin_add_overflow(total, value, &total)) {
      return invalid();
    }
  }
  constexpr uint64_t kMax = uint64_t{1} << 63;  // |INT64_MIN|
  if (total > kMax || (!negative && total == kMax)) return invalid();
  const int64_t ns =
      negative ? static_cast<int64_t>(uint64_t{0} - total) : static_cast<int64_t>(total);
  return std::chrono::nanoseconds(ns);
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  const int64_t ns = d.count();
  if (ns == 0) return "0s";
  const std::string sign = ns < 0 ? "-" : "";
  const uint64_t u = ns < 0 ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  // v / 10^digits with the fraction's trailing zeros dropped: (1500, 3) -> "1.5".
  auto decimal = [](uint64_t v, int digits) {
    uint64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    std::string out = std::to_string(v / scale);
    if (uint64_t rest = v % scale; rest != 0) {
      std::string frac = fmt::format("{:0{}}", rest, digits);
      while (frac.back() == '0') frac.pop_back();
      out += "." + frac;
    }
    return out;
  };
  if (u < 1'000) return sign + std::to_string(u) + "ns";
  if (u < 1'000'000) return sign + decimal(u, 3) + "\u00b5s";
  if (u < 1'000'000'000) return sign + decimal(u, 6) + "ms";
  const uint64_t secs = u / 1'000'000'000, h = secs / 3600, m = (secs / 60) % 60;
  std::string out = sign;
  if (h > 0) out += std::to_string(h) + "h";
  if (h > 0 || m > 0) out += std::to_string(m) + "m";
  return out + decimal(u % 60'000'000'000, 9) + "s";
}

}  // namespace kubedouble::base
