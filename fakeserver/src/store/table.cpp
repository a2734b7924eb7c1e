// Server-side printing: the Table kubectl get asks for, with the columns of the real printers.
#include <algorithm>
#include <string>
#include <vector>

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
    if (IsCrdResource(res)) return {NameColumn(), Column("Created At", "date", kAgeDesc)};
    return {NameColumn(), Column("Age", "date", kAgeDesc)};
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
  if (res.plural == "configmaps") {
    return {NameColumn(), Column("Data", "string", "The number of entries in the config map"),
            AgeColumn()};
  }
  if (res.plural == "services") {
    return {NameColumn(),
            Column("Type", "string", "Type of the service"),
            Column("Cluster-IP", "string", "The cluster IP of the service"),
            Column("External-IP", "string", "The external IPs of the service"),
            Column("Port(s)", "string", "The ports of the service"),
            AgeColumn(),
            Column("Selector", "string", "The labels of the pods the service routes to", 1)};
  }
  if (res.plural == "nodes") {
    return {NameColumn(),
            Column("Status", "string", "The status of the node"),
            Column("Roles", "string", "The roles of the node"),
            AgeColumn(),
            Column("Version", "string", "Kubelet Version reported by the node."),
            Column("Internal-IP", "string", "The node's internal IP", 1),
            Column("External-IP", "string", "The node's external IP", 1),
            Column("OS-Image", "string", "OS Image reported by the node.", 1),
            Column("Kernel-Version", "string", "Kernel Version reported by the node.", 1),
            Column("Container-Runtime", "string", "Container runtime reported by the node.", 1)};
  }
  if (res.plural == "events") {
    return {Column("Last Seen", "string", "The time the event was last seen"),
            Column("Type", "string", "Type of this event (Normal, Warning)"),
            Column("Reason", "string", "Why the action was taken"),
            Column("Object", "string", "The object this event is about"),
            Column("Subobject", "string", "The part of the object this event is about", 1),
            Column("Source", "string", "The component reporting this event", 1),
            Column("Message", "string", "A human-readable description of the event"),
            Column("First Seen", "string", "The time the event was first seen", 1),
            Column("Count", "string", "The number of times this event has occurred", 1),
            Column("Name", "string", kNameDesc, 1, "name")};
  }
  return {NameColumn(), Column("Created At", "date", kAgeDesc)};
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

std::string Since(const std::string& timestamp, TimePoint now) {
  auto t = ParseTime(timestamp);
  if (!t) return "<unknown>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

json ServiceCells(const json& svc, TimePoint now) {
  std::string type = Str(svc, {"spec", "type"}, "ClusterIP");
  std::string external = "<none>";
  std::vector<std::string> ips;
  for (const auto& ip : Get(svc, {"spec", "externalIPs"}).is_array()
                            ? Get(svc, {"spec", "externalIPs"})
                            : json::array()) {
    if (ip.is_string()) ips.push_back(ip.get<std::string>());
  }
  if (type == "LoadBalancer") {
    const json& ingress = Get(svc, {"status", "loadBalancer", "ingress"});
    for (const auto& i : ingress.is_array() ? ingress : json::array()) {
      std::string v = i.value("ip", i.value("hostname", ""));
      if (!v.empty()) ips.push_back(v);
    }
    external = ips.empty() ? "<pending>" : "";
  } else if (type == "ExternalName") {
    external = Str(svc, {"spec", "externalName"}, "<none>");
  }
  if (!ips.empty()) {
    external.clear();
    for (size_t i = 0; i < ips.size(); ++i) external += (i ? "," : "") + ips[i];
  }
  std::string ports;
  const json& ps = Get(svc, {"spec", "ports"});
  for (const auto& p : ps.is_array() ? ps : json::array()) {
    if (!ports.empty()) ports += ",";
    ports += std::to_string(p.value("port", 0));
    if (p.contains("nodePort")) ports += ":" + std::to_string(p.value("nodePort", 0));
    ports += "/" + p.value("protocol", std::string("TCP"));
  }
  std::string selector;
  const json& sel = Get(svc, {"spec", "selector"});
  static const json kEmpty = json::object();
  for (const auto& [k, v] : (sel.is_object() ? sel : kEmpty).items()) {
    selector +=
        (selector.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return {Str(svc, {"metadata", "name"}),
          type,
          Str(svc, {"spec", "clusterIP"}, "<none>"),
          external,
          OrNone(ports),
          Age(svc, now),
          OrNone(selector)};
}

json NodeCells(const json& node, TimePoint now) {
  std::string status = "Unknown";
  const json& conds = Get(node, {"status", "conditions"});
  for (const auto& c : conds.is_array() ? conds : json::array()) {
    if (c.value("type", "") == "Ready")
      status = c.value("status", "") == "True" ? "Ready" : "NotReady";
  }
  if (Get(node, {"spec", "unschedulable"}) == true) status += ",SchedulingDisabled";
  std::string roles;
  const json& labels = Get(node, {"metadata", "labels"});
  static const json kEmpty = json::object();
  for (const auto& [k, v] : (labels.is_object() ? labels : kEmpty).items()) {
    const std::string prefix = "node-role.kubernetes.io/";
    std::string role;
    if (k.rfind(prefix, 0) == 0) role = k.substr(prefix.size());
    if (k == "kubernetes.io/role" && v.is_string()) role = v.get<std::string>();
    if (!role.empty()) roles += (roles.empty() ? "" : ",") + role;
  }
  auto address = [&](const std::string& type) {
    const json& as = Get(node, {"status", "addresses"});
    for (const auto& a : as.is_array() ? as : json::array()) {
      if (a.value("type", "") == type) return a.value("address", std::string("<none>"));
    }
    return std::string("<none>");
  };
  return {Str(node, {"metadata", "name"}),
          status,
          OrNone(roles),
          Age(node, now),
          Str(node, {"status", "nodeInfo", "kubeletVersion"}),
          address("InternalIP"),
          address("ExternalIP"),
          Str(node, {"status", "nodeInfo", "osImage"}, "<unknown>"),
          Str(node, {"status", "nodeInfo", "kernelVersion"}, "<unknown>"),
          Str(node, {"status", "nodeInfo", "containerRuntimeVersion"}, "<unknown>")};
}

json EventCells(const json& ev, TimePoint now) {
  std::string last = Str(ev, {"lastTimestamp"});
  if (last.empty()) last = Str(ev, {"eventTime"});
  std::string first = Str(ev, {"firstTimestamp"});
  if (first.empty()) first = Str(ev, {"eventTime"});
  std::string kind = Str(ev, {"involvedObject", "kind"});
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string source = Str(ev, {"source", "component"}, Str(ev, {"reportingComponent"}));
  if (!Str(ev, {"source", "host"}).empty()) source += ", " + Str(ev, {"source", "host"});
  const json& count = Get(ev, {"count"});
  return {Since(last, now),
          Str(ev, {"type"}),
          Str(ev, {"reason"}),
          kind + "/" + Str(ev, {"involvedObject", "name"}),
          Str(ev, {"involvedObject", "fieldPath"}),
          source,
          Str(ev, {"message"}),
          Since(first, now),
          count.is_number_integer() ? count.get<int64_t>() : 1,
          Str(ev, {"metadata", "name"})};
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
    if (res.plural == "configmaps") {
      return {name, Count(Get(obj, {"data"})) + Count(Get(obj, {"binaryData"})), Age(obj, now)};
    }
    if (res.plural == "services") return ServiceCells(obj, now);
    if (res.plural == "nodes") return NodeCells(obj, now);
    if (res.plural == "events") return EventCells(obj, now);
  } else if (!IsCrdResource(res)) {
    return {name, Age(obj, now)};  // custom resources: Name, Age
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
