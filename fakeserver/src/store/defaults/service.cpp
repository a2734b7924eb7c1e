// Service defaults.
#include "defaults.h"

namespace kubedouble::fake::defaults {

void Service(json& svc) {
  json& spec = Child(svc, "spec");
  Default(spec, "type", "ClusterIP");
  const std::string type = spec["type"].is_string() ? spec["type"].get<std::string>() : "";
  Default(spec, "sessionAffinity", "None");
  if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& port : spec["ports"]) {
      if (!port.is_object()) continue;
      Default(port, "protocol", "TCP");
      // targetPort 0 or "" is no target port (protobuf clients send the 0 of a Go zero value).
      if (port.contains("targetPort") && (port["targetPort"] == 0 || port["targetPort"] == "")) {
        port.erase("targetPort");
      }
      if (port.contains("port")) Default(port, "targetPort", port["port"]);
    }
  }
  if (type == "ExternalName") return;
  Default(spec, "internalTrafficPolicy", "Cluster");
  if (type == "NodePort" || type == "LoadBalancer") {
    Default(spec, "externalTrafficPolicy", "Cluster");
  }
  if (type == "LoadBalancer") Default(spec, "allocateLoadBalancerNodePorts", true);
  // One IPv4 family: the fake cluster is single-stack.
  Default(spec, "ipFamilyPolicy", "SingleStack");
  Default(spec, "ipFamilies", json::array({"IPv4"}));
}

}  // namespace kubedouble::fake::defaults
