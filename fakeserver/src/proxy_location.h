// Where pods/proxy and services/proxy send a request, found as kube-apiserver finds it, and what
// a connection there meets (the simulated container port, or the error Go's dialer gives).
//
//   pods/NAME[:PORT]/proxy/PATH, pods/SCHEME:NAME:PORT/proxy/PATH
//     the pod's first IP (status.podIPs[0]); no PORT: the first containerPort of the first
//     container that declares one, else the scheme's (80, 443). The port is dialed as written: a
//     number, or a service name looked up as Go looks it up (/etc/services: http is 80) — never
//     a containerPort name.
//   services/NAME[:PORT]/proxy/PATH, services/SCHEME:NAME:PORT/proxy/PATH
//     a numeric PORT is the Service's port, turned into that port's name; then the Endpoints of
//     the same name: a ready address (whose pod exists in the namespace and has that IP) of a
//     subset with a port of that name (no PORT: the unnamed port), with that endpoint port (the
//     targetPort, named ones resolved by the endpoints controller). Several: taken in turn.
//
// Refusals, worded as upstream words them:
//   400 invalid pod request "a:b:c:d"          400 invalid service request "ftp:web:80"
//   404 pods "x" not found                     404 services "x" not found (a numeric port)
//   400 address not allowed (no pod IP)        404 endpoints "x" not found
//   503 no service port 99 found for service "web"
//   503 no endpoints available for service "web" (no subsets; or none with a ready address of
//       the port, then with the whole id: "no endpoints available for service \"web:http\"")
#pragma once

#include <kubedouble/fakeserver/container_ports.h>
#include <kubedouble/fakeserver/store.h>

#include <cstdint>
#include <optional>
#include <string>

namespace kubedouble::fake {

// "NAME", "NAME:PORT", "SCHEME:NAME:PORT" (SCHEME http, https or empty; NAME not empty).
struct SchemeNamePort {
  std::string scheme, name, port;
};
std::optional<SchemeNamePort> SplitSchemeNamePort(const std::string& id);

struct ProxyDestination {
  std::string scheme;  // "http" or "https"
  json pod;
  std::string ip;
  std::string port;  // as it is dialed: a number, or (pods/proxy) a name
};

// Throw the StatusErrors above. `turn` picks among several service endpoints.
ProxyDestination ResolvePodProxy(const Store& store, const Registry& registry,
                                 const std::string& ns, const std::string& id);
ProxyDestination ResolveServiceProxy(const Store& store, const Registry& registry,
                                     const std::string& ns, const std::string& id, uint64_t turn);

// What dialing `to` finds: the container port (listening), or the error Go's dialer reports
// ("dial tcp 10.244.0.5:8080: connect: connection refused", "dial tcp: lookup tcp/web: unknown
// port") in `error`.
struct Dialed {
  PortTarget target;
  std::string error;  // "" when connected
};
Dialed DialContainer(const ProxyDestination& to, const std::vector<PortRule>& rules);

}  // namespace kubedouble::fake
