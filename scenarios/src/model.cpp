#include "kubedouble/scenarios/model.h"

#include <fmt/core.h>

#include <array>
#include <utility>

namespace kubedouble::scenarios {
namespace {

constexpr std::array<std::pair<AccessPath, const char*>, 10> kPaths{{
    {AccessPath::kToken, "token"},
    {AccessPath::kInsecure, "insecure"},
    {AccessPath::kMtls, "mtls"},
    {AccessPath::kAnonymous, "anonymous"},
    {AccessPath::kServiceAccount, "serviceaccount"},
    {AccessPath::kKubeconfig, "kubeconfig"},
    {AccessPath::kInCluster, "in-cluster"},
    {AccessPath::kProxy, "proxy"},
    {AccessPath::kSidecar, "sidecar"},
    {AccessPath::kSeed, "seed"},
}};

constexpr std::array<std::pair<Verb, const char*>, 11> kVerbs{{
    {Verb::kList, "list"},
    {Verb::kGet, "get"},
    {Verb::kRaw, "raw"},
    {Verb::kWhoami, "whoami"},
    {Verb::kCreate, "create"},
    {Verb::kPatch, "patch"},
    {Verb::kDelete, "delete"},
    {Verb::kWatch, "watch"},
    {Verb::kVersion, "version"},
    {Verb::kExec, "exec"},
    {Verb::kPortForward, "port-forward"},
}};

constexpr std::array<std::pair<OutcomeKind, const char*>, 6> kOutcomes{{
    {OutcomeKind::kOk, "ok"},
    {OutcomeKind::kTlsError, "tls_error"},
    {OutcomeKind::kHttpError, "http_error"},
    {OutcomeKind::kConnectError, "connect_error"},
    {OutcomeKind::kConfigError, "config_error"},
    {OutcomeKind::kTimeout, "timeout"},
}};

template <typename T, size_t N>
std::string NameOf(const std::array<std::pair<T, const char*>, N>& table, T value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <typename T, size_t N>
std::optional<T> Parse(const std::array<std::pair<T, const char*>, N>& table,
                       const std::string& name) {
  for (const auto& [v, n] : table)
    if (name == n) return v;
  return std::nullopt;
}

}  // namespace

std::string SourceLocation::ToString() const {
  if (line == 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string AccessPathName(AccessPath path) { return NameOf(kPaths, path); }
std::optional<AccessPath> ParseAccessPath(const std::string& name) { return Parse(kPaths, name); }
std::vector<std::string> AccessPathNames() {
  std::vector<std::string> names;
  for (const auto& [v, n] : kPaths) names.emplace_back(n);
  return names;
}

std::string VerbName(Verb verb) { return NameOf(kVerbs, verb); }
std::optional<Verb> ParseVerb(const std::string& name) { return Parse(kVerbs, name); }

std::string OutcomeKindName(OutcomeKind kind) { return NameOf(kOutcomes, kind); }
std::optional<OutcomeKind> ParseOutcomeKind(const std::string& name) {
  return Parse(kOutcomes, name);
}

json Expectation::ToJson() const {
  json j{{"outcome", OutcomeKindName(kind)}};
  if (tls) j["tls"] = *tls;
  if (code) j["code"] = *code;
  if (reason) j["reason"] = *reason;
  if (message) j["message"] = *message;
  if (items) j["items"] = *items;
  if (min_items) j["min_items"] = *min_items;
  if (user) j["user"] = *user;
  if (path) j["path"] = *path;
  if (events) j["events"] = *events;
  if (authenticated) j["authenticated"] = *authenticated;
  if (!evidence.empty()) j["evidence"] = evidence;
  if (!why.empty()) j["why"] = why;
  return j;
}

const ClientExpectation* Scenario::Override(const std::string& client) const {
  auto it = clients.find(client);
  return it == clients.end() ? nullptr : &it->second;
}

Expectation Scenario::ExpectationFor(const std::string& client) const {
  const ClientExpectation* o = Override(client);
  if (o && o->expect) return *o->expect;
  return expect;
}

const std::vector<std::string>& KnownClients() {
  static const std::vector<std::string> clients{"accesslib", "curl", "kubectl", "python", "node"};
  return clients;
}

}  // namespace kubedouble::scenarios
