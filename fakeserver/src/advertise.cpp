#include "advertise.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <stdexcept>

namespace kubedouble::fake {

namespace {

std::string Unbracket(const std::string& host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

struct UrlParts {
  std::string host;
  int port = 443;
};

UrlParts ParseAdvertiseUrl(const std::string& url) {
  static const re2::RE2 kUrl(R"(https://(\[[0-9A-Fa-f:.]+\]|[^/:\[\]@?#]+)(?::([0-9]{1,5}))?/?)");
  std::string host, port;
  if (!re2::RE2::FullMatch(url, kUrl, &host, &port)) {
    throw std::runtime_error(fmt::format(
        "--advertise-url \"{}\": expected https://HOST[:PORT] (a host name or IP address)", url));
  }
  UrlParts parts{Unbracket(host), 443};
  if (!port.empty()) {
    parts.port = std::stoi(port);
    if (parts.port < 1 || parts.port > 65535) {
      throw std::runtime_error(
          fmt::format("--advertise-url \"{}\": the port must be 1 to 65535", url));
    }
  }
  if (!certs::IsValidSan(parts.host)) {
    throw std::runtime_error(fmt::format(
        "--advertise-url \"{}\": \"{}\" is not a DNS name or an IP address", url, parts.host));
  }
  return parts;
}

std::string UrlOf(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return fmt::format("https://{}:{}", v6 ? "[" + host + "]" : host, port);
}

}  // namespace

bool IsWildcardAddress(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address == "[::]";
}

std::string AdvertisedHost(const ServerOptions& o) {
  if (!o.advertise_url.empty() && !o.advertise_address.empty()) {
    throw std::runtime_error("--advertise-url and --advertise-address: give one or the other");
  }
  if (!o.advertise_url.empty()) return ParseAdvertiseUrl(o.advertise_url).host;
  if (!o.advertise_address.empty()) {
    std::string host = Unbracket(o.advertise_address);
    if (!certs::IsValidSan(host)) {
      throw std::runtime_error(fmt::format(
          "--advertise-address \"{}\": not a DNS name or an IP address", o.advertise_address));
    }
    return host;
  }
  if (o.address == "0.0.0.0") return "127.0.0.1";
  if (IsWildcardAddress(o.address)) return "::1";
  return Unbracket(o.address);
}

Advertised Advertise(const ServerOptions& o, int bound_port) {
  Advertised a;
  if (!o.advertise_url.empty()) {
    UrlParts parts = ParseAdvertiseUrl(o.advertise_url);
    a.host = parts.host;
    a.port = parts.port;
  } else {
    a.host = AdvertisedHost(o);
    a.port = bound_port;
  }
  a.url = UrlOf(a.host, a.port);
  return a;
}

}  // namespace kubedouble::fake
