// The proxy subresources' handler (proxy.cpp), built from exactly what it reads:
// pods/NAME/proxy/... and services/NAME/proxy/... go on to the simulated container port
// (proxy_location.h); nodes/NAME/proxy/... reaches the simulated kubelet.
#pragma once

#include <atomic>
#include <cstdint>

#include "server_impl.h"

namespace kubedouble::fake {

struct ProxyEndpoint {
  const Store& store;        // the pod, the Service and its Endpoints, the node and its pods
  const Registry& registry;  // their kinds
  // The turn that spreads services/proxy over a Service's endpoints.
  std::atomic<uint64_t>& turn;
  // The stage rules for a pod's ports (Server::SetPortRules; none when unset).
  PortRulesFor port_rules_of;

  // A request to `r`'s proxy subresource (pods, services or nodes) in `ns`: whatever the
  // container (or the kubelet) answers; 405 for a method kube-apiserver does not proxy.
  void Serve(Call& call, const ResourceInfo& r, const std::string& ns) const;

 private:
  void Node(Call& call, const ResourceInfo& nodes) const;  // nodes/NAME[:10250]/proxy/...
};

}  // namespace kubedouble::fake
