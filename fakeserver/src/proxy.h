// The proxy subresources' handler (proxy.cpp), built from exactly what it reads:
// pods/NAME/proxy/... and services/NAME/proxy/... go on to the simulated container port
// (proxy_location.h); nodes/NAME/proxy/... reaches the simulated kubelet.
#pragma once

#include <atomic>
#include <cstdint>

#include "call.h"
#include "kubedouble/fakeserver/store.h"
#include "port_rules.h"

namespace kubedouble::fake {

struct ProxyEndpoint {
  const Store& store;        // the pod, the Service and its Endpoints, the node and its pods
  const Registry& registry;  // their kinds
  // The turn that spreads services/proxy over a Service's endpoints.
  std::atomic<uint64_t>& turn;
  const PortRules& port_rules;  // what the pods' ports do (Server::SetPortRules)

  // A request to `r`'s proxy subresource (pods, services or nodes) in `ns`: whatever the
  // container (or the kubelet) answers; 405 for a method kube-apiserver does not proxy.
  void Serve(Call& call, const ResourceInfo& r, const std::string& ns) const;

 private:
  void Node(Call& call, const ResourceInfo& nodes) const;  // nodes/NAME[:10250]/proxy/...
};

}  // namespace kubedouble::fake
