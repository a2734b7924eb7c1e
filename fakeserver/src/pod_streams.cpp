#include "pod_streams.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace kubedouble::fake {

namespace {

// The names of every container of the pod (containers, init, ephemeral), as Go prints a []string.
std::string AllNames(const json& spec) {
  std::string out;
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (const auto& c : spec[list]) {
      if (!c.is_object()) continue;
      if (!out.empty()) out += ' ';
      out += c.value("name", "");
    }
  }
  return "[" + out + "]";
}

const json* FindContainer(const json& spec, const std::string& name) {
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array()) continue;
    for (const auto& c : spec[list]) {
      if (c.is_object() && c.value("name", "") == name) return &c;
    }
  }
  return nullptr;
}

// The container checks of exec, attach and portforward (none for portforward): the container
// asked for, or nullptr for portforward.
const json* CheckStreamContainer(const json& pod, const std::string& subresource,
                                 const std::string& container) {
  const std::string name = pod["metadata"].value("name", "");
  static const json kNoSpec = json::object();
  auto spec_it = pod.find("spec");
  const json& spec = spec_it != pod.end() && spec_it->is_object() ? *spec_it : kNoSpec;
  const json* found = nullptr;
  if (subresource != "portforward") {
    if (container.empty()) {
      auto containers = spec.find("containers");
      if (containers == spec.end() || !containers->is_array() || containers->empty()) {
        throw StatusError::BadRequest(
            fmt::format("a container name must be specified for pod {}", name));
      }
      if (containers->size() > 1) {
        throw StatusError::BadRequest(
            fmt::format("a container name must be specified for pod {}, choose one of: {}", name,
                        AllNames(spec)));
      }
      found = &(*containers)[0];
    } else {
      found = FindContainer(spec, container);
      if (!found) {
        throw StatusError::BadRequest(
            fmt::format("container {} is not valid for pod {}", container, name));
      }
    }
  }
  if (spec.value("nodeName", "").empty()) {
    throw StatusError::BadRequest(fmt::format("pod {} does not have a host assigned", name));
  }
  return found;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

const json& StreamContainer(const json& pod, const std::string& subresource,
                            const std::string& container) {
  return *CheckStreamContainer(pod, subresource == "portforward" ? "exec" : subresource, container);
}

void RefuseStreamWithoutUpgrade(const json& pod, const std::string& subresource,
                                const std::string& container) {
  CheckStreamContainer(pod, subresource, container);
  throw StatusError::BadRequest("Upgrade request required");
}

bool IsWebSocketUpgrade(const httplib::Request& req) {
  return Lower(req.get_header_value("Upgrade")).find("websocket") != std::string::npos;
}

bool IsStreamUpgrade(const httplib::Request& req) {
  const std::string upgrade = Lower(req.get_header_value("Upgrade"));
  return upgrade.find("websocket") != std::string::npos ||
         upgrade.find("spdy/3.1") != std::string::npos;
}

std::vector<std::string> QueryValues(const httplib::Request& req, const char* name) {
  std::vector<std::string> values;
  const size_t count = req.get_param_value_count(name);
  for (size_t i = 0; i < count; ++i) values.push_back(req.get_param_value(name, i));
  return values;
}

void CheckPortForward(const json& pod) { CheckStreamContainer(pod, "portforward", ""); }

UpgradeHeaders UpgradeHeadersOf(const httplib::Request& req) {
  UpgradeHeaders headers;
  headers.key = req.get_header_value("Sec-WebSocket-Key");
  headers.version = req.get_header_value("Sec-WebSocket-Version");
  auto all = [&req](const char* name) {
    std::string joined;
    const size_t n = req.get_header_value_count(name);
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) joined += ", ";
      joined += req.get_header_value(name, i);
    }
    return joined;
  };
  headers.protocols = all("Sec-WebSocket-Protocol");
  headers.upgrade = req.get_header_value("Upgrade");
  headers.stream_protocols = all("X-Stream-Protocol-Version");
  return headers;
}

PodStreamPlan PlanUpgradePodStream(const httplib::Request& req, const json& pod,
                                   const std::string& subresource, FileTrees& trees,
                                   const ServerClock& clock) {
  const UpgradeHeaders headers = UpgradeHeadersOf(req);
  auto query = [&req](const char* name) { return QueryValues(req, name); };
  return PlanPodStream(pod, subresource, headers, query, trees, clock);
}

std::optional<Attributes> UpgradeCreateCheck(const httplib::Request& req, const Attributes& asked) {
  if (asked.verb != "get" || asked.resource != "pods" || !asked.api_group.empty()) {
    return std::nullopt;
  }
  if (asked.subresource != "exec" && asked.subresource != "attach" &&
      asked.subresource != "portforward") {
    return std::nullopt;
  }
  if (!IsWebSocketUpgrade(req)) return std::nullopt;
  Attributes create = asked;
  create.verb = "create";
  return create;
}

}  // namespace kubedouble::fake
