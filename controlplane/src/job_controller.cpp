// The Job controller: pods from the template, up to parallelism at a time, until completions
// have succeeded (Complete and SuccessCriteriaMet, completionTime, the Completed Event) or more
// than backoffLimit have failed (Failed and FailureTarget, BackoffLimitExceeded; under
// restartPolicy OnFailure, once their containers have restarted backoffLimit times); status counts
// active, ready, succeeded and failed. A suspended Job runs nothing. A pod that failed is
// replaced only after the pod failure back-off: 10 s after the last failure, doubling with each
// failure since the last success, at most 10 minutes (kube-controller-manager's figures).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "controllers.h"
#include "kubedouble/base/rfc3339.h"
#include "objects.h"
#include "owner_controller.h"
#include "owners.h"

namespace kubedouble::controlplane {
namespace {

class JobController : public OwnerController {
 public:
  JobController() : OwnerController({"job", "jobs", "Job", "batch/v1", "pods"}) {}

  void Sync(World& w, json job) override {
    if (Finished(job)) return;
    const int64_t completions = Int(job, "spec.completions", 1);
    const int64_t parallelism = Int(job, "spec.parallelism", 1);
    const int64_t backoff = Int(job, "spec.backoffLimit", 6);
    const bool suspended = At(job, "spec.suspend") == true;
    std::vector<json> active;
    std::vector<std::pair<TimePoint, bool>> finished;  // when each finished pod ended; failed?
    int64_t succeeded = 0, failed = 0, ready = 0, restarts = 0;
    for (const auto& k : w.cache("pods").OwnedBy(Str(job, "metadata.uid"))) {
      const json* pod = w.cache("pods").Find(k);
      if (!pod) continue;
      std::string phase = Str(*pod, "status.phase");
      if (phase == "Succeeded") {
        ++succeeded;
        finished.emplace_back(FinishedAt(*pod), false);
      } else if (phase == "Failed") {
        ++failed;
        finished.emplace_back(FinishedAt(*pod), true);
      } else if (!PodTerminating(*pod)) {
        active.push_back(*pod);
        if (PodReady(*pod)) ++ready;
        restarts += Restarts(*pod);
      }
    }
    // Pods deleted after they finished still count.
    succeeded = std::max(succeeded, Int(job, "status.succeeded", 0));
    failed = std::max(failed, Int(job, "status.failed", 0));
    json status =
        job.contains("status") && job["status"].is_object() ? job["status"] : json::object();
    json want = status;
    const std::string now = w.NowText();
    if (!want.contains("startTime") && !suspended) want["startTime"] = now;
    bool complete = succeeded >= completions;
    // Under restartPolicy OnFailure containers restart in place: their restarts count as
    // failures, and the Job fails once they reach backoffLimit (any restart for a limit of 0).
    const bool on_failure = Str(job, "spec.template.spec.restartPolicy") == "OnFailure";
    bool failing =
        failed > backoff || (on_failure && (backoff == 0 ? restarts > 0 : restarts >= backoff));
    if (complete || failing) {
      if (failing) failed += static_cast<int64_t>(active.size());  // stopped pods count as failed
      for (const auto& pod : active) w.Delete("pods", pod);
      active.clear();
      ready = 0;
    } else if (!suspended) {
      int64_t want_active = std::min(parallelism, completions - succeeded);
      const auto not_before = ReplaceAfter(finished);
      if (static_cast<int64_t>(active.size()) < want_active && not_before &&
          *not_before > w.now()) {
        w.After(*not_before, name(), KeyOf(job));  // replacements wait out the back-off
      } else {
        for (int64_t i = static_cast<int64_t>(active.size()); i < want_active; ++i) {
          if (auto pod = CreatePod(w, job)) active.push_back(*pod);
        }
      }
    } else {
      for (const auto& pod : active) w.Delete("pods", pod);
      active.clear();
      ready = 0;
    }
    want["active"] = static_cast<int64_t>(active.size());
    want["ready"] = ready;
    want["terminating"] = 0;
    want["uncountedTerminatedPods"] = json::object();
    if (succeeded > 0) want["succeeded"] = succeeded;
    if (failed > 0) want["failed"] = failed;
    if (want["active"] == 0) want.erase("active");
    json& conditions = want["conditions"];
    if (complete) {
      SetCondition(conditions, "SuccessCriteriaMet", "True", "CompletionsReached",
                   "Reached expected number of succeeded pods", now, true);
      SetCondition(conditions, "Complete", "True", "CompletionsReached",
                   "Reached expected number of succeeded pods", now, true);
      want["completionTime"] = now;
    } else if (failing) {
      SetCondition(conditions, "FailureTarget", "True", "BackoffLimitExceeded",
                   "Job has reached the specified backoff limit", now, true);
      SetCondition(conditions, "Failed", "True", "BackoffLimitExceeded",
                   "Job has reached the specified backoff limit", now, true);
    } else if (suspended) {
      SetCondition(conditions, "Suspended", "True", "JobSuspended", "Job suspended", now, true);
    }
    if (conditions.empty()) want.erase("conditions");
    if (want == status) return;
    job["status"] = want;
    if (!w.UpdateStatus("jobs", job)) return;
    if (complete) w.Event(job, false, "Completed", "Job completed", "job-controller");
    if (failing) {
      w.Event(job, true, "BackoffLimitExceeded", "Job has reached the specified backoff limit",
              "job-controller");
    }
  }

 private:
  // When a finished pod ended: its containers' last finishedAt, else its creation.
  static TimePoint FinishedAt(const json& pod) {
    std::string latest;
    const json& statuses = At(pod, "status.containerStatuses");
    if (statuses.is_array()) {
      for (const auto& cs : statuses)
        latest = std::max(latest, Str(cs, "state.terminated.finishedAt"));
    }
    if (latest.empty()) latest = Str(pod, "metadata.creationTimestamp");
    return base::ParseRfc3339(latest).value_or(TimePoint{});
  }

  // The pod failure back-off: nullopt when no pod failed since the last success, else the time
  // the last failure's back-off ends.
  static std::optional<TimePoint> ReplaceAfter(std::vector<std::pair<TimePoint, bool>> finished) {
    std::sort(finished.begin(), finished.end());
    int failures = 0;
    TimePoint last{};
    for (const auto& [at, failed] : finished) {
      failures = failed ? failures + 1 : 0;
      if (failed) last = at;
    }
    if (failures == 0) return std::nullopt;
    std::chrono::seconds delay(10);
    const std::chrono::seconds cap = std::chrono::minutes(10);
    for (int i = 1; i < failures && delay < cap; ++i) delay *= 2;
    return last + std::min(delay, cap);
  }

  static int64_t Restarts(const json& pod) {
    int64_t n = 0;
    for (const char* which : {"status.containerStatuses", "status.initContainerStatuses"}) {
      const json& statuses = At(pod, which);
      if (!statuses.is_array()) continue;
      for (const auto& cs : statuses) n += Int(cs, "restartCount", 0);
    }
    return n;
  }

  static bool Finished(const json& job) {
    return ConditionStatus(job, "Complete") == "True" || ConditionStatus(job, "Failed") == "True";
  }

  std::optional<json> CreatePod(World& w, const json& job) {
    const std::string ns = Str(job, "metadata.namespace"), job_name = Str(job, "metadata.name");
    json pod = PodFromTemplate(job, NextPodName(w.cache("pods"), ns, job_name + "-", counters_));
    pod["metadata"]["generateName"] = job_name + "-";
    auto created = w.Create("pods", std::move(pod));
    if (created) {
      w.Event(job, false, "SuccessfulCreate",
              fmt::format("Created pod: {}", Str(*created, "metadata.name")), "job-controller");
    }
    return created;
  }

  std::map<std::string, uint64_t> counters_;
};

}  // namespace

std::unique_ptr<Controller> NewJobController() { return std::make_unique<JobController>(); }

}  // namespace kubedouble::controlplane
