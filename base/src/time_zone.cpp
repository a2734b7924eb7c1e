#include "kubedouble/base/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kubedouble::base {
namespace {

using namespace std::chrono;

std::invalid_argument Unknown(const std::string& name) {
  return std::invalid_argument("unknown time zone " + name);
}

int64_t BigEndian(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  if (bytes == 4) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// A TZ name ("CET", "<+0330>") at `i`; false when there is none.
bool SkipName(const std::string& s, size_t& i) {
  if (i < s.size() && s[i] == '<') {
    size_t end = s.find('>', i);
    if (end == std::string::npos) return false;
    i = end + 1;
    return true;
  }
  size_t start = i;
  while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  return i - start >= 3;
}

// [+-]hh[:mm[:ss]] as seconds.
bool Clock(const std::string& s, size_t& i, int64_t* out) {
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  int64_t total = 0;
  for (int part = 0; part < 3; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != ':') break;
      ++i;
    }
    size_t start = i;
    int64_t v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      v = v * 10 + (s[i++] - '0');
    if (i == start) return false;
    total += v * (part == 0 ? 3600 : part == 1 ? 60 : 1);
  }
  *out = sign * total;
  return true;
}

bool Number(const std::string& s, size_t& i, int* out) {
  size_t start = i;
  int v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
    v = v * 10 + (s[i++] - '0');
  *out = v;
  return i > start;
}

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  return sys_days(year_month_day(year(y), month(m), day(d))).time_since_epoch().count();
}

bool Leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

TimeZone TimeZone::Load(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos ||
      name.find('\\') != std::string::npos)
    throw Unknown(name);
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      throw Unknown(name);
  }
  if (name == "UTC" || name == "Local") return TimeZone{};  // Go: "" and "UTC" are UTC
  const char* dir = std::getenv("ZONEINFO");
  std::ifstream in(std::string(dir && *dir ? dir : "/usr/share/zoneinfo") + "/" + name,
                   std::ios::binary);
  if (!in) throw Unknown(name);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return FromTzif(name, bytes.str());
}

TimeZone TimeZone::FromTzif(const std::string& name, const std::string& b) {
  auto header = [&](size_t at, int64_t counts[6]) {
    if (b.size() < at + 44 || b.compare(at, 4, "TZif") != 0) throw Unknown(name);
    for (int i = 0; i < 6; ++i) counts[i] = BigEndian(b, at + 20 + 4 * i, 4);
    for (int i = 0; i < 6; ++i) {
      if (counts[i] < 0 || counts[i] > 100000) throw Unknown(name);
    }
  };
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  int64_t c[6];
  header(0, c);
  const char version = b[4];
  auto block_size = [&](int64_t* n, int time_bytes) {
    return n[3] * time_bytes + n[3] + n[4] * 6 + n[5] + n[2] * (time_bytes + 4) + n[1] + n[0];
  };
  size_t at = 44;
  int time_bytes = 4;
  if (version >= '2') {  // skip the 32-bit block for the 64-bit one
    at += static_cast<size_t>(block_size(c, 4));
    header(at, c);
    at += 44;
    time_bytes = 8;
  }
  const size_t end = at + static_cast<size_t>(block_size(c, time_bytes));
  if (b.size() < end || c[4] == 0) throw Unknown(name);
  TimeZone z;
  const size_t types_at = at + c[3] * time_bytes + c[3];
  auto offset_of = [&](int64_t type) {
    if (type < 0 || type >= c[4]) throw Unknown(name);
    return BigEndian(b, types_at + 6 * type, 4);
  };
  for (int64_t i = 0; i < c[3]; ++i) {
    z.transitions_.push_back(BigEndian(b, at + i * time_bytes, time_bytes));
    z.offsets_.push_back(offset_of(static_cast<unsigned char>(b[at + c[3] * time_bytes + i])));
  }
  z.initial_ = offset_of(0);
  if (version >= '2' && end < b.size() && b[end] == '\n') {
    size_t close = b.find('\n', end + 1);
    if (close != std::string::npos && close > end + 1) {
      ParsePosix(z, b.substr(end + 1, close - end - 1));
    }
  }
  return z;
}

void TimeZone::ParsePosix(TimeZone& z, const std::string& s) {
  size_t i = 0;
  int64_t std_west = 0;
  if (!SkipName(s, i) || !Clock(s, i, &std_west)) return;  // unreadable: the table decides
  z.std_offset_ = -std_west;
  z.has_footer_ = true;
  if (i >= s.size()) return;
  if (!SkipName(s, i)) return;
  z.dst_offset_ = z.std_offset_ + 3600;
  if (i < s.size() && s[i] != ',') {
    int64_t dst_west = 0;
    if (!Clock(s, i, &dst_west)) return;
    z.dst_offset_ = -dst_west;
  }
  auto rule = [&](Rule& r) {
    if (i >= s.size() || s[i] != ',') return false;
    ++i;
    if (i < s.size() && s[i] == 'M') {
      ++i;
      r.kind = 'M';
      if (!Number(s, i, &r.a) || i >= s.size() || s[i++] != '.' || !Number(s, i, &r.b) ||
          i >= s.size() || s[i++] != '.' || !Number(s, i, &r.c))
        return false;
    } else if (i < s.size() && s[i] == 'J') {
      ++i;
      r.kind = 'J';
      if (!Number(s, i, &r.a)) return false;
    } else {
      r.kind = 'D';
      if (!Number(s, i, &r.a)) return false;
    }
    if (i < s.size() && s[i] == '/') {
      ++i;
      if (!Clock(s, i, &r.time)) return false;
    }
    return true;
  };
  z.has_dst_ = rule(z.start_) && rule(z.end_);
}

// The UTC second at which rule `r` falls in `year`, for a local clock `offset` ahead of UTC.
int64_t TimeZone::RuleUtc(const Rule& r, int y, int64_t offset) {
  int64_t days = 0;
  if (r.kind == 'J') {
    days = DaysFromCivil(y, 1, 1) + r.a - 1 + (Leap(y) && r.a >= 60 ? 1 : 0);
  } else if (r.kind == 'D') {
    days = DaysFromCivil(y, 1, 1) + r.a;
  } else {
    const int64_t first = DaysFromCivil(y, static_cast<unsigned>(r.a), 1);
    const int64_t weekday = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
    int64_t day = (r.c - weekday + 7) % 7 + 7 * (r.b - 1);
    const unsigned length = static_cast<unsigned>(
        (year_month_day_last(year(y), month_day_last(month(static_cast<unsigned>(r.a))))).day());
    while (day >= static_cast<int64_t>(length)) day -= 7;
    days = first + day;
  }
  return days * 86400 + r.time - offset;
}

int64_t TimeZone::Footer(int64_t t) const {
  if (!has_dst_) return std_offset_;
  const int y = static_cast<int>(year_month_day(floor<days>(sys_seconds(seconds(t)))).year());
  const int64_t start = RuleUtc(start_, y, std_offset_);
  const int64_t end = RuleUtc(end_, y, dst_offset_);
  const bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
  return dst ? dst_offset_ : std_offset_;
}

seconds TimeZone::OffsetAt(system_clock::time_point at) const {
  const int64_t t = duration_cast<seconds>(at.time_since_epoch()).count();
  if (transitions_.empty()) return seconds(has_footer_ ? Footer(t) : initial_);
  if (t < transitions_.front()) return seconds(initial_);
  if (t >= transitions_.back() && has_footer_) return seconds(Footer(t));
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
  return seconds(offsets_[static_cast<size_t>(it - transitions_.begin()) - 1]);
}

}  // namespace kubedouble::base
