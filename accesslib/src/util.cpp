#include "util.h"

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kubedouble/base/strings.h"

namespace kubedouble::access::detail {

std::string GoOpenError(const std::filesystem::path& path, int err) {
  std::string reason = std::strerror(err);
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(reason[0]));
  return "open " + path.string() + ": " + reason;
}

std::optional<std::string> TryReadFile(const std::filesystem::path& path, std::string* why) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    if (why) *why = "read " + path.string() + ": is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (why) *why = GoOpenError(path, errno);
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string JoinHostPort(const std::string& host, const std::string& port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port;
  return host + ":" + port;
}

std::string Url::HostPort() const { return JoinHostPort(host, std::to_string(port)); }

std::optional<Url> ParseUrl(std::string_view url) {
  Url u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  u.scheme = base::Lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));
  if (!u.path.empty() && u.path[0] == '?') u.path.clear();
  if (auto q = u.path.find('?'); q != std::string::npos) u.path.resize(q);
  while (!u.path.empty() && u.path.back() == '/') u.path.pop_back();
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  if (authority.empty()) return std::nullopt;
  std::string_view port;
  if (authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    u.host = std::string(authority);
  }
  if (u.host.empty()) return std::nullopt;
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      p = p * 10 + (c - '0');
      if (p > 65535) return std::nullopt;
    }
    u.port = p;
    u.explicit_port = true;
  } else {
    u.port = u.scheme == "https" ? 443 : u.scheme == "http" ? 80 : u.scheme == "socks5" ? 1080 : 0;
  }
  return u;
}

}  // namespace kubedouble::access::detail
