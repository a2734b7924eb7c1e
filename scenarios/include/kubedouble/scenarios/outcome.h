// kubedouble::scenarios — what a client run produced, normalized so that every client's result
// can be compared with one expectation.
//
//   ok             the request succeeded: HTTP status, item count, the user the server saw
//   tls_error      verification failed: unknown_authority | hostname_mismatch | expired |
//                  not_yet_valid (or "other")
//   http_error     the server answered an error: code and Status reason
//   connect_error  no answer: refused, reset, closed, name resolution
//   config_error   the client refused its configuration before sending anything
//   timeout        the client gave up waiting
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "kubedouble/scenarios/model.h"

namespace kubedouble::scenarios {

struct Outcome {
  OutcomeKind kind = OutcomeKind::kConnectError;
  std::string tls;     // tls_error: the kind of verification failure
  int code = 0;        // HTTP status when there was an answer
  std::string reason;  // Status reason (http_error)
  std::optional<int> items;
  std::string user;  // the user the server saw (from its journal, or the whoami answer)
  std::string path;  // the path the server saw for the request (from its journal)
  std::optional<int> events;
  std::optional<bool> authenticated;  // a TokenReview answer's status.authenticated
  std::string message;  // the client's own words (first line of its error), for the report
  json evidence = json::object();  // token_leaked, client_cert_offered, fallback, ...
  // Set when the run could not happen on this machine: why. The run is reported as skipped with
  // it, and the rest of the outcome is not compared.
  std::optional<std::string> skipped;

  // A run that could not happen here, for `reason`.
  static Outcome Skipped(std::string reason);

  json ToJson() const;
  // From a driver's JSON line ({"outcome":"ok","code":200,"items":3,...}). Throws
  // std::runtime_error naming what is wrong.
  static Outcome FromJson(const json& j);
  std::string Summary() const;  // one line: "ok 200 items=3 user=x" / "tls_error unknown_authority"
};

// The differences between what was expected and what happened; empty when they agree.
std::vector<std::string> Compare(const Expectation& expected, const Outcome& actual);

// Maps a TLS library's verification message ("certificate has expired", "x509: certificate
// signed by unknown authority", "Hostname/IP does not match certificate's altnames", ...) to
// unknown_authority | hostname_mismatch | expired | not_yet_valid; "" when it is none of them.
std::string ClassifyTlsMessage(const std::string& message);

}  // namespace kubedouble::scenarios
