#include "node_names.h"

#include <fmt/format.h>

namespace kubedouble::controlplane {

std::string NodeName(int index, int) {
  if (index == 0) return "kubedouble-control-plane";
  if (index == 1) return "kubedouble-worker";
  return fmt::format("kubedouble-worker{}", index);
}

// 172.18.0.2 upward, carrying into the third octet past 255.
std::string HostIp(int index) {
  int n = index + 2;
  return fmt::format("172.18.{}.{}", n / 256, n % 256);
}

std::string PodCidr(int index) { return fmt::format("10.244.{}.0/24", index); }

int CidrIndex(const std::string& cidr) {
  int n = -1;
  if (std::sscanf(cidr.c_str(), "10.244.%d.0/24", &n) != 1) return -1;
  return n;
}

}  // namespace kubedouble::controlplane
