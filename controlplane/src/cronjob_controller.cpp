// The CronJob controller, on the server's clock: when the schedule comes round it makes a Job
// from jobTemplate, named NAME-<minutes since the epoch> (only the latest of several missed
// times runs; one older than startingDeadlineSeconds is skipped with a MissSchedule Warning),
// honouring suspend and concurrencyPolicy (Allow; Forbid, whose skipped time runs when the
// active Job finishes, deadline permitting; Replace); it keeps
// status.active, lastScheduleTime and lastSuccessfulTime, and deletes finished Jobs beyond
// successfulJobsHistoryLimit and failedJobsHistoryLimit. spec.timeZone (an IANA name) sets the
// clock the schedule is read on; an unknown one gets an UnknownTimeZone Warning and no Jobs.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "controllers.h"
#include "cron.h"
#include "kubedouble/base/rfc3339.h"
#include "objects.h"
#include "owner_controller.h"

namespace kubedouble::controlplane {
namespace {

bool JobFinished(const json& job, std::string* how) {
  for (const char* type : {"Complete", "Failed"}) {
    if (ConditionStatus(job, type) == "True") {
      *how = type;
      return true;
    }
  }
  return false;
}

class CronJobController : public OwnerController {
 public:
  CronJobController() : OwnerController({"cronjob", "cronjobs", "CronJob", "batch/v1", "jobs"}) {}

  void Sync(World& w, json cj) override {
    const std::string key = KeyOf(cj), schedule = Str(cj, "spec.schedule");
    std::vector<json> active, succeeded, failed;
    for (const auto& k : w.cache("jobs").OwnedBy(Str(cj, "metadata.uid"))) {
      const json* job = w.cache("jobs").Find(k);
      if (!job) continue;
      std::string how;
      if (!JobFinished(*job, &how)) {
        active.push_back(*job);
      } else {
        (how == "Complete" ? succeeded : failed).push_back(*job);
        if (!seen_.count(k)) {
          seen_.insert(k);
          w.Event(
              cj, false, "SawCompletedJob",
              fmt::format("Saw completed job: {}, condition: {}", Str(*job, "metadata.name"), how),
              "cronjob-controller");
        }
      }
    }
    json status = cj.contains("status") && cj["status"].is_object() ? cj["status"] : json::object();
    json want = status;
    auto last = base::ParseRfc3339(Str(cj, "status.lastScheduleTime"));
    if (!last) last = base::ParseRfc3339(Str(cj, "metadata.creationTimestamp"));
    const SysTime now = w.now();
    const TimeZone* zone = nullptr;
    if (const std::string tz = Str(cj, "spec.timeZone"); !tz.empty()) {
      zone = Zone(tz);
      if (!zone) {
        if (warned_.insert(key + "\n" + tz).second) {
          w.Event(cj, true, "UnknownTimeZone",
                  fmt::format("invalid timeZone: \"{}\": unknown time zone {}", tz, tz),
                  "cronjob-controller");
        }
        last.reset();  // nothing is scheduled
      }
    }
    if (last && At(cj, "spec.suspend") != true) {
      // The latest scheduled time that has come (only it runs of several missed ones), if it is
      // not older than startingDeadlineSeconds; `missed`: the latest one that is.
      std::optional<SysTime> window = last;
      if (const json& d = At(cj, "spec.startingDeadlineSeconds"); d.is_number_integer()) {
        window = std::max(*last, now - std::chrono::seconds(d.get<int64_t>()));
      }
      std::optional<SysTime> due, missed;
      for (auto t = NextCronTime(schedule, *last, zone); t && *t <= now;
           t = NextCronTime(schedule, *t, zone)) {
        (*t > *window ? due : missed) = t;
      }
      const std::string policy = Str(cj, "spec.concurrencyPolicy");
      if (due && policy == "Forbid" && !active.empty()) {
        // Not started, and not recorded as scheduled: it runs when the active Job finishes, if
        // that is within the deadline.
        if (noted_.insert(key + "\nactive\n" + base::FormatRfc3339(*due)).second) {
          w.Event(cj, false, "JobAlreadyActive",
                  "Not starting job because prior execution is running and concurrency policy is "
                  "Forbid",
                  "cronjob-controller");
        }
      } else if (due) {
        if (policy == "Replace") {
          for (const auto& job : active) {
            if (!w.Delete("jobs", job)) continue;
            w.Event(cj, false, "SuccessfulDelete",
                    fmt::format("Deleted job {}", Str(job, "metadata.name")), "cronjob-controller");
          }
          active.clear();
        }
        if (auto made = MakeJob(w, cj, *due)) active.push_back(*made);
        want["lastScheduleTime"] = base::FormatRfc3339(*due);
      } else if (missed &&
                 noted_.insert(key + "\nmissed\n" + base::FormatRfc3339(*missed)).second) {
        w.Event(cj, true, "MissSchedule",
                "Missed scheduled time to start a job: " + Rfc1123z(*missed), "cronjob-controller");
      }
      if (auto next = NextCronTime(schedule, now, zone)) w.After(*next, name(), key);
    }
    json refs = json::array();
    for (const auto& job : active) {
      refs.push_back({{"apiVersion", "batch/v1"},
                      {"kind", "Job"},
                      {"name", Str(job, "metadata.name")},
                      {"namespace", Str(job, "metadata.namespace")},
                      {"uid", Str(job, "metadata.uid")},
                      {"resourceVersion", Str(job, "metadata.resourceVersion")}});
    }
    if (refs.empty()) {
      want.erase("active");
    } else {
      want["active"] = refs;
    }
    for (const auto& job : succeeded) {
      std::string done = Str(job, "status.completionTime");
      if (done > Str(want, "lastSuccessfulTime")) want["lastSuccessfulTime"] = done;
    }
    Prune(w, succeeded, Int(cj, "spec.successfulJobsHistoryLimit", 3));
    Prune(w, failed, Int(cj, "spec.failedJobsHistoryLimit", 1));
    if (want == status) return;
    cj["status"] = want;
    w.UpdateStatus("cronjobs", cj);
  }

 private:
  // Go's time.RFC1123Z in UTC: "Sun, 06 Dec 2026 11:05:00 +0000".
  static std::string Rfc1123z(SysTime t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return text;
  }

  std::optional<json> MakeJob(World& w, const json& cj, SysTime at) {
    const std::string cj_name = Str(cj, "metadata.name");
    auto minutes = std::chrono::duration_cast<std::chrono::minutes>(at.time_since_epoch()).count();
    const std::string job_name = fmt::format("{}-{}", cj_name, minutes);
    const json& tmpl = At(cj, "spec.jobTemplate");
    json meta = {{"name", job_name},
                 {"namespace", Str(cj, "metadata.namespace")},
                 {"ownerReferences", {ControllerRef(cj)}},
                 {"annotations",
                  {{"batch.kubernetes.io/cronjob-scheduled-timestamp", base::FormatRfc3339(at)}}}};
    if (At(tmpl, "metadata.labels").is_object()) meta["labels"] = tmpl["metadata"]["labels"];
    if (At(tmpl, "metadata.annotations").is_object()) {
      for (const auto& [k, v] : tmpl["metadata"]["annotations"].items()) meta["annotations"][k] = v;
    }
    json job = {{"apiVersion", "batch/v1"},
                {"kind", "Job"},
                {"metadata", meta},
                {"spec", At(tmpl, "spec")}};
    auto made = w.Create("jobs", std::move(job));
    if (made) {
      w.Event(cj, false, "SuccessfulCreate", fmt::format("Created job {}", job_name),
              "cronjob-controller");
    }
    return made;
  }

  // Finished Jobs beyond `limit`, oldest first.
  void Prune(World& w, std::vector<json>& jobs, int64_t limit) {
    std::sort(jobs.begin(), jobs.end(), [](const json& a, const json& b) {
      return Str(a, "metadata.creationTimestamp") < Str(b, "metadata.creationTimestamp");
    });
    for (size_t i = 0; static_cast<int64_t>(jobs.size() - i) > limit; ++i) {
      w.Delete("jobs", jobs[i]);
      w.Event(jobs[i], false, "SuccessfulDelete",
              fmt::format("Deleted job {}", Str(jobs[i], "metadata.name")), "cronjob-controller");
    }
  }

  // The zone of that name, read once (nullptr: no such zone).
  const TimeZone* Zone(const std::string& name) {
    auto it = zones_.find(name);
    if (it == zones_.end()) {
      std::optional<TimeZone> z;
      try {
        z = TimeZone::Load(name);
      } catch (const std::invalid_argument&) {
      }
      it = zones_.emplace(name, std::move(z)).first;
    }
    return it->second ? &*it->second : nullptr;
  }

  std::set<std::string> seen_;    // finished Jobs already reported
  std::set<std::string> warned_;  // CronJob key and zone already reported unknown
  std::set<std::string> noted_;   // scheduled times already reported skipped or missed
  std::map<std::string, std::optional<TimeZone>> zones_;
};

}  // namespace

std::unique_ptr<Controller> NewCronJobController() { return std::make_unique<CronJobController>(); }

}  // namespace kubedouble::controlplane
