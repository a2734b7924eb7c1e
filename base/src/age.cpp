#include "kubedouble/base/age.h"

#include <fmt/format.h>

#include <cstdint>

namespace kubedouble::base {
namespace {

// "5h" when `rest` is 0, else "5h30m".
std::string Two(int64_t big, const char* big_unit, int64_t rest, const char* rest_unit) {
  return rest == 0 ? fmt::format("{}{}", big, big_unit)
                   : fmt::format("{}{}{}{}", big, big_unit, rest, rest_unit);
}

}  // namespace

std::string HumanAge(std::chrono::seconds age) {
  const int64_t s = age.count();
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return fmt::format("{}s", s);
  const int64_t m = s / 60;
  if (m < 10) return Two(m, "m", s % 60, "s");
  if (m < 180) return fmt::format("{}m", m);
  const int64_t h = m / 60;
  if (h < 8) return Two(h, "h", m % 60, "m");
  if (h < 48) return fmt::format("{}h", h);
  if (h < 24 * 8) return Two(h / 24, "d", h % 24, "h");
  if (h < 24 * 365 * 2) return fmt::format("{}d", h / 24);
  if (h < 24 * 365 * 8) return Two(h / 24 / 365, "y", (h / 24) % 365, "d");
  return fmt::format("{}y", h / 24 / 365);
}

std::string HumanAge(std::chrono::system_clock::time_point then,
                     std::chrono::system_clock::time_point now) {
  return HumanAge(std::chrono::duration_cast<std::chrono::seconds>(now - then));
}

}  // namespace kubedouble::base
