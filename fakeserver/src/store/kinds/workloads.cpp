// Deployments, ReplicaSets, StatefulSets and DaemonSets: a selector that is set, not empty,
// matches the pod template's labels and never changes; a template that restarts Always.
#include "../validation.h"
#include "kind_validation.h"

namespace kubedouble::fake::kinds {
namespace {

bool EmptySelector(const json& sel) {
  if (!sel.is_object()) return true;
  bool labels =
      sel.contains("matchLabels") && sel["matchLabels"].is_object() && !sel["matchLabels"].empty();
  bool exprs = sel.contains("matchExpressions") && sel["matchExpressions"].is_array() &&
               !sel["matchExpressions"].empty();
  return !labels && !exprs;
}

const json& Field(const json& obj, const char* key) {
  static const json kNull;
  return obj.is_object() && obj.contains(key) ? obj[key] : kNull;
}

}  // namespace

void NonNegativeCause(const json& spec, const char* field, const std::string& path, json& causes) {
  const json& v = Field(spec, field);
  if (v.is_number() && v.get<double>() < 0) {
    causes.push_back(InvalidShownCause(path, v.dump(), "must be greater than or equal to 0"));
  }
}

void SelectorAndTemplateCauses(const json& spec, const std::string& kind, json& causes) {
  const json& selector = Field(spec, "selector");
  const json& tmpl = Field(spec, "template");
  if (selector.is_null()) {
    causes.push_back(RequiredCause("spec.selector", ""));
  } else if (EmptySelector(selector)) {
    causes.push_back(InvalidShownCause("spec.selector", GoLabelSelector(selector),
                                       "empty selector is invalid for " + kind));
  } else {
    const json& labels = Field(Field(tmpl, "metadata"), "labels");
    if (!SelectorMatches(selector, labels)) {
      causes.push_back(InvalidShownCause("spec.template.metadata.labels", GoStringMap(labels),
                                         "`selector` does not match template `labels`"));
    }
  }
  PodSpecCauses(Field(tmpl, "spec"), "spec.template.spec", causes);
}

void ImmutableCause(const json& now, const json& before, const std::string& path,
                    const std::string& go_value, json& causes) {
  if (now != before) causes.push_back(InvalidShownCause(path, go_value, "field is immutable"));
}

void WorkloadCauses(const std::string& kind, const json& obj, const json* old, json& causes) {
  const json& spec = Field(obj, "spec");
  // ReplicaSets share the Deployment's wording.
  std::string noun = kind == "ReplicaSet" ? "deployment" : kind;
  for (auto& ch : noun) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  NonNegativeCause(spec, "replicas", "spec.replicas", causes);
  SelectorAndTemplateCauses(spec, noun, causes);
  const json& tmpl_spec = Field(Field(spec, "template"), "spec");
  const json& restart = Field(tmpl_spec, "restartPolicy");
  if (restart.is_string() && restart != "Always") {
    causes.push_back(NotSupportedCause("spec.template.spec.restartPolicy",
                                       restart.get<std::string>(), {"Always"}));
  }
  if (old) {
    const json& selector = Field(spec, "selector");
    ImmutableCause(selector, Field(Field(*old, "spec"), "selector"), "spec.selector",
                   GoLabelSelector(selector), causes);
  }
}

}  // namespace kubedouble::fake::kinds
