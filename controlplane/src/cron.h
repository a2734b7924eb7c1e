// Cron schedules as CronJobs write them: five fields (minute hour day-of-month month
// day-of-week) of *, numbers, ranges a-b, steps */n or a-b/n and comma lists, or one of @yearly,
// @annually, @monthly, @weekly, @daily, @midnight, @hourly. The fields are read on the clock of
// `zone` (spec.timeZone), UTC without one.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "kubedouble/base/time_zone.h"

namespace kubedouble::controlplane {

using SysTime = std::chrono::system_clock::time_point;
using base::TimeZone;

// The first time strictly after `after` that `schedule` names (within four years); nullopt for
// a schedule that cannot be read or never fires.
std::optional<SysTime> NextCronTime(const std::string& schedule, SysTime after,
                                    const TimeZone* zone = nullptr);

}  // namespace kubedouble::controlplane
