#pragma once

#include <string>
#include <string_view>

namespace kubedouble::certs::internal {

// "[::1]" -> "::1"; anything else unchanged.
std::string StripBrackets(std::string_view s);
// An IPv4 or IPv6 address (brackets allowed).
bool IsIpAddress(std::string_view s);

}  // namespace kubedouble::certs::internal
