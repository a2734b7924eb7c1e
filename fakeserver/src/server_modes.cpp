// The names of ServerOptions' choices (server_modes.h): one table per enum, read both ways.
#include "kubedouble/fakeserver/server_modes.h"

#include <array>
#include <utility>

namespace kubedouble::fake {

namespace {

template <typename E, size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<ServeCert, 5> kServeCerts{{{ServeCert::kGood, "good"},
                                           {ServeCert::kExpired, "expired"},
                                           {ServeCert::kNotYetValid, "not-yet-valid"},
                                           {ServeCert::kWrongHost, "wrong-host"},
                                           {ServeCert::kRogue, "rogue"}}};
constexpr Names<Authorization, 3> kAuthorizations{{{Authorization::kRbac, "RBAC"},
                                                   {Authorization::kAlwaysAllow, "AlwaysAllow"},
                                                   {Authorization::kAlwaysDeny, "AlwaysDeny"}}};
constexpr Names<ClockMode, 2> kClockModes{{{ClockMode::kReal, "real"}, {ClockMode::kFake, "fake"}}};

template <typename E, size_t N>
std::string_view NameIn(const Names<E, N>& names, E value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> ParseIn(const Names<E, N>& names, std::string_view name) {
  for (const auto& [e, n] : names) {
    if (n == name) return e;
  }
  return std::nullopt;
}

template <typename E, size_t N>
std::vector<std::string> AllIn(const Names<E, N>& names) {
  std::vector<std::string> out;
  for (const auto& [e, name] : names) out.emplace_back(name);
  return out;
}

}  // namespace

std::string_view Name(ServeCert c) { return NameIn(kServeCerts, c); }
std::string_view Name(Authorization a) { return NameIn(kAuthorizations, a); }
std::string_view Name(ClockMode c) { return NameIn(kClockModes, c); }
std::optional<ServeCert> ParseServeCert(std::string_view name) {
  return ParseIn(kServeCerts, name);
}
std::optional<Authorization> ParseAuthorization(std::string_view name) {
  return ParseIn(kAuthorizations, name);
}
std::optional<ClockMode> ParseClockMode(std::string_view name) {
  return ParseIn(kClockModes, name);
}

std::vector<std::string> ServeCertNames() { return AllIn(kServeCerts); }
std::vector<std::string> AuthorizationNames() { return AllIn(kAuthorizations); }
std::vector<std::string> ClockModeNames() { return AllIn(kClockModes); }

}  // namespace kubedouble::fake
