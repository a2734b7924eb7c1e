// pods/proxy and services/proxy: from the URL's NAME:PORT to a pod's address (proxy_location.h).
#include "proxy_location.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "json_fields.h"

namespace kubedouble::fake {

namespace {

StatusError ServiceUnavailable(const std::string& message) {
  return StatusError(503, "ServiceUnavailable", message);
}

const ResourceInfo& Core(const Registry& registry, const char* plural,
                         std::optional<ResourceInfo>& slot) {
  slot = registry.Find("", "v1", plural);
  if (!slot) throw StatusError::NotFound(plural, "");
  return *slot;
}

// The pod's first IP, as kube-apiserver reads it (status.podIPs[0]; status.podIP for a pod
// written without podIPs).
std::string PodIP(const json& pod) {
  const json& status = Field(pod, "status");
  const json& ips = Field(status, "podIPs");
  if (ips.is_array() && !ips.empty()) return Text(ips[0], "ip");
  return Text(status, "podIP");
}

std::vector<std::string> PodIPs(const json& pod) {
  std::vector<std::string> out;
  const json& status = Field(pod, "status");
  const json& ips = Field(status, "podIPs");
  if (ips.is_array()) {
    for (const json& ip : ips) out.push_back(Text(ip, "ip"));
  }
  if (out.empty()) out.push_back(Text(status, "podIP"));
  return out;
}

// Go's net.IP.IsGlobalUnicast: not unspecified, loopback, link-local or multicast (nor the IPv4
// broadcast address).
bool GlobalUnicast(const std::string& ip) {
  unsigned char v4[4];
  unsigned char v6[16];
  if (inet_pton(AF_INET, ip.c_str(), v4) == 1) {
    if (v4[0] == 0 && v4[1] == 0 && v4[2] == 0 && v4[3] == 0) return false;
    if (v4[0] == 127 || v4[0] >= 224) return false;
    if (v4[0] == 169 && v4[1] == 254) return false;
    return true;
  }
  if (inet_pton(AF_INET6, ip.c_str(), v6) != 1) return false;
  bool zero_prefix = true;
  for (int i = 0; i < 15; ++i) zero_prefix = zero_prefix && v6[i] == 0;
  if (zero_prefix && (v6[15] == 0 || v6[15] == 1)) return false;  // :: and ::1
  if (v6[0] == 0xff) return false;                                // multicast
  if (v6[0] == 0xfe && (v6[1] & 0xc0) == 0x80) return false;      // fe80::/10
  return true;
}

std::string FirstContainerPort(const json& pod) {
  const json& containers = Field(Field(pod, "spec"), "containers");
  if (!containers.is_array()) return "";
  for (const json& c : containers) {
    const json& ports = Field(c, "ports");
    if (!ports.is_array() || ports.empty()) continue;
    const json& number = Field(ports[0], "containerPort");
    return number.is_number_integer() ? std::to_string(number.get<int64_t>()) : "";
  }
  return "";
}

std::optional<int64_t> Number(const std::string& text) {
  int64_t value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;  // strconv.ParseInt takes a sign
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<SchemeNamePort> SplitSchemeNamePort(const std::string& id) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t colon = id.find(':', start);
    parts.push_back(id.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  SchemeNamePort out;
  if (parts.size() == 1) {
    out.name = parts[0];
  } else if (parts.size() == 2) {
    out.name = parts[0];
    out.port = parts[1];
  } else if (parts.size() == 3) {
    out.scheme = parts[0];
    out.name = parts[1];
    out.port = parts[2];
  } else {
    return std::nullopt;
  }
  if (out.name.empty()) return std::nullopt;
  if (!out.scheme.empty() && out.scheme != "http" && out.scheme != "https") return std::nullopt;
  return out;
}

ProxyDestination ResolvePodProxy(const Store& store, const Registry& registry,
                                 const std::string& ns, const std::string& id) {
  auto split = SplitSchemeNamePort(id);
  if (!split) throw StatusError::BadRequest(fmt::format("invalid pod request {}", json(id).dump()));
  std::optional<ResourceInfo> pods;
  ProxyDestination to;
  to.pod = store.Get(Core(registry, "pods", pods), ns, split->name);
  to.scheme = split->scheme.empty() ? "http" : split->scheme;
  to.port = split->port.empty() ? FirstContainerPort(to.pod) : split->port;
  to.ip = PodIP(to.pod);
  if (!GlobalUnicast(to.ip)) throw StatusError::BadRequest("address not allowed");
  if (to.port.empty()) to.port = to.scheme == "https" ? "443" : "80";
  return to;
}

ProxyDestination ResolveServiceProxy(const Store& store, const Registry& registry,
                                     const std::string& ns, const std::string& id, uint64_t turn) {
  auto split = SplitSchemeNamePort(id);
  if (!split) {
    throw StatusError::BadRequest(fmt::format("invalid service request {}", json(id).dump()));
  }
  std::optional<ResourceInfo> services, endpoints, pods;
  std::string port_name = split->port;
  if (auto number = Number(split->port)) {
    json service = store.Get(Core(registry, "services", services), ns, split->name);
    const json& ports = Field(Field(service, "spec"), "ports");
    bool found = false;
    for (const json& p : ports.is_array() ? ports : json::array()) {
      const json& port = Field(p, "port");
      if (port.is_number_integer() && port.get<int64_t>() == *number) {
        port_name = Text(p, "name");
        found = true;
        break;
      }
    }
    if (!found) {
      throw ServiceUnavailable(fmt::format("no service port {} found for service {}", *number,
                                           json(split->name).dump()));
    }
  }
  json eps = store.Get(Core(registry, "endpoints", endpoints), ns, split->name);
  const json& subsets = Field(eps, "subsets");
  if (!subsets.is_array() || subsets.empty()) {
    throw ServiceUnavailable(
        fmt::format("no endpoints available for service {}", json(split->name).dump()));
  }
  std::vector<ProxyDestination> candidates;
  const ResourceInfo& pod_info = Core(registry, "pods", pods);
  for (const json& subset : subsets) {
    const json& addresses = Field(subset, "addresses");
    const json& ports = Field(subset, "ports");
    if (!addresses.is_array() || !ports.is_array()) continue;
    for (const json& port : ports) {
      if (Text(port, "name") != port_name || !Field(port, "port").is_number_integer()) continue;
      for (const json& address : addresses) {
        const json& ref = Field(address, "targetRef");
        if (!ref.is_object() || Text(ref, "namespace") != ns) continue;
        std::optional<json> pod = store.Find(pod_info, ns, Text(ref, "name"));
        if (!pod) continue;
        ProxyDestination to;
        to.pod = std::move(*pod);
        to.ip = Text(address, "ip");
        auto ips = PodIPs(to.pod);
        if (std::find(ips.begin(), ips.end(), to.ip) == ips.end()) continue;
        to.scheme = split->scheme.empty() ? "http" : split->scheme;
        to.port = std::to_string(Field(port, "port").get<int64_t>());
        candidates.push_back(std::move(to));
      }
    }
  }
  if (candidates.empty()) {
    throw ServiceUnavailable(fmt::format("no endpoints available for service {}", json(id).dump()));
  }
  return candidates[turn % candidates.size()];
}

Dialed DialContainer(const ProxyDestination& to, const std::vector<PortRule>& rules) {
  Dialed out;
  int64_t port = 0;
  if (auto number = Number(to.port)) {
    port = *number;
    if (port < 0 || port > 65535) {
      out.error = fmt::format("dial tcp: address {}: invalid port", to.port);
      return out;
    }
  } else {
    servent entry{};
    servent* found = nullptr;
    char buffer[1024];
    if (getservbyname_r(to.port.c_str(), "tcp", &entry, buffer, sizeof buffer, &found) != 0 ||
        found == nullptr) {
      out.error = fmt::format("dial tcp: lookup tcp/{}: unknown port", to.port);
      return out;
    }
    port = ntohs(static_cast<uint16_t>(found->s_port));
  }
  out.target = FindPort(to.pod, static_cast<int>(port), rules);
  std::string address = to.ip.find(':') != std::string::npos ? fmt::format("[{}]:{}", to.ip, port)
                                                             : fmt::format("{}:{}", to.ip, port);
  if (!out.target.listening) {
    out.error = fmt::format("dial tcp {}: connect: connection refused", address);
  } else if (to.scheme == "https" && !out.target.rule.tls) {
    out.error = "tls: first record does not look like a TLS handshake";
  }
  return out;
}

}  // namespace kubedouble::fake
