// kubedouble::fake — fault injection rules (after WireMock's fault catalogue).
//
// A rule matches requests and makes the server misbehave for them. Rules come from a
// `--faults FILE` (YAML) or from the admin API (JSON, the same fields). The MITM (mitm.h) takes
// the same rules (MitmOptions::faults) and carries them out with the same code:
//
//   faults:
//   - name: throttle-pod-lists          # optional; the admin API's id (default "rule-N")
//     match:                            # every field optional; all given must match
//       method: GET
//       path: "/api/v1/namespaces/[^/]+/pods"   # RE2, must match the whole path
//       verb: list                      # get list watch create update patch delete ...
//       resource: pods                  # plural; "pods/log" for a subresource
//       namespace: default
//       user: kubedouble-user
//       headers: {User-Agent: "kubectl/.*"}     # RE2 on the value, whole value
//     delay: 200ms                      # or {uniform: {min: 100ms, max: 1s}}
//                                       # or {logNormal: {median: 80ms, sigma: 0.4}}
//     # then at most one of:
//     status: 429                       # a Status body; Retry-After for 429 and 503
//     retryAfterSeconds: 3              # default 1 for 429/503 (also details.retryAfterSeconds)
//     message: "slow down"              # default: the real server's wording for the code
//     action: connection-reset          # connection-reset | empty-response | malformed-chunk
//                                       # | random-data-then-close
//     slowBody: 5s                      # the real answer, dribbled over this long
//     closeWatchAfterEvents: 3          # a watch stream ends cleanly after N events
//     times: 2                          # fire at most this often (default: always)
//     probability: 0.5                  # fire with this probability (default 1)
//
// Rules are tried in order; the first one that matches, still has `times` left and wins its
// probability draw fires (one rule per request). Every request a rule fired on carries the
// rule's description in its journal entry (`fault`).
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace re2 {
class RE2;
}

namespace kubedouble::fake {

struct FaultMatch {
  std::string method, path, verb, resource, ns, user;  // "" matches anything
  std::map<std::string, std::string> headers;          // name -> RE2 on the value
  std::shared_ptr<const re2::RE2> path_re;
  std::map<std::string, std::shared_ptr<const re2::RE2>> header_res;
};

struct FaultDelay {
  enum class Kind { kNone, kFixed, kUniform, kLogNormal } kind = Kind::kNone;
  std::chrono::milliseconds fixed{0}, min{0}, max{0}, median{0};
  double sigma = 0;
};

enum class FaultAction {
  kNone,                 // a delay only
  kStatus,               // answer `status` with a Status body
  kConnectionReset,      // close the TCP connection with a RST, nothing answered
  kEmptyResponse,        // close the connection (FIN) without answering
  kMalformedChunk,       // 200, chunked, then a chunk whose size line is garbage, then close
  kRandomDataThenClose,  // random bytes inside the TLS stream instead of HTTP, then close
  kSlowBody,             // the real answer, its body dribbled over `slow_body`
  kCloseWatch,           // a watch stream ends after `close_watch_after` events
};

struct FaultRule {
  std::string name;
  FaultMatch match;
  FaultDelay delay;
  FaultAction action = FaultAction::kNone;
  int status = 0;
  int retry_after_seconds = -1;  // -1: the default (1 for 429 and 503, none otherwise)
  std::string message;
  std::chrono::milliseconds slow_body{0};
  int close_watch_after = 0;
  int64_t times = -1;  // -1: unlimited
  double probability = 1.0;
  int64_t fired = 0;  // how often it has fired

  nlohmann::json ToJson() const;  // the fields above, as in the file, plus "fired"
  std::string Describe() const;   // "rule throttle: status 429", "rule r2: delay 120ms; ..."
};

// One rule from its JSON form; throws std::invalid_argument saying what is wrong.
FaultRule ParseFaultRule(const nlohmann::json& rule);
// A YAML (or JSON) document: a list of rules or a map with a `faults:` list. Throws
// std::runtime_error "SOURCE: rule N: what is wrong" (N counts from 1).
std::vector<FaultRule> ParseFaultRules(const std::string& text, const std::string& source);
std::vector<FaultRule> LoadFaultsFile(const std::filesystem::path& path);

// What a rule can match on.
struct FaultRequest {
  std::string method, path, verb, resource, ns, user;
  std::function<std::string(const std::string&)> header;  // "" when absent
};

// The live rule list. Thread-safe.
class FaultSet {
 public:
  FaultSet();
  // Adds a rule (named "rule-N" if it has no name); a rule with the same name is replaced.
  // match.path and match.headers given without their compiled patterns are compiled here
  // (std::invalid_argument naming the key for a bad one). Returns the stored rule.
  FaultRule Add(FaultRule rule);
  bool Remove(const std::string& name);
  size_t Clear();
  std::vector<FaultRule> List() const;
  // No rules: every request goes by without building a FaultRequest or taking the lock.
  bool empty() const { return count_.load(std::memory_order_relaxed) == 0; }
  // The rule that fires for `request` (counted as fired), with the delay drawn; nullopt if none.
  struct Fired {
    FaultRule rule;
    std::chrono::milliseconds delay{0};
    std::string description;
  };
  std::optional<Fired> Pick(const FaultRequest& request);

 private:
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  std::atomic<size_t> count_{0};  // rules_.size(), read without the lock
  uint64_t next_id_ = 1;
  std::mt19937_64 rng_;
};

}  // namespace kubedouble::fake
