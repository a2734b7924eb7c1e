// "Did you mean": the command names close to a mistyped one, as cobra-based tools (kubectl)
// suggest them — an edit distance of at most 2 (case-insensitive), or a name the typed word
// begins.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace kubedouble::cli {

// Levenshtein distance between `a` and `b`, ignoring case.
inline size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      size_t next = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = row[j];
      row[j] = next;
    }
  }
  return row[b.size()];
}

// The names in `names` close to `typed`, nearest first.
inline std::vector<std::string> Suggestions(const std::string& typed,
                                            const std::vector<std::string>& names) {
  std::vector<std::pair<size_t, std::string>> close;
  for (const auto& name : names) {
    size_t d = EditDistance(typed, name);
    std::string lower = name, typed_lower = typed;
    for (auto* s : {&lower, &typed_lower}) {
      for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (d <= 2 || (!typed.empty() && lower.rfind(typed_lower, 0) == 0)) close.emplace_back(d, name);
  }
  std::stable_sort(close.begin(), close.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (auto& [d, name] : close) out.push_back(std::move(name));
  return out;
}

}  // namespace kubedouble::cli
