// Jobs and CronJobs: pods that restart OnFailure or Never, a Job's selector matching its
// template and both immutable, a CronJob's parsable schedule and known time zone.
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "../validation.h"
#include "cron_schedule.h"
#include "kind_validation.h"
#include "kubedouble/base/time_zone.h"

namespace kubedouble::fake::kinds {
namespace {

const json& Field(const json& obj, const char* key) {
  static const json kNull;
  return obj.is_object() && obj.contains(key) ? obj[key] : kNull;
}

void RestartCauses(const json& tmpl, const std::string& path, json& causes) {
  const json& restart = Field(Field(tmpl, "spec"), "restartPolicy");
  const std::string value = restart.is_string() ? restart.get<std::string>() : "";
  if (value != "OnFailure" && value != "Never") {
    causes.push_back(NotSupportedCause(path, value, {"OnFailure", "Never"}));
  }
}

// The schedule's problems: what the cron parser says (a leading TZ=ZONE or CRON_TZ=ZONE is read
// as the parser reads it), and TZ in it, which only a CronJob stored with it may keep (and then
// not beside spec.timeZone).
void ScheduleCauses(const std::string& schedule, bool tz_allowed, bool has_zone, json& causes) {
  std::string fields = schedule, error;
  if (schedule.rfind("TZ=", 0) == 0 || schedule.rfind("CRON_TZ=", 0) == 0) {
    const size_t eq = schedule.find('='), space = schedule.find(' ');
    const std::string zone =
        schedule.substr(eq + 1, space == std::string::npos ? std::string::npos : space - eq - 1);
    try {
      base::TimeZone::Load(zone);
    } catch (const std::invalid_argument& e) {
      error = "provided bad location " + zone + ": " + e.what();
    }
    fields = space == std::string::npos ? "" : schedule.substr(space + 1);
  }
  if (error.empty()) error = CronScheduleError(fields);
  if (!error.empty()) causes.push_back(InvalidCause("spec.schedule", schedule, error));
  if (schedule.find("TZ") == std::string::npos) return;
  if (!tz_allowed) {
    causes.push_back(
        InvalidCause("spec.schedule", schedule,
                     "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  } else if (has_zone) {
    causes.push_back(InvalidCause("spec.schedule", schedule,
                                  "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
  }
}

// spec.timeZone: an IANA zone name that the system's tz database holds; not empty, not Local.
void TimeZoneCauses(const json& zone, json& causes) {
  if (zone.is_null()) return;
  const std::string path = "spec.timeZone";
  const std::string name = zone.is_string() ? zone.get<std::string>() : zone.dump();
  if (name.empty()) {
    causes.push_back(InvalidCause(path, name, "timeZone must be nil or non-empty string"));
    return;
  }
  // Each part of the name as the tz database names files (letters, digits, . - _ +; at most
  // 14 characters, not . or .., not starting with -).
  static const RE2 kPart("[A-Za-z.\\-_0-9+]{1,14}");
  size_t start = 0;
  for (;;) {
    const size_t slash = name.find('/', start);
    const std::string part = name.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part == "." || part == ".." || part.rfind('-', 0) == 0 || !RE2::FullMatch(part, kPart)) {
      causes.push_back(InvalidCause(path, name, "unknown time zone " + name));
      return;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "local") {
    causes.push_back(InvalidCause(
        path, name,
        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"));
    if (name == "Local") return;  // the one spelling Go's zone loader knows
  }
  try {
    base::TimeZone::Load(name);
  } catch (const std::invalid_argument& e) {
    causes.push_back(InvalidCause(path, name, e.what()));
  }
}

}  // namespace

void JobCauses(const json& job, const json* old, json& causes) {
  const json& spec = Field(job, "spec");
  for (const char* f : {"parallelism", "completions", "backoffLimit"}) {
    NonNegativeCause(spec, f, std::string("spec.") + f, causes);
  }
  SelectorAndTemplateCauses(spec, "job", causes);
  RestartCauses(Field(spec, "template"), "spec.template.spec.restartPolicy", causes);
  const json& selector = Field(spec, "selector");
  if (!old) {
    const json uid = Field(Field(job, "metadata"), "uid");
    const json generated = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
    if (Field(spec, "manualSelector") != true && !selector.is_null() && selector != generated) {
      causes.push_back(InvalidShownCause("spec.selector", GoLabelSelector(selector),
                                         "`selector` not auto-generated"));
    }
    return;
  }
  const json& old_spec = Field(*old, "spec");
  ImmutableCause(selector, Field(old_spec, "selector"), "spec.selector", GoLabelSelector(selector),
                 causes);
  // Upstream prints the whole template as a Go value; its JSON stands in for it here.
  const json& tmpl = Field(spec, "template");
  ImmutableCause(tmpl, Field(old_spec, "template"), "spec.template", tmpl.dump(), causes);
}

void CronJobCauses(const json& cronjob, const json* old, json& causes) {
  const json& spec = Field(cronjob, "spec");
  const json& schedule = Field(spec, "schedule");
  const json& zone = Field(spec, "timeZone");
  if (!schedule.is_string() || schedule.get<std::string>().empty()) {
    causes.push_back(RequiredCause("spec.schedule", ""));
  } else {
    // A CronJob stored with TZ= in its schedule (before timeZone existed) may keep it.
    const json& old_schedule = old ? Field(Field(*old, "spec"), "schedule") : json();
    const bool tz_allowed =
        old_schedule.is_string() && old_schedule.get<std::string>().find("TZ") != std::string::npos;
    ScheduleCauses(schedule.get<std::string>(), tz_allowed, !zone.is_null(), causes);
  }
  TimeZoneCauses(zone, causes);
  const json& job_spec = Field(Field(spec, "jobTemplate"), "spec");
  const json& tmpl = Field(job_spec, "template");
  PodSpecCauses(Field(tmpl, "spec"), "spec.jobTemplate.spec.template.spec", causes);
  RestartCauses(tmpl, "spec.jobTemplate.spec.template.spec.restartPolicy", causes);
  NonNegativeCause(spec, "startingDeadlineSeconds", "spec.startingDeadlineSeconds", causes);
}

}  // namespace kubedouble::fake::kinds
