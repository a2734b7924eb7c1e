// CronJob spec.timeZone: offsets read from the system's tz database (the table and, past its
// last transition, the POSIX rule at the end of the file), and schedules read on that clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "controlplane/fake_cluster.h"
#include "kubedouble/base/time_zone.h"

namespace kubedouble::controlplane {
namespace {

using base::TimeZone;
using namespace std::chrono;
using namespace std::chrono_literals;

system_clock::time_point Utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return sys_days(year_month_day(year(y), month(m), day(d))) + hours(h) + minutes(min);
}

class TimeZones : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin"))
      GTEST_SKIP() << "no tz database in /usr/share/zoneinfo";
  }
};

TEST_F(TimeZones, OffsetsFollowDaylightSavingTime) {
  auto berlin = TimeZone::Load("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 1, 15, 12)), 1h);
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 7, 15, 12)), 2h);
  // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 3, 29, 0, 59)), 1h);
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 3, 29, 1, 0)), 2h);
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 10, 25, 0, 59)), 2h);
  EXPECT_EQ(berlin.OffsetAt(Utc(2026, 10, 25, 1, 0)), 1h);
  // Past the table's last year, the file's rule: 2050's summer time begins 27 March.
  EXPECT_EQ(berlin.OffsetAt(Utc(2050, 3, 27, 0, 59)), 1h);
  EXPECT_EQ(berlin.OffsetAt(Utc(2050, 3, 27, 1, 0)), 2h);
  EXPECT_EQ(berlin.OffsetAt(Utc(2050, 12, 1, 0)), 1h);
  // The southern hemisphere: summer time across the new year.
  auto sydney = TimeZone::Load("Australia/Sydney");
  EXPECT_EQ(sydney.OffsetAt(Utc(2050, 1, 15, 0)), 11h);
  EXPECT_EQ(sydney.OffsetAt(Utc(2050, 6, 15, 0)), 10h);
  EXPECT_EQ(TimeZone::Load("Asia/Kolkata").OffsetAt(Utc(2026, 6, 1, 0)), 5h + 30min);
  EXPECT_EQ(TimeZone::Load("America/New_York").OffsetAt(Utc(2026, 1, 1, 0)), -5h);
  EXPECT_EQ(TimeZone::Load("Etc/GMT+5").OffsetAt(Utc(2026, 1, 1, 0)), -5h);
  EXPECT_EQ(TimeZone::Load("UTC").OffsetAt(Utc(2026, 1, 1, 0)), 0s);
}

TEST_F(TimeZones, UnknownNamesAreRefusedAsGoWordsIt) {
  for (const char* bad : {"Mars/Base", "../../etc/passwd", "/etc/localtime", "Europe/"}) {
    try {
      TimeZone::Load(bad);
      ADD_FAILURE() << bad << " was read";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), std::string("unknown time zone ") + bad);
    }
  }
  EXPECT_THROW(TimeZone::FromTzif("x", "not a tzif file"), std::invalid_argument);
  EXPECT_THROW(TimeZone::FromTzif("x", std::string("TZif2") + std::string(60, '\xff')),
               std::invalid_argument);
}

json CronJob(const std::string& name, const std::string& zone) {
  json cj = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": ")" +
                        name + R"("},
    "spec": {"schedule": "30 9 * * *", "jobTemplate": {"spec": {"template": {"spec": {
      "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}})");
  if (!zone.empty()) cj["spec"]["timeZone"] = zone;
  return cj;
}

TEST_F(TimeZones, ACronJobReadsItsScheduleOnItsZonesClock) {
  Cluster c;
  c.Create("batch", "v1", "cronjobs", "default", CronJob("india", "Asia/Kolkata"));
  c.Create("batch", "v1", "cronjobs", "default", CronJob("plain", ""));
  // A zone the tz database does not hold is refused by the API server.
  EXPECT_THROW(c.Create("batch", "v1", "cronjobs", "default", CronJob("mars", "Mars/Base")),
               fake::StatusError);
  c.Advance(25h);
  std::map<std::string, std::string> scheduled;  // CronJob -> the scheduled time of its Job
  for (const auto& job : c.List("batch", "v1", "jobs", "default")) {
    scheduled[job["metadata"]["ownerReferences"][0]["name"]] =
        job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"];
  }
  EXPECT_THAT(scheduled["india"], ::testing::EndsWith("T04:00:00Z"));  // 09:30 at UTC+5:30
  EXPECT_THAT(scheduled["plain"], ::testing::EndsWith("T09:30:00Z"));
  EXPECT_FALSE(scheduled.count("mars"));
}

TEST_F(TimeZones, AZoneTheControllerCannotReadGetsAWarningAndNoJobs) {
  Cluster c;
  c.Create("batch", "v1", "cronjobs", "default", CronJob("india", "Asia/Kolkata"));
  // The controller's tz database lacks the zone the API server accepted (as when the two differ).
  const char* before = std::getenv("ZONEINFO");
  const std::string saved = before ? before : "";
  setenv("ZONEINFO", "/nonexistent-zoneinfo", 1);
  c.Advance(25h);
  before ? setenv("ZONEINFO", saved.c_str(), 1) : unsetenv("ZONEINFO");
  EXPECT_TRUE(c.List("batch", "v1", "jobs", "default").empty());
  int warnings = 0;
  for (const auto& e : c.List("", "v1", "events", "default")) {
    if (e["reason"] == "UnknownTimeZone") {
      ++warnings;
      EXPECT_EQ(e["type"], "Warning");
      EXPECT_EQ(e["message"], "invalid timeZone: \"Asia/Kolkata\": unknown time zone Asia/Kolkata");
    }
  }
  EXPECT_EQ(warnings, 1);
}

}  // namespace
}  // namespace kubedouble::controlplane
