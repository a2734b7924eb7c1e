#include "kubedouble/scenarios/outcome.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace kubedouble::scenarios {

json Outcome::ToJson() const {
  json j{{"outcome", OutcomeKindName(kind)}};
  if (!tls.empty()) j["tls"] = tls;
  if (code) j["code"] = code;
  if (!reason.empty()) j["reason"] = reason;
  if (items) j["items"] = *items;
  if (!user.empty()) j["user"] = user;
  if (!path.empty()) j["path"] = path;
  if (events) j["events"] = *events;
  if (authenticated) j["authenticated"] = *authenticated;
  if (!message.empty()) j["message"] = message;
  if (!evidence.empty()) j["evidence"] = evidence;
  return j;
}

Outcome Outcome::Skipped(std::string reason) {
  Outcome o;
  o.skipped = std::move(reason);
  return o;
}

Outcome Outcome::FromJson(const json& j) {
  if (!j.is_object()) throw std::runtime_error("the outcome is not a JSON object");
  Outcome o;
  std::string kind = j.value("outcome", "");
  auto parsed = ParseOutcomeKind(kind);
  if (!parsed) throw std::runtime_error(fmt::format("unknown outcome \"{}\"", kind));
  o.kind = *parsed;
  o.tls = j.value("tls", "");
  o.code = j.value("code", 0);
  o.reason = j.value("reason", "");
  if (j.contains("items") && j["items"].is_number_integer()) o.items = j["items"].get<int>();
  o.user = j.value("user", "");
  if (j.contains("events") && j["events"].is_number_integer()) o.events = j["events"].get<int>();
  if (j.contains("authenticated") && j["authenticated"].is_boolean())
    o.authenticated = j["authenticated"].get<bool>();
  o.message = j.value("message", "");
  if (j.contains("evidence") && j["evidence"].is_object()) o.evidence = j["evidence"];
  if (o.kind == OutcomeKind::kTlsError && o.tls.empty()) o.tls = ClassifyTlsMessage(o.message);
  return o;
}

std::string Outcome::Summary() const {
  std::string s = OutcomeKindName(kind);
  if (!tls.empty()) s += " " + tls;
  if (code) s += fmt::format(" {}", code);
  if (!reason.empty()) s += " " + reason;
  if (items) s += fmt::format(" items={}", *items);
  if (events) s += fmt::format(" events={}", *events);
  if (authenticated) s += fmt::format(" authenticated={}", *authenticated);
  if (!user.empty()) s += " user=" + user;
  return s;
}

std::vector<std::string> Compare(const Expectation& e, const Outcome& a) {
  std::vector<std::string> diffs;
  if (e.kind != a.kind) {
    std::string got = a.Summary();
    if (!a.message.empty()) got += ": " + a.message;
    diffs.push_back(fmt::format("expected {}, got {}", OutcomeKindName(e.kind), got));
    return diffs;
  }
  if (e.tls && *e.tls != a.tls)
    diffs.push_back(fmt::format("expected tls {}, got {} ({})", *e.tls,
                                a.tls.empty() ? "another TLS failure" : a.tls, a.message));
  if (e.code && *e.code != a.code)
    diffs.push_back(fmt::format("expected code {}, got {}", *e.code, a.code));
  if (e.reason && *e.reason != a.reason)
    diffs.push_back(
        fmt::format("expected reason {}, got {}", *e.reason, a.reason.empty() ? "none" : a.reason));
  if (e.message && a.message.find(*e.message) == std::string::npos)
    diffs.push_back(
        fmt::format("expected a message containing \"{}\", got \"{}\"", *e.message, a.message));
  if (e.items && (!a.items || *a.items != *e.items))
    diffs.push_back(fmt::format("expected {} items, got {}", *e.items,
                                a.items ? std::to_string(*a.items) : "none"));
  if (e.min_items && (!a.items || *a.items < *e.min_items))
    diffs.push_back(fmt::format("expected at least {} items, got {}", *e.min_items,
                                a.items ? std::to_string(*a.items) : "none"));
  if (e.user && *e.user != a.user)
    diffs.push_back(
        fmt::format("expected user {}, got {}", *e.user, a.user.empty() ? "none seen" : a.user));
  if (e.path && *e.path != a.path)
    diffs.push_back(
        fmt::format("expected path {}, got {}", *e.path, a.path.empty() ? "none seen" : a.path));
  if (e.authenticated && a.authenticated != e.authenticated)
    diffs.push_back(fmt::format("expected a TokenReview answering authenticated={}, got {}",
                                *e.authenticated,
                                a.authenticated ? fmt::format("{}", *a.authenticated) : "none"));
  if (e.events && (!a.events || *a.events != *e.events))
    diffs.push_back(fmt::format("expected {} events, got {}", *e.events,
                                a.events ? std::to_string(*a.events) : "none"));
  for (const auto& [key, want] : e.evidence) {
    bool got =
        a.evidence.contains(key) && a.evidence[key].is_boolean() && a.evidence[key].get<bool>();
    if (got != want) diffs.push_back(fmt::format("expected {} {}, got {}", key, want, got));
  }
  return diffs;
}

std::string ClassifyTlsMessage(const std::string& message) {
  std::string m = message;
  std::transform(m.begin(), m.end(), m.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto has = [&](const char* s) { return m.find(s) != std::string::npos; };
  // Go words both as "certificate has expired or is not yet valid: current time X is
  // after|before Y".
  if (has("expired or is not yet valid")) return has("is before") ? "not_yet_valid" : "expired";
  if (has("not yet valid") || has("cert_not_yet_valid")) return "not_yet_valid";
  if (has("expired") || has("cert_has_expired")) return "expired";
  if (has("unknown authority") || has("signature failure") || has("unable to get local issuer") ||
      has("self-signed certificate") || has("self signed certificate") ||
      has("unable to verify the first certificate") || has("unable_to_get_issuer") ||
      has("self_signed_cert_in_chain") || has("depth_zero_self_signed") ||
      has("certificate verify failed: unable") || has("unknown ca"))
    return "unknown_authority";
  if (has("hostname") || has("altnames") || has("doesn't contain any ip sans") ||
      has("is valid for") || has("subject alternative name") || has("does not match") ||
      has("err_tls_cert_altname_invalid") || has("ip address mismatch") ||
      has("no alternative certificate subject name"))
    return "hostname_mismatch";
  return "";
}

}  // namespace kubedouble::scenarios
