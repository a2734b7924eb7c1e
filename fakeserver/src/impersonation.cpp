#include "impersonation.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "kubedouble/base/strings.h"
#include "kubedouble/fakeserver/store.h"
#include "store/validation.h"

namespace kubedouble::fake {

namespace {

constexpr char kUserHeader[] = "Impersonate-User";
constexpr char kGroupHeader[] = "Impersonate-Group";
constexpr char kUidHeader[] = "Impersonate-Uid";
constexpr char kExtraPrefix[] = "impersonate-extra-";
constexpr char kServiceAccountPrefix[] = "system:serviceaccount:";
constexpr char kAuthenticationGroup[] = "authentication.k8s.io";

// Go's url.PathUnescape: a key with a malformed escape is kept as it was sent.
std::string UnescapeExtraKey(const std::string& key) {
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] != '%') continue;
    if (i + 2 >= key.size() || !std::isxdigit(static_cast<unsigned char>(key[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(key[i + 2]))) {
      return key;
    }
  }
  return httplib::detail::decode_url(key, false);
}

Attributes Check(const UserInfo& caller, std::string group, std::string resource,
                 std::string name) {
  Attributes a;
  a.user = caller;
  a.verb = "impersonate";
  a.resource_request = true;
  a.api_group = std::move(group);
  a.resource = std::move(resource);
  a.name = std::move(name);
  return a;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> SplitServiceAccountUser(
    const std::string& user) {
  if (user.rfind(kServiceAccountPrefix, 0) != 0) return std::nullopt;
  std::string rest = user.substr(sizeof(kServiceAccountPrefix) - 1);
  auto colon = rest.find(':');
  if (colon == std::string::npos || rest.find(':', colon + 1) != std::string::npos) {
    return std::nullopt;
  }
  std::string ns = rest.substr(0, colon);
  std::string name = rest.substr(colon + 1);
  if (!IsDns1123Label(ns) || !IsDns1123Subdomain(name)) return std::nullopt;
  return std::make_pair(ns, name);
}

std::optional<ImpersonationRequest> ParseImpersonation(const httplib::Headers& headers) {
  // Most requests impersonate no one: a look at the names, without copying one, tells.
  constexpr std::string_view kPrefix = "impersonate-";
  auto impersonates = [&](const std::string& name) {
    return name.size() >= kPrefix.size() &&
           strncasecmp(name.data(), kPrefix.data(), kPrefix.size()) == 0;
  };
  if (std::none_of(headers.begin(), headers.end(),
                   [&](const auto& header) { return impersonates(header.first); })) {
    return std::nullopt;
  }
  ImpersonationRequest r;
  bool any = false;
  std::vector<std::string> without_user;  // the headers that need Impersonate-User
  // cpp-httplib compares header names without regard to case, as Go's canonical names do.
  if (auto it = headers.find(kUserHeader); it != headers.end()) r.user = it->second;
  auto groups = headers.equal_range(kGroupHeader);
  for (auto it = groups.first; it != groups.second; ++it) {
    r.groups.push_back(it->second);
    without_user.push_back(fmt::format("{}: {}", kGroupHeader, it->second));
  }
  if (auto it = headers.find(kUidHeader); it != headers.end() && !it->second.empty()) {
    r.uid = it->second;
    without_user.push_back(fmt::format("{}: {}", kUidHeader, it->second));
  }
  for (const auto& [name, value] : headers) {
    std::string lower = base::Lower(name);
    if (lower.rfind(kExtraPrefix, 0) != 0) continue;
    std::string key = UnescapeExtraKey(lower.substr(sizeof(kExtraPrefix) - 1));
    r.extra[key].push_back(value);
    without_user.push_back(fmt::format("{}: {}", name, value));
  }
  any = !r.user.empty() || !without_user.empty();
  if (!any) return std::nullopt;
  if (r.user.empty()) {
    std::string list;
    for (const auto& h : without_user) list += (list.empty() ? "" : ", ") + h;
    throw StatusError::BadRequest(
        fmt::format("requested impersonation without impersonating a user: {} need an {} header",
                    list, kUserHeader));
  }
  return r;
}

std::vector<Attributes> ImpersonationChecks(const UserInfo& caller,
                                            const ImpersonationRequest& wanted) {
  std::vector<Attributes> checks;
  if (auto sa = SplitServiceAccountUser(wanted.user)) {
    Attributes a = Check(caller, "", "serviceaccounts", sa->second);
    a.ns = sa->first;
    checks.push_back(std::move(a));
  } else {
    checks.push_back(Check(caller, "", "users", wanted.user));
  }
  for (const auto& g : wanted.groups) checks.push_back(Check(caller, "", "groups", g));
  for (const auto& [key, values] : wanted.extra) {
    for (const auto& v : values) {
      Attributes a = Check(caller, kAuthenticationGroup, "userextras", v);
      a.api_version = "v1";
      a.subresource = key;
      checks.push_back(std::move(a));
    }
  }
  if (!wanted.uid.empty()) {
    Attributes a = Check(caller, kAuthenticationGroup, "uids", wanted.uid);
    a.api_version = "v1";
    checks.push_back(std::move(a));
  }
  return checks;
}

UserInfo Impersonate(const UserInfo& caller, const ImpersonationRequest& wanted,
                     const std::function<bool(const Attributes&)>& authorize) {
  for (const auto& check : ImpersonationChecks(caller, wanted)) {
    if (!authorize(check)) throw ForbiddenError(check);
  }
  UserInfo u;
  u.name = wanted.user;
  u.uid = wanted.uid;
  u.extra = wanted.extra;
  u.groups = wanted.groups;
  auto sa = SplitServiceAccountUser(wanted.user);
  if (sa && wanted.groups.empty()) {
    u.groups = {kGroupServiceAccounts, std::string(kGroupServiceAccounts) + ":" + sa->first};
  }
  if (u.name == kUserAnonymous) {
    if (!u.InGroup(kGroupUnauthenticated)) u.groups.push_back(kGroupUnauthenticated);
  } else if (!u.InGroup(kGroupAuthenticated) && !u.InGroup(kGroupUnauthenticated)) {
    u.groups.push_back(kGroupAuthenticated);
  }
  return u;
}

}  // namespace kubedouble::fake
