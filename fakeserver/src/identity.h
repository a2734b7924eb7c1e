// Who made a request, as the authenticators establish it and the authorizer sees it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kubedouble::fake {

struct UserInfo {
  std::string name;  // "kubedouble-admin", "system:serviceaccount:default:default", ...
  std::string uid;
  std::vector<std::string> groups;  // includes system:authenticated / system:unauthenticated
  std::map<std::string, std::vector<std::string>> extra;

  bool InGroup(const std::string& group) const {
    for (const auto& g : groups) {
      if (g == group) return true;
    }
    return false;
  }
};

inline constexpr char kGroupMasters[] = "system:masters";
inline constexpr char kGroupAuthenticated[] = "system:authenticated";
inline constexpr char kGroupUnauthenticated[] = "system:unauthenticated";
inline constexpr char kGroupServiceAccounts[] = "system:serviceaccounts";
inline constexpr char kUserAnonymous[] = "system:anonymous";

}  // namespace kubedouble::fake
