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

const json& Ports(const json& svc) {
  static const json kNone = json::array();
  if (!svc.contains("spec") || !svc["spec"].is_object()) return kNone;
  const json& spec = svc["spec"];
  return spec.contains("ports") && spec["ports"].is_array() ? spec["ports"] : kNone;
}

// The stored node port of the port with the same number and protocol; null when none.
json StoredNodePort(const json* old, const json& port) {
  if (!old) return nullptr;
  for (const auto& p : Ports(*old)) {
    if (p.is_object() && p.value("port", json()) == port.value("port", json()) &&
        p.value("protocol", json()) == port.value("protocol", json()) && p.contains("nodePort")) {
      return p["nodePort"];
    }
  }
  return nullptr;
}

}  // namespace

void AssignNodePorts(Core& c, json& svc, const json* old) {
  if (!svc.contains("spec") || !svc["spec"].is_object()) return;
  const std::string type = svc["spec"].value("type", "ClusterIP");
  if (type != "NodePort" && type != "LoadBalancer") return;
  if (!svc["spec"].contains("ports") || !svc["spec"]["ports"].is_array()) return;
  std::set<int64_t> used;
  auto it = c.buckets.find("/services");
  if (it != c.buckets.end()) {
    for (const auto& [key, obj] : it->second) {
      for (const auto& p : Ports(*obj)) {
        if (p.is_object() && p.contains("nodePort") && p["nodePort"].is_number_integer()) {
          used.insert(p["nodePort"].get<int64_t>());
        }
      }
    }
  }
  for (auto& port : svc["spec"]["ports"]) {
    // nodePort 0 asks for one, as no nodePort does (Go cannot tell them apart; protobuf clients
    // such as kubectl create service send the 0).
    if (!port.is_object() ||
        (port.contains("nodePort") && !port["nodePort"].is_null() && port["nodePort"] != 0)) {
      continue;
    }
    json kept = StoredNodePort(old, port);
    if (!kept.is_null()) {
      port["nodePort"] = kept;
      continue;
    }
    int64_t n;
    do {
      n = 30000 + static_cast<int64_t>(c.rng() % 2768);
    } while (used.count(n) && used.size() < 2768);
    used.insert(n);
    port["nodePort"] = n;
  }
}

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
