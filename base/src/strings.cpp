#include "kubedouble/base/strings.h"

#include <arpa/inet.h>

#include <algorithm>
#include <vector>

namespace kubedouble::base {
namespace {

constexpr std::string_view kSpace = " \t\r\n\f\v";

bool Parses(int family, std::string_view host) {
  std::string text(host);  // inet_pton wants a NUL-terminated string
  if (text.find('\0') != std::string::npos) return false;
  unsigned char buf[16];
  return inet_pton(family, text.c_str(), buf) == 1;
}

}  // namespace

std::string CleanRootedPath(std::string_view path) {
  std::vector<std::string_view> segments;
  for (size_t start = 0; start <= path.size();) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!part.empty() && part != ".") {
      segments.push_back(part);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view s : segments) {
    out += '/';
    out += s;
  }
  return out.empty() ? "/" : out;
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(kSpace);
  return std::string(s.substr(b, e - b + 1));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string CanonicalHeaderKey(std::string_view name) {
  // RFC 9110's tchar: letters, digits and these marks. A name with any other byte is kept as it
  // is; the check and the case change are one pass.
  static constexpr std::string_view kMarks = "!#$%&'*+-.^_`|~";
  std::string out(name);
  bool word_start = true;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      if (word_start) c = static_cast<char>(c - 'a' + 'A');
    } else if (c >= 'A' && c <= 'Z') {
      if (!word_start) c = static_cast<char>(c - 'A' + 'a');
    } else if ((c < '0' || c > '9') && c != '-' && kMarks.find(c) == std::string_view::npos) {
      return std::string(name);
    }
    word_start = c == '-';
  }
  return out;
}

bool IsIpv4Address(std::string_view host) { return Parses(AF_INET, host); }
bool IsIpv6Address(std::string_view host) { return Parses(AF_INET6, host); }
bool IsIpAddress(std::string_view host) { return IsIpv4Address(host) || IsIpv6Address(host); }

}  // namespace kubedouble::base
