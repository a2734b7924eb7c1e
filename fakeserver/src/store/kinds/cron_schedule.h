// The five-field cron schedules CronJobs take (and @hourly, @daily, ..., @every 1h30m), checked
// as the API server checks them.
#pragma once

#include <string>

namespace kubedouble::fake::kinds {

// Why `schedule` cannot be parsed, in the parser's words ("expected exactly 5 fields, found 1:
// [foo]", "end of range (61) above maximum (59): 61"); empty when it parses.
std::string CronScheduleError(const std::string& schedule);

}  // namespace kubedouble::fake::kinds
