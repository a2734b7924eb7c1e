// Pod and PodSpec defaults.
#include <string>

#include "defaults.h"

namespace kubedouble::fake::defaults {
namespace {

// Always for an image without a tag or tagged :latest; IfNotPresent otherwise (a digest counts
// as a tag).
std::string PullPolicyFor(const std::string& image) {
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

// Limits without requests: the request of each such resource is its limit.
void RequestsFromLimits(json& c) {
  if (!c.contains("resources") || !c["resources"].is_object()) return;
  json& r = c["resources"];
  if (!r.contains("limits") || !r["limits"].is_object() || r["limits"].empty()) return;
  json& requests = Child(r, "requests");
  for (const auto& [name, value] : r["limits"].items()) Default(requests, name.c_str(), value);
}

// BestEffort without any request or limit; Guaranteed when every container limits cpu and
// memory at its requests; Burstable otherwise.
std::string QosClass(const json& spec) {
  bool any = false, guaranteed = true;
  for (const char* key : {"initContainers", "containers"}) {
    if (!spec.contains(key) || !spec[key].is_array()) continue;
    for (const auto& c : spec[key]) {
      const json r = c.is_object() ? c.value("resources", json::object()) : json::object();
      const json limits = r.is_object() ? r.value("limits", json::object()) : json::object();
      const json requests = r.is_object() ? r.value("requests", json::object()) : json::object();
      if ((limits.is_object() && !limits.empty()) || (requests.is_object() && !requests.empty())) {
        any = true;
      }
      for (const char* res : {"cpu", "memory"}) {
        if (!limits.is_object() || !limits.contains(res) || !requests.is_object() ||
            requests.value(res, json()) != limits[res]) {
          guaranteed = false;
        }
      }
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

void Container(json& c) {
  if (!c.is_object()) return;
  if (c.contains("image") && c["image"].is_string()) {
    Default(c, "imagePullPolicy", PullPolicyFor(c["image"].get<std::string>()));
  }
  Default(c, "terminationMessagePath", "/dev/termination-log");
  Default(c, "terminationMessagePolicy", "File");
  Default(c, "resources", json::object());
  RequestsFromLimits(c);
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& port : c["ports"]) {
      if (port.is_object()) Default(port, "protocol", "TCP");
    }
  }
}

void Containers(json& spec, const char* key) {
  if (!spec.contains(key) || !spec[key].is_array()) return;
  for (auto& c : spec[key]) Container(c);
}

bool HasToleration(const json& tolerations, const std::string& key) {
  for (const auto& t : tolerations) {
    if (t.is_object() && t.value("key", "") == key && t.value("effect", "NoExecute") == "NoExecute")
      return true;
  }
  return false;
}

}  // namespace

void PodSpec(json& spec) {
  if (!spec.is_object()) return;
  Default(spec, "restartPolicy", "Always");
  Default(spec, "dnsPolicy", "ClusterFirst");
  Default(spec, "terminationGracePeriodSeconds", 30);
  Default(spec, "schedulerName", "default-scheduler");
  Default(spec, "securityContext", json::object());
  Containers(spec, "initContainers");
  Containers(spec, "containers");
  Containers(spec, "ephemeralContainers");
}

void PodTemplate(json& tmpl) {
  if (!tmpl.is_object()) return;
  PodSpec(Child(tmpl, "spec"));
}

void Pod(json& pod, bool creating) {
  json& spec = Child(pod, "spec");
  PodSpec(spec);
  Default(spec, "enableServiceLinks", true);
  if (!creating) return;  // what follows is set on creation only
  Default(Child(pod, "status"), "qosClass", QosClass(spec));
  // The ServiceAccount admission plugin; serviceAccount is the older name of the same field.
  Default(spec, "serviceAccountName", "default");
  Default(spec, "serviceAccount", spec["serviceAccountName"]);
  // The Priority admission plugin, with no PriorityClass marked global default.
  if (!spec.contains("priorityClassName") || spec["priorityClassName"].is_null()) {
    Default(spec, "priority", 0);
  }
  Default(spec, "preemptionPolicy", "PreemptLowerPriority");
  // The DefaultTolerationSeconds admission plugin.
  json& tolerations = spec["tolerations"];
  if (!tolerations.is_array()) tolerations = json::array();
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    if (HasToleration(tolerations, key)) continue;
    tolerations.push_back({{"effect", "NoExecute"},
                           {"key", key},
                           {"operator", "Exists"},
                           {"tolerationSeconds", 300}});
  }
}

}  // namespace kubedouble::fake::defaults
