// Small helpers shared by the access library's sources (not installed).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::access::detail {

// Go's wording for a failed open: "open /x: no such file or directory".
std::string GoOpenError(const std::filesystem::path& path, int err);
// Reads a whole file; nullopt (and the Go-worded reason in `why`) when it cannot.
std::optional<std::string> TryReadFile(const std::filesystem::path& path, std::string* why);

struct Url {
  std::string scheme;  // lower case
  std::string host;    // without brackets
  int port = 0;        // the explicit port, or the scheme's default
  bool explicit_port = false;
  std::string path;  // "" or "/prefix"
  // host:port as used in messages and Host headers (IPv6 bracketed).
  std::string HostPort() const;
};
// Parses scheme://host[:port][/path]; nullopt when it is not such a URL.
std::optional<Url> ParseUrl(std::string_view url);
// Go's net.JoinHostPort.
std::string JoinHostPort(const std::string& host, const std::string& port);

}  // namespace kubedouble::access::detail
