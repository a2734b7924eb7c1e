// Names and addresses of the simulated nodes, as a kind cluster numbers them: node 0 is
// kubedouble-control-plane (172.18.0.2, pods from 10.244.0.0/24), node 1 kubedouble-worker
// (172.18.0.3, 10.244.1.0/24), node 2 kubedouble-worker2, and so on.
#pragma once

#include <string>

namespace kubedouble::controlplane {

std::string NodeName(int index, int count);
std::string HostIp(int index);
std::string PodCidr(int index);
// The index of a pod CIDR "10.244.N.0/24" (-1 when it is not one of ours).
int CidrIndex(const std::string& cidr);

}  // namespace kubedouble::controlplane
