// The computed Table cells (table_cells.h): one small function per printer computation.
// Over 600 lines because it is a catalogue: each function stands alone and is found by the
// name the schema's printer columns give it.
#include "table_cells.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "kubedouble/base/age.h"
#include "kubedouble/base/strings.h"

namespace kubedouble::fake {
namespace {

using CellFn = json (*)(const json& obj, std::string_view path, TimePoint now);

const json kNull;
const json kNoItems = json::array();
const json kNoKeys = json::object();

// Iterable views of a value: its elements (an array) or entries (an object), else nothing.
const json& Items(const json& v) { return v.is_array() ? v : kNoItems; }
const json& Entries(const json& v) { return v.is_object() ? v : kNoKeys; }

std::string Str(const json& v, const std::string& fallback = "") {
  return v.is_string() && !v.get_ref<const std::string&>().empty() ? v.get<std::string>()
                                                                   : fallback;
}
int64_t Int(const json& v) { return v.is_number_integer() ? v.get<int64_t>() : 0; }
std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }
std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}
// A list shown as at most three entries and a count of the rest.
std::string FirstThree(const std::vector<std::string>& all) {
  std::vector<std::string> shown(all.begin(), all.begin() + std::min<size_t>(3, all.size()));
  std::string cell = Join(shown, ",");
  if (all.size() > 3) cell += " + " + std::to_string(all.size() - 3) + " more...";
  return cell;
}
std::string Since(const std::optional<TimePoint>& t, TimePoint now) {
  if (!t) return "<unknown>";
  return base::HumanAge(*t, now);
}
std::optional<TimePoint> TimeAt(const json& obj, std::string_view path) {
  return ParseTime(Str(AtPath(obj, path)));
}

// The pod template of a workload: spec.template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
// Job, ReplicationController) or spec.jobTemplate.spec.template (CronJob).
const json& PodTemplateSpec(const json& obj) {
  const json& direct = AtPath(obj, "spec.template.spec");
  return direct.is_object() ? direct : AtPath(obj, "spec.jobTemplate.spec.template.spec");
}

std::string ContainerField(const json& obj, const char* field) {
  std::vector<std::string> out;
  for (const auto& c : Items(AtPath(PodTemplateSpec(obj), "containers")))
    out.push_back(Str(AtPath(c, field)));
  return Join(out, ",");
}

std::string KeyValues(const json& map) {
  std::vector<std::string> out;
  for (const auto& [k, v] : Entries(map).items()) {
    out.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  }
  return Join(out, ",");
}

// A metav1.LabelSelector as labels.Selector prints it: "app=web,tier in (a,b),!gone".
std::string LabelSelector(const json& sel) {
  if (!sel.is_object()) return "<none>";
  std::vector<std::string> parts;
  for (const auto& [k, v] : Entries(AtPath(sel, "matchLabels")).items())
    parts.push_back(k + "=" + Str(v));
  for (const auto& e : Items(AtPath(sel, "matchExpressions"))) {
    std::string key = Str(AtPath(e, "key")), op = Str(AtPath(e, "operator"));
    std::vector<std::string> values;
    for (const auto& v : Items(AtPath(e, "values"))) values.push_back(Str(v));
    std::sort(values.begin(), values.end());
    if (op == "In") parts.push_back(key + " in (" + Join(values, ",") + ")");
    if (op == "NotIn") parts.push_back(key + " notin (" + Join(values, ",") + ")");
    if (op == "Exists") parts.push_back(key);
    if (op == "DoesNotExist") parts.push_back("!" + key);
  }
  std::sort(parts.begin(), parts.end());
  return parts.empty() ? "<none>" : Join(parts, ",");
}

std::string ConditionStatus(const json& obj, const std::string& type) {
  for (const auto& c : Items(AtPath(obj, "status.conditions"))) {
    if (Str(AtPath(c, "type")) == type) return Str(AtPath(c, "status"));
  }
  return "";
}

// Pods (kubectl's printPod, for the states a fake cluster has).
struct PodState {
  size_t ready = 0, total = 0;
  std::string reason;
  int64_t restarts = 0;
  std::optional<TimePoint> last_restart;
};

PodState StateOf(const json& pod) {
  PodState s;
  s.total = Items(AtPath(pod, "spec.containers")).size();
  s.reason = Str(AtPath(pod, "status.reason"), Str(AtPath(pod, "status.phase")));
  bool has_running = false;
  const json& statuses = Items(AtPath(pod, "status.containerStatuses"));
  for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
    const json& cs = *it;
    s.restarts += Int(AtPath(cs, "restartCount"));
    if (auto t = TimeAt(cs, "lastState.terminated.finishedAt")) {
      if (!s.last_restart || *t > *s.last_restart) s.last_restart = t;
    }
    std::string waiting = Str(AtPath(cs, "state.waiting.reason"));
    std::string terminated = Str(AtPath(cs, "state.terminated.reason"));
    const json& term = AtPath(cs, "state.terminated");
    if (!waiting.empty()) {
      s.reason = waiting;
    } else if (!terminated.empty()) {
      s.reason = terminated;
    } else if (term.is_object()) {
      int64_t sig = Int(AtPath(term, "signal"));
      s.reason = sig != 0 ? "Signal:" + std::to_string(sig)
                          : "ExitCode:" + std::to_string(Int(AtPath(term, "exitCode")));
    } else if (AtPath(cs, "ready") == true && AtPath(cs, "state.running").is_object()) {
      has_running = true;
      ++s.ready;
    }
  }
  if (s.reason == "Completed" && has_running) s.reason = "Running";
  if (!AtPath(pod, "metadata.deletionTimestamp").is_null()) {
    s.reason = Str(AtPath(pod, "status.reason")) == "NodeLost" ? "Unknown" : "Terminating";
  }
  return s;
}

json PodReady(const json& pod, std::string_view, TimePoint) {
  PodState s = StateOf(pod);
  return std::to_string(s.ready) + "/" + std::to_string(s.total);
}
json PodStatus(const json& pod, std::string_view, TimePoint) { return StateOf(pod).reason; }
json PodRestarts(const json& pod, std::string_view, TimePoint now) {
  PodState s = StateOf(pod);
  std::string cell = std::to_string(s.restarts);
  if (s.restarts > 0 && s.last_restart) cell += " (" + Since(s.last_restart, now) + " ago)";
  return cell;
}
json PodIP(const json& pod, std::string_view, TimePoint) {
  return Str(AtPath(pod, "status.podIPs[0].ip"), Str(AtPath(pod, "status.podIP"), "<none>"));
}
json PodReadinessGates(const json& pod, std::string_view, TimePoint) {
  const json& gates = Items(AtPath(pod, "spec.readinessGates"));
  if (gates.empty()) return "<none>";
  size_t ok = 0;
  for (const auto& g : gates) {
    if (ConditionStatus(pod, Str(AtPath(g, "conditionType"))) == "True") ++ok;
  }
  return std::to_string(ok) + "/" + std::to_string(gates.size());
}

// Services.
json ServiceClusterIP(const json& svc, std::string_view, TimePoint) {
  return Str(AtPath(svc, "spec.clusterIPs[0]"), Str(AtPath(svc, "spec.clusterIP"), "<none>"));
}
std::vector<std::string> IngressAddresses(const json& ingress) {
  std::vector<std::string> out;
  for (const auto& i : Items(ingress)) {
    std::string v = Str(AtPath(i, "ip"), Str(AtPath(i, "hostname")));
    if (!v.empty()) out.push_back(v);
  }
  return out;
}
json ServiceExternalIP(const json& svc, std::string_view, TimePoint) {
  std::string type = Str(AtPath(svc, "spec.type"), "ClusterIP");
  std::vector<std::string> ips;
  for (const auto& ip : Items(AtPath(svc, "spec.externalIPs"))) ips.push_back(Str(ip));
  if (type == "ExternalName") return Str(AtPath(svc, "spec.externalName"), "<none>");
  if (type == "LoadBalancer") {
    auto lb = IngressAddresses(AtPath(svc, "status.loadBalancer.ingress"));
    lb.insert(lb.end(), ips.begin(), ips.end());
    return lb.empty() ? "<pending>" : Join(lb, ",");
  }
  return ips.empty() ? "<none>" : Join(ips, ",");
}
json ServicePorts(const json& svc, std::string_view, TimePoint) {
  std::vector<std::string> out;
  for (const auto& p : Items(AtPath(svc, "spec.ports"))) {
    std::string port = std::to_string(Int(AtPath(p, "port")));
    if (Int(AtPath(p, "nodePort")) != 0) port += ":" + std::to_string(Int(AtPath(p, "nodePort")));
    out.push_back(port + "/" + Str(AtPath(p, "protocol"), "TCP"));
  }
  return OrNone(Join(out, ","));
}
json Endpoints(const json& ep, std::string_view, TimePoint) {
  std::vector<std::string> out;
  size_t total = 0;
  for (const auto& subset : Items(AtPath(ep, "subsets"))) {
    for (const auto& a : Items(AtPath(subset, "addresses"))) {
      const json& ports = Items(AtPath(subset, "ports"));
      if (ports.empty()) {
        ++total;
        if (out.size() < 3) out.push_back(Str(AtPath(a, "ip")));
      }
      for (const auto& p : ports) {
        ++total;
        if (out.size() < 3)
          out.push_back(Str(AtPath(a, "ip")) + ":" + std::to_string(Int(AtPath(p, "port"))));
      }
    }
  }
  if (out.empty()) return "<none>";
  std::string cell = Join(out, ",");
  if (total > out.size()) cell += " + " + std::to_string(total - out.size()) + " more...";
  return cell;
}

// Nodes.
json NodeStatus(const json& node, std::string_view, TimePoint) {
  std::string ready = ConditionStatus(node, "Ready");
  std::string status = ready.empty() ? "Unknown" : ready == "True" ? "Ready" : "NotReady";
  if (AtPath(node, "spec.unschedulable") == true) status += ",SchedulingDisabled";
  return status;
}
json NodeRoles(const json& node, std::string_view, TimePoint) {
  const std::string prefix = "node-role.kubernetes.io/";
  std::vector<std::string> roles;
  for (const auto& [k, v] : Entries(AtPath(node, "metadata.labels")).items()) {
    if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size())
      roles.push_back(k.substr(prefix.size()));
    if (k == "kubernetes.io/role" && !Str(v).empty()) roles.push_back(Str(v));
  }
  std::sort(roles.begin(), roles.end());
  return OrNone(Join(roles, ","));
}
json NodeAddress(const json& node, std::string_view type, TimePoint) {
  for (const auto& a : Items(AtPath(node, "status.addresses"))) {
    if (Str(AtPath(a, "type")) == type) return Str(AtPath(a, "address"), "<none>");
  }
  return "<none>";
}

// Events (core/v1 and events.k8s.io/v1 share the printer).
json EventLastSeen(const json& ev, std::string_view, TimePoint now) {
  for (const char* p :
       {"series.lastObservedTime", "lastTimestamp", "eventTime", "firstTimestamp"}) {
    if (auto t = TimeAt(ev, p)) return Since(t, now);
  }
  return "<unknown>";
}
json EventFirstSeen(const json& ev, std::string_view, TimePoint now) {
  for (const char* p : {"firstTimestamp", "eventTime"}) {
    if (auto t = TimeAt(ev, p)) return Since(t, now);
  }
  return "<unknown>";
}
json EventObject(const json& ev, std::string_view, TimePoint) {
  const json& o =
      ev.contains("involvedObject") ? AtPath(ev, "involvedObject") : AtPath(ev, "regarding");
  std::string kind = base::Lower(Str(AtPath(o, "kind")));
  std::string name = Str(AtPath(o, "name"));
  return name.empty() ? kind : kind + "/" + name;
}
json EventSource(const json& ev, std::string_view, TimePoint) {
  std::string component =
      Str(AtPath(ev, "source.component"), Str(AtPath(ev, "reportingComponent")));
  std::string host = Str(AtPath(ev, "source.host"), Str(AtPath(ev, "reportingInstance")));
  return host.empty() ? component : component + ", " + host;
}
json EventCount(const json& ev, std::string_view, TimePoint) {
  if (ev.contains("series")) return Int(AtPath(ev, "series.count"));
  int64_t count = Int(AtPath(ev, "count"));
  return count == 0 ? 1 : count;
}

// Workloads.
json ReadyOfDesired(const json& obj, std::string_view, TimePoint) {
  return std::to_string(Int(AtPath(obj, "status.readyReplicas"))) + "/" +
         std::to_string(Int(AtPath(obj, "spec.replicas")));
}
json JobStatus(const json& job, std::string_view, TimePoint) {
  if (ConditionStatus(job, "Complete") == "True") return "Complete";
  if (ConditionStatus(job, "Failed") == "True") return "Failed";
  if (!AtPath(job, "metadata.deletionTimestamp").is_null()) return "Terminating";
  if (ConditionStatus(job, "Suspended") == "True") return "Suspended";
  if (ConditionStatus(job, "FailureTarget") == "True") return "FailureTarget";
  return "Running";
}
json JobCompletions(const json& job, std::string_view, TimePoint) {
  std::string succeeded = std::to_string(Int(AtPath(job, "status.succeeded")));
  const json& completions = AtPath(job, "spec.completions");
  if (completions.is_number_integer()) return succeeded + "/" + std::to_string(Int(completions));
  int64_t parallelism = Int(AtPath(job, "spec.parallelism"));
  if (parallelism > 1) return succeeded + "/1 of " + std::to_string(parallelism);
  return succeeded + "/1";
}
json JobDuration(const json& job, std::string_view, TimePoint now) {
  auto start = TimeAt(job, "status.startTime");
  if (!start) return "";
  auto end = TimeAt(job, "status.completionTime");
  return base::HumanAge(*start, end.value_or(now));
}

// Generic computations, reading the column's path.
json ContainerNames(const json& obj, std::string_view, TimePoint) {
  return ContainerField(obj, "name");
}
json ContainerImages(const json& obj, std::string_view, TimePoint) {
  return ContainerField(obj, "image");
}
json LabelSelectorAt(const json& obj, std::string_view path, TimePoint) {
  return LabelSelector(AtPath(obj, path));
}
json KeyValuesAt(const json& obj, std::string_view path, TimePoint) {
  return OrNone(KeyValues(AtPath(obj, path)));
}
json JoinedAt(const json& obj, std::string_view path, TimePoint) {
  std::vector<std::string> out;
  for (const auto& v : Items(AtPath(obj, path))) out.push_back(Str(v));
  return Join(out, ",");
}
json GoBool(const json& obj, std::string_view path, TimePoint) {
  const json& v = AtPath(obj, path);
  if (!v.is_boolean()) return "<unset>";
  return v.get<bool>() ? "True" : "False";
}
json KindSlashName(const json& obj, std::string_view path, TimePoint) {
  const json& ref = AtPath(obj, path);
  return Str(AtPath(ref, "kind")) + "/" + Str(AtPath(ref, "name"));
}
json NamespacedName(const json& obj, std::string_view path, TimePoint) {
  const json& ref = AtPath(obj, path);
  if (!ref.is_object()) return "Local";
  return Str(AtPath(ref, "namespace")) + "/" + Str(AtPath(ref, "name"));
}
json Subjects(const json& binding, std::string_view kind, TimePoint) {
  std::vector<std::string> out;
  for (const auto& s : Items(AtPath(binding, "subjects"))) {
    if (Str(AtPath(s, "kind")) != kind) continue;
    out.push_back(kind == "ServiceAccount"
                      ? Str(AtPath(s, "namespace")) + "/" + Str(AtPath(s, "name"))
                      : Str(AtPath(s, "name")));
  }
  return Join(out, ", ");
}
json PhaseOrTerminating(const json& obj, std::string_view path, TimePoint) {
  if (!AtPath(obj, "metadata.deletionTimestamp").is_null()) return "Terminating";
  return Str(AtPath(obj, path));
}
json LoadBalancerIngress(const json& obj, std::string_view path, TimePoint) {
  return Join(IngressAddresses(AtPath(obj, path)), ",");
}
json IngressHosts(const json& ing, std::string_view, TimePoint) {
  std::vector<std::string> hosts;
  for (const auto& r : Items(AtPath(ing, "spec.rules"))) {
    if (!Str(AtPath(r, "host")).empty()) hosts.push_back(Str(AtPath(r, "host")));
  }
  return hosts.empty() ? "*" : FirstThree(hosts);
}
json IngressPorts(const json& ing, std::string_view, TimePoint) {
  return Items(AtPath(ing, "spec.tls")).empty() ? "80" : "80, 443";
}
json Trimmed(const json& obj, std::string_view path, TimePoint) {
  std::string s = Str(AtPath(obj, path));
  s.erase(0, s.find_first_not_of(" \t\r\n"));
  s.erase(s.find_last_not_of(" \t\r\n") + 1);
  return s;
}

// Storage.
json NameOrDefault(const json& obj, std::string_view, TimePoint) {
  std::string name = Str(AtPath(obj, "metadata.name"));
  for (const auto& [k, v] : Entries(AtPath(obj, "metadata.annotations")).items()) {
    if (k.ends_with("/is-default-class") && v == "true") return name + " (default)";
  }
  return name;
}
json AccessModes(const json& obj, std::string_view path, TimePoint) {
  static const std::map<std::string, std::string> kShort = {{"ReadWriteOnce", "RWO"},
                                                            {"ReadOnlyMany", "ROX"},
                                                            {"ReadWriteMany", "RWX"},
                                                            {"ReadWriteOncePod", "RWOP"}};
  std::vector<std::string> out;
  for (const auto& m : Items(AtPath(obj, path))) {
    auto it = kShort.find(Str(m));
    if (it != kShort.end() && std::find(out.begin(), out.end(), it->second) == out.end()) {
      out.push_back(it->second);
    }
  }
  return Join(out, ",");
}
json BoundCapacity(const json& pvc, std::string_view, TimePoint) {
  if (Str(AtPath(pvc, "spec.volumeName")).empty()) return "";
  const json& q = AtPath(pvc, "status.capacity.storage");
  return q.is_string() ? q.get<std::string>() : q.is_null() ? "" : q.dump();
}
json ClaimRef(const json& pv, std::string_view, TimePoint) {
  const json& ref = AtPath(pv, "spec.claimRef");
  if (!ref.is_object()) return "";
  return Str(AtPath(ref, "namespace")) + "/" + Str(AtPath(ref, "name"));
}
json StorageClassName(const json& obj, std::string_view, TimePoint) {
  const json& annotations = Entries(AtPath(obj, "metadata.annotations"));
  auto beta = annotations.find("volume.beta.kubernetes.io/storage-class");
  return Str(AtPath(obj, "spec.storageClassName"), beta == annotations.end() ? "" : Str(*beta));
}
json QuotaUsage(const json& quota, std::string_view which, TimePoint) {
  std::vector<std::string> out;
  const json& used = Entries(AtPath(quota, "status.used"));
  for (const auto& [res, hard] : Entries(AtPath(quota, "status.hard")).items()) {
    if (res.starts_with("limits.") != (which == "limits")) continue;
    auto u = used.find(res);
    std::string u_text = u == used.end() ? "0" : u->is_string() ? u->get<std::string>() : u->dump();
    out.push_back(res + ": " + u_text + "/" +
                  (hard.is_string() ? hard.get<std::string>() : hard.dump()));
  }
  return Join(out, ", ");
}

// Conditions and references.
json ControllerRef(const json& obj, std::string_view, TimePoint) {
  for (const auto& ref : Items(AtPath(obj, "metadata.ownerReferences"))) {
    if (AtPath(ref, "controller") != true) continue;
    std::string api = Str(AtPath(ref, "apiVersion"));
    std::string group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
    std::string kind = base::Lower(Str(AtPath(ref, "kind")));
    return (group.empty() ? kind : kind + "." + group) + "/" + Str(AtPath(ref, "name"));
  }
  return "<none>";
}
json SecondsHumanized(const json& obj, std::string_view path, TimePoint) {
  const json& v = AtPath(obj, path);
  if (!v.is_number_integer()) return "";
  return base::HumanAge(std::chrono::seconds(v.get<int64_t>()));
}
json ConditionStatusOf(const json& obj, std::string_view type, TimePoint) {
  return ConditionStatus(obj, std::string(type));
}
const json& Condition(const json& obj, const std::string& type) {
  for (const auto& c : Items(AtPath(obj, "conditions"))) {
    if (Str(AtPath(c, "type")) == type) return c;
  }
  return kNull;
}
json ComponentHealth(const json& cs, std::string_view, TimePoint) {
  const json& c = Condition(cs, "Healthy");
  if (c.is_null()) return "Unknown";
  return Str(AtPath(c, "status")) == "True" ? "Healthy" : "Unhealthy";
}
json ConditionField(const json& cs, std::string_view field, TimePoint) {
  return Str(AtPath(Condition(cs, "Healthy"), field));
}
json AvailableCondition(const json& svc, std::string_view, TimePoint) {
  for (const auto& c : Items(AtPath(svc, "status.conditions"))) {
    if (Str(AtPath(c, "type")) != "Available") continue;
    std::string status = Str(AtPath(c, "status"));
    std::string reason = Str(AtPath(c, "reason"));
    return status == "True" || reason.empty() ? status : status + " (" + reason + ")";
  }
  return "Unknown";
}
json CsrCondition(const json& csr, std::string_view, TimePoint) {
  std::string approved = ConditionStatus(csr, "Approved"), denied = ConditionStatus(csr, "Denied");
  std::string cell = !denied.empty() ? "Denied" : !approved.empty() ? "Approved" : "Pending";
  if (!ConditionStatus(csr, "Failed").empty()) cell += ",Failed";
  if (!Str(AtPath(csr, "status.certificate")).empty()) cell += ",Issued";
  return cell;
}

json EndpointSlicePorts(const json& slice, std::string_view, TimePoint) {
  std::vector<std::string> out;
  for (const auto& p : Items(AtPath(slice, "ports"))) {
    const json& port = AtPath(p, "port");
    out.push_back(port.is_number_integer() ? port.dump() : Str(AtPath(p, "name"), "*"));
  }
  return FirstThree(out);
}
json EndpointSliceAddresses(const json& slice, std::string_view, TimePoint) {
  std::vector<std::string> out;
  for (const auto& e : Items(AtPath(slice, "endpoints"))) {
    for (const auto& a : Items(AtPath(e, "addresses"))) out.push_back(Str(a));
  }
  return FirstThree(out);
}

// HorizontalPodAutoscaler TARGETS: "cpu: 40%/80%", "<unknown>/500m", ...
std::string MetricValue(const json& v) {
  if (v.is_null()) return "";
  if (const json& u = AtPath(v, "averageUtilization"); u.is_number()) return u.dump() + "%";
  for (const char* f : {"averageValue", "value"}) {
    const json& q = AtPath(v, f);
    if (!q.is_null()) return q.is_string() ? q.get<std::string>() : q.dump();
  }
  return "";
}
std::string MetricName(const json& m) {
  std::string type = Str(AtPath(m, "type"));
  std::string key =
      type.empty() ? "" : std::string(1, static_cast<char>(std::tolower(type[0]))) + type.substr(1);
  if (type == "Resource" || type == "ContainerResource") return Str(AtPath(m, key + ".name"));
  return "";
}
const json& MetricBody(const json& m) {
  std::string type = Str(AtPath(m, "type"));
  if (type.empty()) return kNull;
  std::string key = std::string(1, static_cast<char>(std::tolower(type[0]))) + type.substr(1);
  return AtPath(m, key);
}
json HpaTargets(const json& hpa, std::string_view, TimePoint) {
  std::vector<std::string> out;
  if (const json& v1 = AtPath(hpa, "spec.targetCPUUtilizationPercentage"); v1.is_number()) {
    const json& cur = AtPath(hpa, "status.currentCPUUtilizationPercentage");
    out.push_back("cpu: " + (cur.is_number() ? cur.dump() + "%" : "<unknown>") + "/" + v1.dump() +
                  "%");
  }
  const json& current = Items(AtPath(hpa, "status.currentMetrics"));
  for (const auto& m : Items(AtPath(hpa, "spec.metrics"))) {
    std::string name = MetricName(m);
    std::string target = MetricValue(AtPath(MetricBody(m), "target"));
    std::string now;
    for (const auto& c : current) {
      if (Str(AtPath(c, "type")) == Str(AtPath(m, "type")) && MetricName(c) == name) {
        now = MetricValue(AtPath(MetricBody(c), "current"));
      }
    }
    std::string cell =
        (now.empty() ? "<unknown>" : now) + "/" + (target.empty() ? "<auto>" : target);
    out.push_back(name.empty() ? cell : name + ": " + cell);
  }
  if (out.empty()) return "<none>";
  std::vector<std::string> shown(out.begin(), out.begin() + std::min<size_t>(2, out.size()));
  std::string cell = Join(shown, ", ");
  if (out.size() > 2) cell += " + " + std::to_string(out.size() - 2) + " more...";
  return cell;
}

const std::map<std::string_view, CellFn>& Functions() {
  static const std::map<std::string_view, CellFn> kFunctions = {
      {"accessModes", AccessModes},
      {"availableCondition", AvailableCondition},
      {"boundCapacity", BoundCapacity},
      {"claimRef", ClaimRef},
      {"componentHealth", ComponentHealth},
      {"conditionField", ConditionField},
      {"conditionStatus", ConditionStatusOf},
      {"containerImages", ContainerImages},
      {"controllerRef", ControllerRef},
      {"csrCondition", CsrCondition},
      {"endpointSliceAddresses", EndpointSliceAddresses},
      {"endpointSlicePorts", EndpointSlicePorts},
      {"hpaTargets", HpaTargets},
      {"nameOrDefault", NameOrDefault},
      {"quotaUsage", QuotaUsage},
      {"secondsHumanized", SecondsHumanized},
      {"storageClassName", StorageClassName},
      {"containerNames", ContainerNames},
      {"endpoints", Endpoints},
      {"eventCount", EventCount},
      {"eventFirstSeen", EventFirstSeen},
      {"eventLastSeen", EventLastSeen},
      {"eventObject", EventObject},
      {"eventSource", EventSource},
      {"goBool", GoBool},
      {"ingressHosts", IngressHosts},
      {"ingressPorts", IngressPorts},
      {"jobCompletions", JobCompletions},
      {"jobDuration", JobDuration},
      {"jobStatus", JobStatus},
      {"joined", JoinedAt},
      {"keyValues", KeyValuesAt},
      {"kindSlashName", KindSlashName},
      {"labelSelector", LabelSelectorAt},
      {"loadBalancerIngress", LoadBalancerIngress},
      {"namespacedName", NamespacedName},
      {"nodeAddress", NodeAddress},
      {"nodeRoles", NodeRoles},
      {"nodeStatus", NodeStatus},
      {"phaseOrTerminating", PhaseOrTerminating},
      {"podIP", PodIP},
      {"podReadinessGates", PodReadinessGates},
      {"podReady", PodReady},
      {"podRestarts", PodRestarts},
      {"podStatus", PodStatus},
      {"readyOfDesired", ReadyOfDesired},
      {"serviceClusterIP", ServiceClusterIP},
      {"serviceExternalIP", ServiceExternalIP},
      {"servicePorts", ServicePorts},
      {"subjects", Subjects},
      {"trimmed", Trimmed},
  };
  return kFunctions;
}

}  // namespace

const json& AtPath(const json& object, std::string_view path) {
  const json* cur = &object;
  while (!path.empty()) {
    size_t end = path.find_first_of(".[");
    std::string_view step = path.substr(0, end);
    if (!step.empty()) {
      if (!cur->is_object()) return kNull;
      auto it = cur->find(std::string(step));
      if (it == cur->end()) return kNull;
      cur = &*it;
    }
    if (end == std::string_view::npos) break;
    if (path[end] == '[') {
      size_t close = path.find(']', end);
      if (close == std::string_view::npos) return kNull;
      size_t index = std::stoul(std::string(path.substr(end + 1, close - end - 1)));
      if (!cur->is_array() || index >= cur->size()) return kNull;
      cur = &(*cur)[index];
      path = path.substr(close + 1);
      if (!path.empty() && path[0] == '.') path.remove_prefix(1);
    } else {
      path = path.substr(end + 1);
    }
  }
  return *cur;
}

std::string AgeOf(const json& timestamp, TimePoint now) {
  return Since(ParseTime(Str(timestamp)), now);
}

std::optional<json> ComputedCell(std::string_view function, const json& object,
                                 std::string_view path, TimePoint now) {
  auto it = Functions().find(function);
  if (it == Functions().end()) return std::nullopt;
  return it->second(object, path, now);
}

}  // namespace kubedouble::fake
