// The fake server's limits on what a request may carry (README.md, "Reliability").
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace kubedouble::fake {

// The largest request body the server reads: 413 RequestEntityTooLarge beyond it (cpp-httplib
// refuses a larger Content-Length; the handler refuses a larger chunked body).
inline constexpr size_t kMaxRequestBody = 3 * 1024 * 1024;

// Request bodies nested deeper than this are refused with 400, as kube-apiserver does:
// nlohmann::json copies and prints recursively, so a deeper body would overflow the stack.
inline constexpr size_t kMaxJsonNesting = 10000;

// How deeply arrays and objects nest in JSON (or YAML flow) text: the most '[' and '{' open at
// once outside strings. Linear, without parsing.
inline size_t JsonNesting(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace kubedouble::fake
