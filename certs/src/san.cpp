// Subject alternative names: what is acceptable, and IP or DNS.
#include <cctype>

#include "kubedouble/base/strings.h"
#include "kubedouble/certs/certs.h"
#include "san.h"

namespace kubedouble::certs {
namespace internal {

std::string StripBrackets(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool IsIpAddress(std::string_view s) { return base::IsIpAddress(StripBrackets(s)); }

}  // namespace internal

namespace {

bool IsDnsLabel(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

bool IsValidSan(std::string_view san) {
  if (san.empty()) return false;
  if (internal::IsIpAddress(san)) return true;
  if (san.size() > 253) return false;
  if (san.starts_with("*.")) san.remove_prefix(2);
  while (true) {
    auto dot = san.find('.');
    if (!IsDnsLabel(san.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    san.remove_prefix(dot + 1);
  }
}

}  // namespace kubedouble::certs
