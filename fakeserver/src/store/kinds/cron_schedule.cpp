// Cron schedule parsing: minute hour day-of-month month day-of-week, each a comma list of *, ?,
// N, N-M, with an optional /step; month and weekday names; descriptors.
#include "cron_schedule.h"

#include <sstream>
#include <vector>

#include <re2/re2.h>

namespace kubedouble::fake::kinds {
namespace {

struct Bounds {
  int min, max;
  std::vector<std::string> names;  // names[i] stands for min + i
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

// A number or a name; the error text when neither.
std::string ParseValue(const std::string& text, const Bounds& b, int& out) {
  std::string lower = text;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < b.names.size(); ++i) {
    if (b.names[i] == lower) {
      out = b.min + static_cast<int>(i);
      return "";
    }
  }
  if (text.empty() || text.size() > 9 || !RE2::FullMatch(text, "-?[0-9]+")) {
    return "failed to parse int from " + text + ": strconv.Atoi: parsing " + std::string(1, '"') +
           text + "\": invalid syntax";
  }
  out = std::stoi(text);
  if (out < 0) return "negative number (" + text + ") not allowed: " + text;
  return "";
}

std::string ParseRange(const std::string& expr, const Bounds& b) {
  auto step_parts = Split(expr, '/');
  if (step_parts.size() > 2) return "too many slashes: " + expr;
  auto low_high = Split(step_parts[0], '-');
  if (low_high.size() > 2) return "too many hyphens: " + expr;
  int start = b.min, end = b.max;
  bool star = low_high[0] == "*" || low_high[0] == "?";
  if (!star) {
    if (auto e = ParseValue(low_high[0], b, start); !e.empty()) return e;
    end = start;
    if (low_high.size() == 2) {
      if (auto e = ParseValue(low_high[1], b, end); !e.empty()) return e;
    }
  }
  if (step_parts.size() == 2) {
    int step = 0;
    if (auto e = ParseValue(step_parts[1], Bounds{0, 0, {}}, step); !e.empty()) return e;
    if (step <= 0) return "step of range should be a positive number: " + expr;
  }
  if (start < b.min) {
    return "beginning of range (" + std::to_string(start) + ") below minimum (" +
           std::to_string(b.min) + "): " + expr;
  }
  if (end > b.max) {
    return "end of range (" + std::to_string(end) + ") above maximum (" + std::to_string(b.max) +
           "): " + expr;
  }
  if (start > end) {
    return "beginning of range (" + std::to_string(start) + ") beyond end of range (" +
           std::to_string(end) + "): " + expr;
  }
  return "";
}

}  // namespace

std::string CronScheduleError(const std::string& schedule) {
  if (!schedule.empty() && schedule[0] == '@') {
    static const std::vector<std::string> kDescriptors = {
        "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"};
    for (const auto& d : kDescriptors) {
      if (schedule == d) return "";
    }
    if (schedule.rfind("@every ", 0) == 0) {
      if (RE2::FullMatch(schedule.substr(7), "([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+")) {
        return "";
      }
      return "failed to parse duration " + schedule + ": time: invalid duration \"" +
             schedule.substr(7) + "\"";
    }
    return "unrecognized descriptor: " + schedule;
  }
  std::vector<std::string> fields;
  std::istringstream in(schedule);
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    std::string shown = "[";
    for (size_t i = 0; i < fields.size(); ++i) shown += (i ? " " : "") + fields[i];
    return "expected exactly 5 fields, found " + std::to_string(fields.size()) + ": " + shown + "]";
  }
  static const Bounds kFields[] = {
      {0, 59, {}},
      {0, 23, {}},
      {1, 31, {}},
      {1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
  };
  for (size_t i = 0; i < 5; ++i) {
    for (const auto& part : Split(fields[i], ',')) {
      if (auto e = ParseRange(part, kFields[i]); !e.empty()) return e;
    }
  }
  return "";
}

}  // namespace kubedouble::fake::kinds
