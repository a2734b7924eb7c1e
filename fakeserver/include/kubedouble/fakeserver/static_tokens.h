// Static bearer tokens in kube-apiserver's --token-auth-file format:
//   token,user,uid,"group1,group2"
// (the groups column is optional; blank lines and lines starting with '#' are skipped).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

struct StaticToken {
  std::string token;
  std::string user;
  std::string uid;
  std::vector<std::string> groups;
};

// Throws std::runtime_error naming `source` and the line number for a malformed line.
std::vector<StaticToken> ParseTokenFile(std::string_view text, const std::string& source);
// Reads a --token-auth-file; throws std::runtime_error naming the file when it cannot be read,
// does not parse (with the line) or holds no token.
std::vector<StaticToken> LoadTokenFile(const std::filesystem::path& path);
std::string FormatTokenFile(const std::vector<StaticToken>& tokens);

}  // namespace kubedouble::fake
