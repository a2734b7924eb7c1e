// Comparing protocol tokens (header names, "chunked", "close") without regard to ASCII case, as
// Go's ascii.EqualFold does: only A-Z and a-z fold into each other; every other byte must match.
#pragma once

#include <algorithm>
#include <string_view>

namespace kubedouble::net {

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace kubedouble::net
