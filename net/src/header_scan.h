// Looking up one header of a request or an answer by a scan of its httplib::Headers.
//
// cpp-httplib's map compares names through tolower a character at a time at every step of its
// search (about a thousand instructions for one lookup among six headers); a request or an answer
// has a few headers, and a scan that compares lengths first rarely compares a character. The
// result is the map's: the first of the headers of that name (in the order they were added), the
// names compared without regard to ASCII case.
#pragma once

#include <httplib.h>

#include <string_view>

#include "ascii_case.h"

namespace kubedouble::net {

// The first header named `name`, or nullptr.
inline const std::string* FindHeader(const httplib::Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

inline bool HasHeader(const httplib::Headers& headers, std::string_view name) {
  return FindHeader(headers, name) != nullptr;
}

// The first value of header `name`; empty when there is none.
inline std::string_view HeaderValue(const httplib::Headers& headers, std::string_view name) {
  const std::string* value = FindHeader(headers, name);
  return value == nullptr ? std::string_view() : std::string_view(*value);
}

}  // namespace kubedouble::net
