// Server-side printing: the Table kubectl get asks for, with the columns of the real printers.
#include <string>

#include "store_core.h"

namespace kubedouble::fake {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

const char kNameDesc[] =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const char kAgeDesc[] =
    "CreationTimestamp is a timestamp representing the server time when this object was "
    "created. It is not guaranteed to be set in happens-before order across separate "
    "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
    "UTC.";

json Column(const std::string& name, const std::string& type, const std::string& desc,
            int priority = 0, const std::string& format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", desc},
          {"priority", priority}};
}

json NameColumn() { return Column("Name", "string", kNameDesc, 0, "name"); }
json AgeColumn() { return Column("Age", "string", kAgeDesc); }

const json& Get(const json& o, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* cur = &o;
  for (const char* p : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(p);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::string Str(const json& o, std::initializer_list<const char*> path,
                const std::string& fallback = "") {
  const json& v = Get(o, path);
  return v.is_string() && !v.get<std::string>().empty() ? v.get<std::string>() : fallback;
}

size_t Count(const json& v) { return v.is_object() || v.is_array() ? v.size() : 0; }

std::string Age(const json& obj, TimePoint now) {
  auto t = ParseTime(Str(obj, {"metadata", "creationTimestamp"}));
  if (!t) return "<unknown>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

json PodColumns() {
  return {
      NameColumn(),
      Column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      Column("Status", "string", "The aggregate status of the containers in this pod."),
      Column("Restarts", "string",
             "The number of times the containers in this pod have been restarted and when "
             "the last container in this pod has restarted."),
      AgeColumn(),
      Column("IP", "string",
             "podIP address allocated to the pod. Routable at least within the cluster. "
             "Empty if not yet allocated.",
             1),
      Column("Node", "string",
             "NodeName indicates in which node this pod is scheduled. If empty, this pod is a "
             "candidate for preemption by the scheduler.",
             1),
      Column("Nominated Node", "string",
             "nominatedNodeName is set only when this pod preempts other pods on the node, "
             "but it cannot be scheduled right away as preemption victims receive their "
             "graceful termination periods.",
             1),
      Column("Readiness Gates", "string",
             "If specified, all readiness gates will be evaluated for pod readiness.", 1)};
}

// kubectl's printPod, for the states a fake cluster has.
json PodCells(const json& pod, TimePoint now) {
  const json& containers = Get(pod, {"spec", "containers"});
  size_t total = Count(containers), ready = 0;
  int64_t restarts = 0;
  std::string reason = Str(pod, {"status", "phase"});
  if (!Str(pod, {"status", "reason"}).empty()) reason = Str(pod, {"status", "reason"});
  bool has_running = false;
  std::optional<TimePoint> last_restart;
  const json& statuses = Get(pod, {"status", "containerStatuses"});
  if (statuses.is_array()) {
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
      const json& cs = *it;
      if (Get(cs, {"restartCount"}).is_number_integer())
        restarts += cs["restartCount"].get<int64_t>();
      if (auto t = ParseTime(Str(cs, {"lastState", "terminated", "finishedAt"}))) {
        if (!last_restart || *t > *last_restart) last_restart = t;
      }
      std::string waiting = Str(cs, {"state", "waiting", "reason"});
      std::string terminated = Str(cs, {"state", "terminated", "reason"});
      if (!waiting.empty()) {
        reason = waiting;
      } else if (!terminated.empty()) {
        reason = terminated;
      } else if (Get(cs, {"state", "terminated"}).is_object()) {
        const json& term = Get(cs, {"state", "terminated"});
        int sig = term.value("signal", 0);
        reason = sig != 0 ? "Signal:" + std::to_string(sig)
                          : "ExitCode:" + std::to_string(term.value("exitCode", 0));
      } else if (Get(cs, {"ready"}) == true && Get(cs, {"state", "running"}).is_object()) {
        has_running = true;
        ++ready;
      }
    }
  }
  if (reason == "Completed" && has_running) reason = "Running";
  if (!Get(pod, {"metadata", "deletionTimestamp"}).is_null()) {
    reason = Str(pod, {"status", "reason"}) == "NodeLost" ? "Unknown" : "Terminating";
  }
  std::string restarts_cell = std::to_string(restarts);
  if (restarts > 0 && last_restart) {
    restarts_cell +=
        " (" +
        HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *last_restart)) +
        " ago)";
  }
  std::string gates = "<none>";
  const json& rg = Get(pod, {"spec", "readinessGates"});
  if (Count(rg) > 0) {
    size_t ok = 0;
    const json& conds = Get(pod, {"status", "conditions"});
    for (const auto& g : rg) {
      for (const auto& c : conds.is_array() ? conds : json::array()) {
        if (c.value("type", "") == g.value("conditionType", "") &&
            c.value("status", "") == "True") {
          ++ok;
        }
      }
    }
    gates = std::to_string(ok) + "/" + std::to_string(rg.size());
  }
  return {Str(pod, {"metadata", "name"}),
          std::to_string(ready) + "/" + std::to_string(total),
          reason,
          restarts_cell,
          Age(pod, now),
          Str(pod, {"status", "podIP"}, "<none>"),
          Str(pod, {"spec", "nodeName"}, "<none>"),
          Str(pod, {"status", "nominatedNodeName"}, "<none>"),
          gates};
}

json Columns(const ResourceInfo& res) {
  if (!res.group.empty()) {
    return {NameColumn(), Column("Created At", "date", kAgeDesc)};
  }
  if (res.plural == "pods") return PodColumns();
  if (res.plural == "secrets") {
    return {NameColumn(), Column("Type", "string", "The type of the secret"),
            Column("Data", "string", "The number of entries in the secret's data"), AgeColumn()};
  }
  if (res.plural == "serviceaccounts") {
    return {NameColumn(),
            Column("Secrets", "string", "The number of secrets the service account references"),
            AgeColumn()};
  }
  if (res.plural == "namespaces") {
    return {NameColumn(), Column("Status", "string", "The status of the namespace"), AgeColumn()};
  }
  return {NameColumn(), Column("Created At", "date", kAgeDesc)};
}

json Cells(const ResourceInfo& res, const json& obj, TimePoint now) {
  std::string name = Str(obj, {"metadata", "name"});
  if (res.group.empty()) {
    if (res.plural == "pods") return PodCells(obj, now);
    if (res.plural == "secrets") {
      return {name, Str(obj, {"type"}), Count(Get(obj, {"data"})), Age(obj, now)};
    }
    if (res.plural == "serviceaccounts") {
      return {name, Count(Get(obj, {"secrets"})), Age(obj, now)};
    }
    if (res.plural == "namespaces") {
      return {name, Str(obj, {"status", "phase"}), Age(obj, now)};
    }
  }
  return {name, Str(obj, {"metadata", "creationTimestamp"})};
}

json Row(const ResourceInfo& res, const json& obj, TimePoint now) {
  json meta = obj.contains("metadata") ? obj["metadata"] : json::object();
  return {{"cells", Cells(res, obj, now)},
          {"object",
           {{"kind", "PartialObjectMetadata"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", std::move(meta)}}}};
}

}  // namespace

std::string HumanDuration(std::chrono::seconds age) {
  int64_t seconds = age.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m"
                  : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h"
                  : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d"
                  : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

json ToTable(const ResourceInfo& res, const json& list_or_object, bool include_column_definitions,
             std::chrono::system_clock::time_point now) {
  json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", json::object()},
                {"columnDefinitions", include_column_definitions ? Columns(res) : json::array()},
                {"rows", json::array()}};
  const bool is_list = list_or_object.is_object() && list_or_object.contains("items") &&
                       list_or_object["items"].is_array();
  if (is_list) {
    const json& lm = Get(list_or_object, {"metadata"});
    for (const char* f : {"resourceVersion", "continue", "remainingItemCount"}) {
      if (lm.is_object() && lm.contains(f)) table["metadata"][f] = lm[f];
    }
    for (const auto& item : list_or_object["items"]) table["rows"].push_back(Row(res, item, now));
  } else if (list_or_object.is_object()) {
    std::string rv = Str(list_or_object, {"metadata", "resourceVersion"});
    if (!rv.empty()) table["metadata"]["resourceVersion"] = rv;
    table["rows"].push_back(Row(res, list_or_object, now));
  }
  return table;
}

}  // namespace kubedouble::fake
