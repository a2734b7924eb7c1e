// Job and CronJob defaults, and a new Job's generated selector.
#include "defaults.h"

namespace kubedouble::fake::defaults {
namespace {

void JobSpec(json& spec) {
  if (spec.contains("template") && spec["template"].is_object()) PodTemplate(spec["template"]);
  if ((!spec.contains("completions") || spec["completions"].is_null()) &&
      (!spec.contains("parallelism") || spec["parallelism"].is_null())) {
    spec["completions"] = 1;
  }
  Default(spec, "parallelism", 1);
  // With a per-index backoff limit, the job-wide one is effectively unlimited (max int32).
  bool per_index = spec.contains("backoffLimitPerIndex") && !spec["backoffLimitPerIndex"].is_null();
  Default(spec, "backoffLimit", per_index ? 2147483647 : 6);
  Default(spec, "completionMode", "NonIndexed");
  Default(spec, "suspend", false);
  bool failure_policy = spec.contains("podFailurePolicy") && !spec["podFailurePolicy"].is_null();
  Default(spec, "podReplacementPolicy", failure_policy ? "Failed" : "TerminatingOrFailed");
}

// Labels the Job controller finds its pods by: the selector is made from the Job's uid unless
// the client chose one (manualSelector: true).
void GenerateSelector(json& obj, json& spec) {
  const json& meta = obj["metadata"];
  const std::string uid = meta.value("uid", "");
  const std::string name = meta.value("name", "");
  if (spec.value("manualSelector", false) == true) return;
  spec["manualSelector"] = false;
  json& tmpl_meta = Child(Child(spec, "template"), "metadata");
  json& labels = Child(tmpl_meta, "labels");
  labels["batch.kubernetes.io/controller-uid"] = uid;
  labels["batch.kubernetes.io/job-name"] = name;
  labels["controller-uid"] = uid;
  labels["job-name"] = name;
  // A selector the client chose anyway is refused by validation ("not auto-generated").
  Default(spec, "selector", {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}});
}

}  // namespace

void Job(json& obj, bool creating) {
  json& spec = Child(obj, "spec");
  if (creating) GenerateSelector(obj, spec);
  JobSpec(spec);
  // A Job without labels carries its pod template's.
  json& meta = Child(obj, "metadata");
  bool unlabelled =
      !meta.contains("labels") || !meta["labels"].is_object() || meta["labels"].empty();
  if (unlabelled && spec.contains("template") && spec["template"].is_object() &&
      spec["template"].contains("metadata") && spec["template"]["metadata"].is_object() &&
      spec["template"]["metadata"].contains("labels")) {
    meta["labels"] = spec["template"]["metadata"]["labels"];
  }
}

void CronJob(json& obj) {
  json& spec = Child(obj, "spec");
  Default(spec, "concurrencyPolicy", "Allow");
  Default(spec, "suspend", false);
  Default(spec, "successfulJobsHistoryLimit", 3);
  Default(spec, "failedJobsHistoryLimit", 1);
  if (spec.contains("jobTemplate") && spec["jobTemplate"].is_object()) {
    json& job_spec = Child(spec["jobTemplate"], "spec");
    if (job_spec.contains("template") && job_spec["template"].is_object()) {
      PodTemplate(job_spec["template"]);
    }
  }
}

}  // namespace kubedouble::fake::defaults
