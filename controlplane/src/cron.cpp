#include "cron.h"

#include <bitset>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <vector>

namespace kubedouble::controlplane {
namespace {

// One field into the set of values it allows; false when unreadable.
template <size_t N>
bool Field(const std::string& text, int lo, int hi, std::bitset<N>& out) {
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    int step = 1, a = lo, b = hi;
    auto slash = part.find('/');
    std::string range = part.substr(0, slash);
    if (slash != std::string::npos) {
      try {
        step = std::stoi(part.substr(slash + 1));
      } catch (const std::exception&) {
        return false;
      }
      if (step <= 0) return false;
    }
    if (range != "*") {
      auto dash = range.find('-');
      try {
        a = std::stoi(range.substr(0, dash));
        b = dash == std::string::npos ? (slash == std::string::npos ? a : hi)
                                      : std::stoi(range.substr(dash + 1));
      } catch (const std::exception&) {
        return false;
      }
    }
    if (a < lo || b > hi || a > b) return false;
    for (int v = a; v <= b; v += step) out.set(v);
  }
  return true;
}

}  // namespace

std::optional<SysTime> NextCronTime(const std::string& schedule, SysTime after,
                                    const TimeZone* zone) {
  std::string s = schedule;
  if (s == "@yearly" || s == "@annually") s = "0 0 1 1 *";
  if (s == "@monthly") s = "0 0 1 * *";
  if (s == "@weekly") s = "0 0 * * 0";
  if (s == "@daily" || s == "@midnight") s = "0 0 * * *";
  if (s == "@hourly") s = "0 * * * *";
  std::stringstream in(s);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  if (f.size() != 5) return std::nullopt;
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> dom;
  std::bitset<13> month;
  std::bitset<8> dow;
  if (!Field(f[0], 0, 59, minute) || !Field(f[1], 0, 23, hour) || !Field(f[2], 1, 31, dom) ||
      !Field(f[3], 1, 12, month) || !Field(f[4], 0, 7, dow))
    return std::nullopt;
  if (dow.test(7)) dow.set(0);
  // Either day field restricts unless it is "*" (then the other decides), as cron reads them.
  const bool dom_any = f[2] == "*", dow_any = f[4] == "*";
  auto t = std::chrono::time_point_cast<std::chrono::minutes>(after) + std::chrono::minutes(1);
  for (int i = 0; i < 4 * 366 * 24 * 60; ++i, t += std::chrono::minutes(1)) {
    std::time_t tt = std::chrono::system_clock::to_time_t(zone ? t + zone->OffsetAt(t) : t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    if (!month.test(tm.tm_mon + 1)) continue;
    bool day = dom_any && dow_any ? true
               : dom_any          ? dow.test(tm.tm_wday)
               : dow_any          ? dom.test(tm.tm_mday)
                                  : dom.test(tm.tm_mday) || dow.test(tm.tm_wday);
    if (!day || !hour.test(tm.tm_hour) || !minute.test(tm.tm_min)) continue;
    return t;
  }
  return std::nullopt;
}

}  // namespace kubedouble::controlplane
