// IANA time zones for CronJob spec.timeZone (the API server's validation and the controller's
// schedule): the UTC offset of a zone at any instant, read from
// the system's tz database (TZif files under /usr/share/zoneinfo, or $ZONEINFO), including the
// POSIX rule at the end of a file that gives the offsets after its last listed transition.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace kubedouble::base {

class TimeZone {
 public:
  // The zone `name` ("Europe/Berlin", "UTC", "Etc/GMT+5"). Throws std::invalid_argument
  // "unknown time zone NAME" (Go's wording) for a name that is not one.
  static TimeZone Load(const std::string& name);
  // Reads a TZif file's bytes (tests); `name` for errors.
  static TimeZone FromTzif(const std::string& name, const std::string& bytes);

  // Local time minus UTC at `t`.
  std::chrono::seconds OffsetAt(std::chrono::system_clock::time_point t) const;

 private:
  struct Rule {     // one end of a POSIX TZ daylight-saving rule
    char kind = 0;  // 'J' (1-365, no leap day), 'D' (0-365), 'M' (month.week.day)
    int a = 0, b = 0, c = 0;
    int64_t time = 7200;  // seconds after local midnight
  };
  int64_t Footer(int64_t t) const;
  static int64_t RuleUtc(const Rule& r, int year, int64_t offset);
  static void ParsePosix(TimeZone& z, const std::string& text);

  std::vector<int64_t> transitions_;  // UTC seconds
  std::vector<int64_t> offsets_;      // offset from transitions_[i] on
  int64_t initial_ = 0;               // before the first transition
  bool has_footer_ = false;
  int64_t std_offset_ = 0, dst_offset_ = 0;
  bool has_dst_ = false;
  Rule start_, end_;
};

}  // namespace kubedouble::base
