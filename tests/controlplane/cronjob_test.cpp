// The CronJob controller on the fake clock: startingDeadlineSeconds (a scheduled time that could
// not start in time is skipped, with the MissSchedule Warning) and concurrencyPolicy Forbid and
// Replace, with kube-controller-manager's Events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "controlplane/fake_cluster.h"
#include "kubedouble/base/rfc3339.h"

namespace kubedouble::controlplane {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

// A CronJob "tick" that runs every minute a Job whose pod runs 155 s.
json Ticker(const std::string& policy, std::optional<int> deadline) {
  json cj = json::parse(R"({
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick"},
    "spec": {"schedule": "* * * * *",
             "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never",
                 "containers": [{"name": "t", "image": "busybox",
                                 "command": ["sh", "-c", "sleep 155"]}]}}}}}})");
  cj["spec"]["concurrencyPolicy"] = policy;
  if (deadline) cj["spec"]["startingDeadlineSeconds"] = *deadline;
  return cj;
}

class CronJobs : public ::testing::Test {
 protected:
  // Every test starts half a second before a whole minute, the moment where "the next whole
  // minute" is easiest to get wrong: the CronJob's creationTimestamp is cut to whole seconds.
  CronJobs() { c_.Advance(m1_ - 500ms - c_.clock().Now()); }

  // Moves the clock to `at` after the first whole minute after the start.
  void AdvanceTo(nanoseconds at) { c_.Advance(m1_ + at - c_.clock().Now()); }
  // The Job of the scheduled time `at` after the first whole minute.
  std::string JobFor(nanoseconds at) const {
    return "tick-" + std::to_string(duration_cast<minutes>((m1_ + at).time_since_epoch()).count());
  }
  std::vector<std::string> Jobs() {
    std::vector<std::string> out;
    for (const auto& j : c_.List("batch", "v1", "jobs", "default")) {
      if (!j["metadata"].contains("deletionTimestamp")) out.push_back(j["metadata"]["name"]);
    }
    return out;
  }
  // "REASON: message" of the CronJob's Events, in order.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    for (const auto& e : c_.List("", "v1", "events", "default")) {
      if (e["involvedObject"]["kind"] == "CronJob")
        out.push_back(e["reason"].get<std::string>() + ": " + e["message"].get<std::string>());
    }
    return out;
  }
  static std::string Rfc1123z(system_clock::time_point t) {
    const std::time_t secs = system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return text;
  }

  Cluster c_;
  // The first scheduled time after the CronJob is created.
  system_clock::time_point m1_ = floor<minutes>(c_.clock().Now()) + 2min;
};

TEST_F(CronJobs, ForbidRunsASkippedTimeWhenTheActiveJobFinishes) {
  c_.Create("batch", "v1", "cronjobs", "default", Ticker("Forbid", std::nullopt));
  AdvanceTo(2min + 1s);  // the first Job runs until 2:35; the one of 1:00 and 2:00 wait
  EXPECT_THAT(Jobs(), ElementsAre(JobFor(0min)));
  AdvanceTo(2min + 40s);  // the first finished at 2:35; 2:00 (the latest) runs late
  EXPECT_THAT(Jobs(), ElementsAre(JobFor(0min), JobFor(2min)));
  const std::string already =
      "JobAlreadyActive: Not starting job because prior execution is running and concurrency "
      "policy is Forbid";
  EXPECT_THAT(Events(), ::testing::Contains(already));
}

TEST_F(CronJobs, AScheduledTimeOlderThanTheStartingDeadlineIsSkipped) {
  c_.Create("batch", "v1", "cronjobs", "default", Ticker("Forbid", 30));
  AdvanceTo(2min + 40s);  // the first finished at 2:35, too late for 2:00 by its deadline of 30 s
  EXPECT_THAT(Jobs(), ElementsAre(JobFor(0min)));
  EXPECT_THAT(Events(), ::testing::Contains("MissSchedule: Missed scheduled time to start a job: " +
                                            Rfc1123z(m1_ + 2min)));
  json cj = c_.Get("batch", "v1", "cronjobs", "default", "tick");
  EXPECT_EQ(cj["status"]["lastScheduleTime"], base::FormatRfc3339(m1_));
  AdvanceTo(3min + 1s);  // the next time is on time
  EXPECT_THAT(Jobs(), ElementsAre(JobFor(0min), JobFor(3min)));
}

TEST_F(CronJobs, ReplaceDeletesTheActiveJob) {
  c_.Create("batch", "v1", "cronjobs", "default", Ticker("Replace", std::nullopt));
  AdvanceTo(1min + 1s);
  EXPECT_THAT(Jobs(), ElementsAre(JobFor(1min)));
  EXPECT_THAT(Events(), ::testing::Contains("SuccessfulDelete: Deleted job " + JobFor(0min)));
}

}  // namespace
}  // namespace kubedouble::controlplane
