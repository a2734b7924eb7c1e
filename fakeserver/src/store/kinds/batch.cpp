// Jobs and CronJobs: pods that restart OnFailure or Never, a Job's selector matching its
// template and both immutable, a CronJob's parsable schedule.
#include "../validation.h"
#include "cron_schedule.h"
#include "kind_validation.h"

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

void CronJobCauses(const json& cronjob, json& causes) {
  const json& spec = Field(cronjob, "spec");
  const json& schedule = Field(spec, "schedule");
  if (!schedule.is_string() || schedule.get<std::string>().empty()) {
    causes.push_back(RequiredCause("spec.schedule", ""));
  } else if (auto e = CronScheduleError(schedule.get<std::string>()); !e.empty()) {
    causes.push_back(InvalidCause("spec.schedule", schedule.get<std::string>(), e));
  }
  const json& job_spec = Field(Field(spec, "jobTemplate"), "spec");
  const json& tmpl = Field(job_spec, "template");
  PodSpecCauses(Field(tmpl, "spec"), "spec.jobTemplate.spec.template.spec", causes);
  RestartCauses(tmpl, "spec.jobTemplate.spec.template.spec.restartPolicy", causes);
  NonNegativeCause(spec, "startingDeadlineSeconds", "spec.startingDeadlineSeconds", causes);
}

}  // namespace kubedouble::fake::kinds
