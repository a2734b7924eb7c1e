// Static bearer tokens in kube-apiserver's --token-auth-file format:
//   token,user,uid,"group1,group2"
// (the groups column is optional; blank lines and lines starting with '#' are skipped).
#pragma once

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
std::string FormatTokenFile(const std::vector<StaticToken>& tokens);

}  // namespace kubedouble::fake
