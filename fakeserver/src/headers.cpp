#include "headers.h"

#include <algorithm>
#include <string_view>

namespace kubedouble::fake {

namespace {
unsigned char LowerAscii(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u + ('a' - 'A')) : u;
}

// <0, 0 or >0 as `a` sorts before, with or after `b` in Headers (cpp-httplib's order: bytes
// compared lower-cased, as tolower does in the C locale the server runs in).
int CompareNames(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = LowerAscii(a[i]), y = LowerAscii(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

// The first header whose name does not sort before `name` (the tree's lower_bound).
httplib::Headers::iterator LowerBound(httplib::Headers& headers, std::string_view name) {
  auto it = headers.begin();
  while (it != headers.end() && CompareNames(it->first, name) < 0) ++it;
  return it;
}
}  // namespace

const std::string& FirstHeader(const httplib::Headers& headers, const std::string& name) {
  static const std::string kNone;
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && CompareNames(key, name) == 0) return value;
  }
  return kNone;
}

void ReplaceHeader(httplib::Headers& headers, const std::string& name, std::string value) {
  auto at = LowerBound(headers, name);
  while (at != headers.end() && CompareNames(at->first, name) == 0) at = headers.erase(at);
  headers.emplace_hint(at, name, std::move(value));
}

void AddHeaderUnlessSet(httplib::Headers& headers, const std::string& name, std::string value) {
  auto at = LowerBound(headers, name);
  if (at != headers.end() && CompareNames(at->first, name) == 0) return;
  headers.emplace_hint(at, name, std::move(value));
}

}  // namespace kubedouble::fake
