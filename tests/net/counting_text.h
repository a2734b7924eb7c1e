// A test body whose bytes out of place would show: numbers in a row ("0,1,2,...").
#pragma once

#include <cstddef>
#include <string>

namespace kubedouble::testing {

// At least `size` bytes of numbers in a row, cut to `size`.
inline std::string Counting(size_t size) {
  std::string s;
  s.reserve(size + 16);
  for (size_t i = 0; s.size() < size; ++i) s += std::to_string(i) + ",";
  s.resize(size);
  return s;
}

}  // namespace kubedouble::testing
