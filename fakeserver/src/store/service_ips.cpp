// Cluster IP allocation.
#include "service_ips.h"

#include <set>

namespace kubedouble::fake {
namespace {

constexpr uint32_t kBase = (10u << 24) | (96u << 16);  // 10.96.0.0
constexpr uint32_t kSize = 1u << 20;                   // /12

std::string Format(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

std::string ClusterIp(const json& svc) {
  if (!svc.contains("spec") || !svc["spec"].is_object()) return "";
  const json& ip = svc["spec"].value("clusterIP", json());
  return ip.is_string() ? ip.get<std::string>() : "";
}

}  // namespace

void AssignClusterIp(Core& c, json& svc, const json* old) {
  if (!svc.contains("spec") || !svc["spec"].is_object()) return;
  json& spec = svc["spec"];
  if (spec.value("type", "ClusterIP") == "ExternalName") return;
  std::string ip = ClusterIp(svc);
  if (ip.empty() && old) {
    ip = ClusterIp(*old);
    if (!ip.empty()) spec["clusterIP"] = ip;
  }
  if (ip.empty()) {
    std::set<std::string> used = {Format(kBase + 1), Format(kBase + 10)};
    auto it = c.buckets.find("/services");
    if (it != c.buckets.end()) {
      for (const auto& [key, obj] : it->second) used.insert(ClusterIp(*obj));
    }
    do {
      ip = Format(kBase + 1 + static_cast<uint32_t>(c.rng() % (kSize - 2)));
    } while (used.count(ip));
    spec["clusterIP"] = ip;
  }
  if (!spec.contains("clusterIPs") || !spec["clusterIPs"].is_array() ||
      spec["clusterIPs"].empty()) {
    spec["clusterIPs"] = json::array({ip});
  }
}

}  // namespace kubedouble::fake
