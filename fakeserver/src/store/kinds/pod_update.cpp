// What an update may change in a Pod's spec: the images of its containers and init containers,
// activeDeadlineSeconds, added tolerations, and terminationGracePeriodSeconds from a negative
// value to 1. Anything else is the 422 upstream answers, with a diff of the specs.
#include <algorithm>
#include <cctype>
#include <string>

#include "../validation.h"
#include "kind_validation.h"

namespace kubedouble::fake::kinds {
namespace {

constexpr char kPodUpdate[] =
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set "
    "to 1 if it was previously negative)";

// The new spec with what an update may change set back to the old spec's values.
json Munged(const json& spec, const json& old) {
  json out = spec;
  for (const char* list : {"containers", "initContainers"}) {
    if (!out.contains(list) || !out[list].is_array() || !old.contains(list) ||
        !old[list].is_array()) {
      continue;
    }
    for (size_t i = 0; i < out[list].size() && i < old[list].size(); ++i) {
      if (!out[list][i].is_object() || !old[list][i].is_object()) continue;
      if (old[list][i].contains("image")) {
        out[list][i]["image"] = old[list][i]["image"];
      } else {
        out[list][i].erase("image");
      }
    }
  }
  auto restore = [&](const char* key) {
    if (old.contains(key)) {
      out[key] = old[key];
    } else {
      out.erase(key);
    }
  };
  restore("activeDeadlineSeconds");
  // Tolerations may only be added: every old one must still be there.
  const json old_tolerations = old.value("tolerations", json::array());
  const json new_tolerations = out.value("tolerations", json::array());
  bool kept = old_tolerations.is_array() && new_tolerations.is_array();
  for (const auto& t : kept ? old_tolerations : json::array()) {
    kept = kept &&
           std::find(new_tolerations.begin(), new_tolerations.end(), t) != new_tolerations.end();
  }
  if (kept) restore("tolerations");
  const json grace = old.value("terminationGracePeriodSeconds", json());
  if (grace.is_number_integer() && grace.get<int64_t>() < 0 &&
      out.value("terminationGracePeriodSeconds", json()) == json(1)) {
    restore("terminationGracePeriodSeconds");
  }
  return out;
}

// A field of core.PodSpec as Go names it: "containers" -> "Containers".
std::string GoName(std::string key) {
  if (!key.empty()) key[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(key[0])));
  return key;
}

std::string Compact(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The specs' difference, drawn as upstream draws it: unchanged fields counted, changed ones as
// "-" (stored) and "+" (sent) lines.
std::string Diff(const json& old, const json& now) {
  std::string out = "  core.PodSpec{\n";
  json keys = json::object();
  for (const auto& [k, v] : old.items()) keys[k] = true;
  for (const auto& [k, v] : now.items()) keys[k] = true;
  int same = 0;
  auto flush = [&] {
    if (same > 0) {
      out +=
          "  \t... // " + std::to_string(same) + " identical field" + (same == 1 ? "" : "s") + "\n";
    }
    same = 0;
  };
  for (const auto& [k, unused] : keys.items()) {
    const bool in_old = old.contains(k), in_new = now.contains(k);
    if (in_old && in_new && old[k] == now[k]) {
      ++same;
      continue;
    }
    flush();
    if (in_old) out += "- \t" + GoName(k) + ": " + Compact(old[k]) + ",\n";
    if (in_new) out += "+ \t" + GoName(k) + ": " + Compact(now[k]) + ",\n";
  }
  flush();
  return out + "  }\n";
}

}  // namespace

void PodUpdateCauses(const json& pod, const json& old, json& causes) {
  static const json kNone = json::object();
  auto spec_at = pod.find("spec");
  auto old_at = old.find("spec");
  const json& spec = spec_at != pod.end() ? *spec_at : kNone;  // not copied: a pod is large
  const json& old_spec = old_at != old.end() ? *old_at : kNone;
  if (!spec.is_object() || !old_spec.is_object()) return;
  const json munged = Munged(spec, old_spec);
  if (munged == old_spec) return;
  causes.push_back(ForbiddenCause("spec", std::string(kPodUpdate) + "\n" + Diff(old_spec, munged)));
}

}  // namespace kubedouble::fake::kinds
