// Where clients are told to reach the server (ServerOptions::advertise_url / advertise_address):
// the host and port that go into every kubeconfig, incluster.env and the serving certificate.
#pragma once

#include <string>

#include "kubedouble/fakeserver/server.h"

namespace kubedouble::fake {

struct Advertised {
  std::string host;  // unbracketed: "127.0.0.1", "::1", "kubedouble.ci"
  int port = 0;
  std::string url;  // https://HOST:PORT (IPv6 in brackets)
};

// True for an address that listens on every interface: "0.0.0.0", "::", "[::]".
bool IsWildcardAddress(const std::string& address);

// The advertised host, known before binding (for the serving certificate's names). Throws
// std::runtime_error naming the flag when advertise_url is not https://HOST[:PORT][/] or a host
// is not a DNS name or an IP address.
std::string AdvertisedHost(const ServerOptions& options);

// The whole advertised place once the server listens on `bound_port`.
Advertised Advertise(const ServerOptions& options, int bound_port);

}  // namespace kubedouble::fake
