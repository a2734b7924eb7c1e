#include "kubedouble/fakeserver/static_tokens.h"

#include <fmt/format.h>

#include <sstream>
#include <stdexcept>

#include "kubedouble/base/strings.h"
#include "kubedouble/certs/certs.h"
#include "util.h"

namespace kubedouble::fake {

namespace {
// Splits one CSV line (RFC 4180 quoting: "a,b" and "" for a quote).
std::vector<std::string> SplitCsv(std::string_view line, bool& ok) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  ok = true;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          fields.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) ok = false;
  return fields;
}
}  // namespace

std::vector<StaticToken> ParseTokenFile(std::string_view text, const std::string& source) {
  std::vector<StaticToken> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string trimmed = base::Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    bool ok = true;
    auto f = SplitCsv(trimmed, ok);
    if (!ok) {
      throw std::runtime_error(fmt::format("{}: line {}: unterminated quote", source, number));
    }
    if (f.size() < 3) {
      throw std::runtime_error(fmt::format(
          "{}: line {}: expected at least 3 columns (token,user,uid[,\"groups\"]), found {}",
          source, number, f.size()));
    }
    StaticToken t{base::Trim(f[0]), base::Trim(f[1]), base::Trim(f[2]), {}};
    if (t.token.empty()) {
      throw std::runtime_error(
          fmt::format("{}: line {}: the token column is empty", source, number));
    }
    if (t.user.empty()) {
      throw std::runtime_error(
          fmt::format("{}: line {}: the user column is empty", source, number));
    }
    if (f.size() >= 4) {
      std::istringstream groups(f[3]);
      std::string g;
      while (std::getline(groups, g, ',')) {
        g = base::Trim(g);
        if (!g.empty()) t.groups.push_back(g);
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string FormatTokenFile(const std::vector<StaticToken>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    std::string groups;
    for (const auto& g : t.groups) groups += (groups.empty() ? "" : ",") + g;
    out += fmt::format("{},{},{}", t.token, t.user, t.uid);
    if (!groups.empty()) out += fmt::format(",\"{}\"", groups);
    out += '\n';
  }
  return out;
}

std::vector<StaticToken> LoadTokenFile(const std::filesystem::path& path) {
  std::string text;
  try {
    text = certs::ReadFile(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("cannot read the tokens file {}: {}", path.string(), e.what()));
  }
  std::vector<StaticToken> tokens = ParseTokenFile(text, path.string());
  if (tokens.empty()) {
    throw std::runtime_error(fmt::format("the tokens file {} has no tokens", path.string()));
  }
  return tokens;
}

}  // namespace kubedouble::fake
