// The choices ServerOptions offers by name (`kubedouble serve --serve-cert`, `--authorization`,
// `--clock`, a scenario's `server:`), as enums, with the names the flags take.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::fake {

// Which serving certificate the server presents (certs.h: the bundle's variants).
enum class ServeCert {
  kGood,         // "good": issued by the cluster CA for the server's names
  kExpired,      // "expired": its notAfter has passed
  kNotYetValid,  // "not-yet-valid": its notBefore is still to come
  kWrongHost,    // "wrong-host": valid, but for other names
  kRogue,        // "rogue": for the right names, from a CA no client trusts
};

// How requests are authorized, as kube-apiserver's --authorization-mode.
enum class Authorization {
  kRbac,         // "RBAC": the bootstrap policy and the stored Roles and bindings
  kAlwaysAllow,  // "AlwaysAllow"
  kAlwaysDeny,   // "AlwaysDeny" (system:masters is still allowed, as upstream)
};

// The server's clock.
enum class ClockMode {
  kReal,  // "real"
  kFake,  // "fake": stands still until POST /__kubedouble/clock moves it
};

// The name a flag takes for each choice, and back (nullopt for a name that is none of them).
std::string_view Name(ServeCert c);
std::string_view Name(Authorization a);
std::string_view Name(ClockMode c);
std::optional<ServeCert> ParseServeCert(std::string_view name);
std::optional<Authorization> ParseAuthorization(std::string_view name);
std::optional<ClockMode> ParseClockMode(std::string_view name);

// Every name of each, in declaration order (what the flags accept, for their checks and help).
std::vector<std::string> ServeCertNames();
std::vector<std::string> AuthorizationNames();
std::vector<std::string> ClockModeNames();

}  // namespace kubedouble::fake
