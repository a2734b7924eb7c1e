// Addresses and ports of Services: cluster IPs from 10.96.0.0/12 and node ports from
// 30000-32767, allocated as a default cluster does.
#pragma once

#include "store_core.h"

namespace kubedouble::fake {

// Gives a Service of type ClusterIP, NodePort or LoadBalancer without spec.clusterIP a free
// address of 10.96.0.0/12 (never 10.96.0.1, the kubernetes Service's, nor 10.96.0.10, the DNS
// Service's) and sets spec.clusterIPs to match; "None" (headless) stays. On update (`old` set)
// the stored addresses are kept when the body leaves them out. Call under the unique lock.
void AssignClusterIp(Core& c, json& svc, const json* old);

// Gives each port of a NodePort or LoadBalancer Service without a nodePort a free one of
// 30000-32767 (on update, the stored port's, matched by port number and protocol).
void AssignNodePorts(Core& c, json& svc, const json* old);

}  // namespace kubedouble::fake
