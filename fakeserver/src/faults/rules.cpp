// Fault rules: parsing (YAML file, admin API JSON), description, and the live rule set.
#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "../util.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/faults.h"

namespace kubedouble::fake {

using json = nlohmann::json;

namespace {

std::invalid_argument Bad(const std::string& what) { return std::invalid_argument(what); }

std::string String(const json& j, const std::string& key) {
  if (!j.is_string()) throw Bad(fmt::format("{} must be a string, not {}", key, j.dump()));
  return j.get<std::string>();
}

int64_t Integer(const json& j, const std::string& key, int64_t min, int64_t max) {
  if (!j.is_number_integer()) {
    throw Bad(fmt::format("{} must be an integer, not {}", key, j.dump()));
  }
  int64_t v = j.get<int64_t>();
  if (v < min || v > max)
    throw Bad(fmt::format("{} must be from {} to {}, not {}", key, min, max, v));
  return v;
}

std::chrono::milliseconds Duration(const json& j, const std::string& key) {
  std::chrono::nanoseconds d;
  if (j.is_number()) {
    // Seconds; past int64 nanoseconds (~292 years, Go's longest duration) the cast is undefined.
    double seconds = j.get<double>();
    if (seconds < 0) throw Bad(key + " must not be negative");
    if (!(seconds < 9.2e9)) throw Bad(fmt::format("{} of {} seconds is too long", key, j.dump()));
    d = std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
  } else if (j.is_string()) {
    try {
      d = ParseDuration(j.get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw Bad(fmt::format("{}: {}", key, e.what()));
    }
  } else {
    throw Bad(
        fmt::format("{} must be a duration such as \"250ms\" or \"2s\", not {}", key, j.dump()));
  }
  if (d.count() < 0) throw Bad(key + " must not be negative");
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

std::shared_ptr<const re2::RE2> Regex(const std::string& pattern, const std::string& key) {
  auto re = std::make_shared<const re2::RE2>(pattern, re2::RE2::Quiet);
  if (!re->ok()) {
    throw Bad(fmt::format("{}: invalid regular expression \"{}\": {}", key, pattern, re->error()));
  }
  return re;
}

void CheckKeys(const json& j, const std::string& where, const std::vector<std::string>& known) {
  for (const auto& [k, v] : j.items()) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::string list;
      for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
      throw Bad(fmt::format("unknown field \"{}\"{} (expected {})", k, where, list));
    }
  }
}

const char* ActionName(FaultAction a) {
  switch (a) {
    case FaultAction::kConnectionReset:
      return "connection-reset";
    case FaultAction::kEmptyResponse:
      return "empty-response";
    case FaultAction::kMalformedChunk:
      return "malformed-chunk";
    case FaultAction::kRandomDataThenClose:
      return "random-data-then-close";
    default:
      return "";
  }
}

std::string FormatMs(std::chrono::milliseconds ms) { return FormatDuration(ms); }

}  // namespace

FaultRule ParseFaultRule(const json& j) {
  if (!j.is_object()) throw Bad("a rule must be a map, not " + j.dump());
  CheckKeys(j, "",
            {"name", "match", "delay", "status", "retryAfterSeconds", "message", "action",
             "slowBody", "closeWatchAfterEvents", "times", "probability", "fired"});
  FaultRule r;
  if (j.contains("name")) {
    r.name = String(j["name"], "name");
    if (r.name.empty() || r.name.find('/') != std::string::npos) {
      throw Bad("name must be non-empty and contain no '/'");
    }
  }
  if (j.contains("match")) {
    const json& m = j["match"];
    if (!m.is_object()) throw Bad("match must be a map, not " + m.dump());
    CheckKeys(m, " in match",
              {"method", "path", "verb", "resource", "namespace", "user", "headers"});
    if (m.contains("method")) {
      r.match.method = String(m["method"], "match.method");
      for (auto& c : r.match.method)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (m.contains("path")) {
      r.match.path = String(m["path"], "match.path");
      r.match.path_re = Regex(r.match.path, "match.path");
    }
    if (m.contains("verb")) r.match.verb = String(m["verb"], "match.verb");
    if (m.contains("resource")) r.match.resource = String(m["resource"], "match.resource");
    if (m.contains("namespace")) r.match.ns = String(m["namespace"], "match.namespace");
    if (m.contains("user")) r.match.user = String(m["user"], "match.user");
    if (m.contains("headers")) {
      if (!m["headers"].is_object()) throw Bad("match.headers must be a map of name: regex");
      for (const auto& [name, v] : m["headers"].items()) {
        std::string key = "match.headers." + name;
        r.match.headers[name] = String(v, key);
        r.match.header_res[name] = Regex(r.match.headers[name], key);
      }
    }
  }
  if (j.contains("delay")) {
    const json& d = j["delay"];
    if (d.is_object()) {
      CheckKeys(d, " in delay", {"fixed", "uniform", "logNormal"});
      if (d.size() != 1) throw Bad("delay must have exactly one of fixed, uniform, logNormal");
      if (d.contains("fixed")) {
        r.delay.kind = FaultDelay::Kind::kFixed;
        r.delay.fixed = Duration(d["fixed"], "delay.fixed");
      } else if (d.contains("uniform")) {
        const json& u = d["uniform"];
        if (!u.is_object() || !u.contains("min") || !u.contains("max")) {
          throw Bad("delay.uniform needs min and max");
        }
        CheckKeys(u, " in delay.uniform", {"min", "max"});
        r.delay.kind = FaultDelay::Kind::kUniform;
        r.delay.min = Duration(u["min"], "delay.uniform.min");
        r.delay.max = Duration(u["max"], "delay.uniform.max");
        if (r.delay.max < r.delay.min) throw Bad("delay.uniform.max is below min");
      } else {
        const json& l = d["logNormal"];
        if (!l.is_object() || !l.contains("median")) throw Bad("delay.logNormal needs median");
        CheckKeys(l, " in delay.logNormal", {"median", "sigma"});
        r.delay.kind = FaultDelay::Kind::kLogNormal;
        r.delay.median = Duration(l["median"], "delay.logNormal.median");
        if (l.contains("sigma")) {
          if (!l["sigma"].is_number() || l["sigma"].get<double>() < 0) {
            throw Bad("delay.logNormal.sigma must be a number >= 0");
          }
          r.delay.sigma = l["sigma"].get<double>();
        }
      }
    } else {
      r.delay.kind = FaultDelay::Kind::kFixed;
      r.delay.fixed = Duration(d, "delay");
    }
  }
  int actions = 0;
  if (j.contains("status")) {
    r.status = static_cast<int>(Integer(j["status"], "status", 400, 599));
    r.action = FaultAction::kStatus;
    ++actions;
  }
  if (j.contains("retryAfterSeconds")) {
    if (!j.contains("status")) throw Bad("retryAfterSeconds needs status");
    r.retry_after_seconds =
        static_cast<int>(Integer(j["retryAfterSeconds"], "retryAfterSeconds", 0, 86400));
  }
  if (j.contains("message")) {
    if (!j.contains("status")) throw Bad("message needs status");
    r.message = String(j["message"], "message");
  }
  if (j.contains("action")) {
    std::string a = String(j["action"], "action");
    if (a == "connection-reset") {
      r.action = FaultAction::kConnectionReset;
    } else if (a == "empty-response") {
      r.action = FaultAction::kEmptyResponse;
    } else if (a == "malformed-chunk") {
      r.action = FaultAction::kMalformedChunk;
    } else if (a == "random-data-then-close") {
      r.action = FaultAction::kRandomDataThenClose;
    } else {
      throw Bad(fmt::format(
          "unknown action \"{}\" (expected connection-reset, empty-response, malformed-chunk or "
          "random-data-then-close)",
          a));
    }
    ++actions;
  }
  if (j.contains("slowBody")) {
    r.slow_body = Duration(j["slowBody"], "slowBody");
    r.action = FaultAction::kSlowBody;
    ++actions;
  }
  if (j.contains("closeWatchAfterEvents")) {
    r.close_watch_after =
        static_cast<int>(Integer(j["closeWatchAfterEvents"], "closeWatchAfterEvents", 0, 1000000));
    r.action = FaultAction::kCloseWatch;
    ++actions;
  }
  if (actions > 1) {
    throw Bad("a rule has at most one of status, action, slowBody and closeWatchAfterEvents");
  }
  if (actions == 0 && r.delay.kind == FaultDelay::Kind::kNone) {
    throw Bad("a rule needs a delay or one of status, action, slowBody and closeWatchAfterEvents");
  }
  if (j.contains("times")) r.times = Integer(j["times"], "times", 0, INT64_MAX);
  if (j.contains("probability")) {
    if (!j["probability"].is_number()) throw Bad("probability must be a number from 0 to 1");
    r.probability = j["probability"].get<double>();
    if (!(r.probability >= 0 && r.probability <= 1)) {
      throw Bad("probability must be a number from 0 to 1");
    }
  }
  return r;
}

std::vector<FaultRule> ParseFaultRules(const std::string& text, const std::string& source) {
  json doc;
  try {
    doc = base::LoadYamlAsJson(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(fmt::format("{}: not valid YAML: {}", source, e.what()));
  }
  if (doc.is_null()) return {};
  if (doc.is_object()) {
    if (!doc.contains("faults") || doc.size() != 1) {
      throw std::runtime_error(
          fmt::format("{}: expected a list of rules or a map with one key, faults", source));
    }
    doc = doc["faults"];
    if (doc.is_null()) return {};
  }
  if (!doc.is_array()) {
    throw std::runtime_error(fmt::format("{}: expected a list of rules", source));
  }
  std::vector<FaultRule> rules;
  for (size_t i = 0; i < doc.size(); ++i) {
    try {
      rules.push_back(ParseFaultRule(doc[i]));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("{}: rule {}: {}", source, i + 1, e.what()));
    }
  }
  return rules;
}

std::vector<FaultRule> LoadFaultsFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot read the faults file {}", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseFaultRules(ss.str(), path.string());
}

json FaultRule::ToJson() const {
  json j = {{"name", name}};
  json m = json::object();
  if (!match.method.empty()) m["method"] = match.method;
  if (!match.path.empty()) m["path"] = match.path;
  if (!match.verb.empty()) m["verb"] = match.verb;
  if (!match.resource.empty()) m["resource"] = match.resource;
  if (!match.ns.empty()) m["namespace"] = match.ns;
  if (!match.user.empty()) m["user"] = match.user;
  if (!match.headers.empty()) m["headers"] = match.headers;
  j["match"] = m;
  switch (delay.kind) {
    case FaultDelay::Kind::kFixed:
      j["delay"] = {{"fixed", FormatMs(delay.fixed)}};
      break;
    case FaultDelay::Kind::kUniform:
      j["delay"] = {{"uniform", {{"min", FormatMs(delay.min)}, {"max", FormatMs(delay.max)}}}};
      break;
    case FaultDelay::Kind::kLogNormal:
      j["delay"] = {{"logNormal", {{"median", FormatMs(delay.median)}, {"sigma", delay.sigma}}}};
      break;
    case FaultDelay::Kind::kNone:
      break;
  }
  switch (action) {
    case FaultAction::kStatus:
      j["status"] = status;
      if (retry_after_seconds >= 0) j["retryAfterSeconds"] = retry_after_seconds;
      if (!message.empty()) j["message"] = message;
      break;
    case FaultAction::kSlowBody:
      j["slowBody"] = FormatMs(slow_body);
      break;
    case FaultAction::kCloseWatch:
      j["closeWatchAfterEvents"] = close_watch_after;
      break;
    case FaultAction::kNone:
      break;
    default:
      j["action"] = ActionName(action);
  }
  if (times >= 0) j["times"] = times;
  j["probability"] = probability;
  j["fired"] = fired;
  return j;
}

std::string FaultRule::Describe() const {
  std::string what;
  switch (action) {
    case FaultAction::kStatus:
      what = fmt::format("status {}", status);
      break;
    case FaultAction::kSlowBody:
      what = "slow body over " + FormatMs(slow_body);
      break;
    case FaultAction::kCloseWatch:
      what = fmt::format("close watch after {} events", close_watch_after);
      break;
    case FaultAction::kNone:
      break;
    default:
      what = ActionName(action);
  }
  return fmt::format("rule {}: {}", name, what);
}

FaultSet::FaultSet() : rng_(std::random_device{}()) {}

FaultRule FaultSet::Add(FaultRule rule) {
  // A rule built in code may name its path and headers without their compiled patterns: compile
  // them here, or the rule would match every path and every header value.
  if (!rule.match.path.empty() && !rule.match.path_re)
    rule.match.path_re = Regex(rule.match.path, "match.path");
  for (const auto& [name, pattern] : rule.match.headers)
    if (!rule.match.header_res.count(name))
      rule.match.header_res[name] = Regex(pattern, "match.headers." + name);
  std::lock_guard lock(mu_);
  if (rule.name.empty()) {
    do {
      rule.name = fmt::format("rule-{}", next_id_++);
    } while (std::any_of(rules_.begin(), rules_.end(),
                         [&](const FaultRule& r) { return r.name == rule.name; }));
  }
  for (auto& r : rules_) {
    if (r.name == rule.name) {
      r = rule;
      return rule;
    }
  }
  rules_.push_back(rule);
  count_ = rules_.size();
  return rule;
}

bool FaultSet::Remove(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(rules_.begin(), rules_.end(),
                         [&](const FaultRule& r) { return r.name == name; });
  if (it == rules_.end()) return false;
  rules_.erase(it);
  count_ = rules_.size();
  return true;
}

size_t FaultSet::Clear() {
  std::lock_guard lock(mu_);
  size_t n = rules_.size();
  rules_.clear();
  count_ = 0;
  return n;
}

std::vector<FaultRule> FaultSet::List() const {
  std::lock_guard lock(mu_);
  return rules_;
}

namespace {
bool Matches(const FaultMatch& m, const FaultRequest& q) {
  if (!m.method.empty() && m.method != q.method) return false;
  if (!m.verb.empty() && m.verb != q.verb) return false;
  if (!m.resource.empty() && m.resource != q.resource) return false;
  if (!m.ns.empty() && m.ns != q.ns) return false;
  if (!m.user.empty() && m.user != q.user) return false;
  if (m.path_re && !re2::RE2::FullMatch(q.path, *m.path_re)) return false;
  for (const auto& [name, re] : m.header_res) {
    std::string v = q.header ? q.header(name) : "";
    if (!re2::RE2::FullMatch(v, *re)) return false;
  }
  return true;
}
}  // namespace

std::optional<FaultSet::Fired> FaultSet::Pick(const FaultRequest& request) {
  std::lock_guard lock(mu_);
  for (auto& r : rules_) {
    if (r.times >= 0 && r.fired >= r.times) continue;
    if (!Matches(r.match, request)) continue;
    if (r.probability < 1.0 &&
        std::uniform_real_distribution<double>(0, 1)(rng_) >= r.probability) {
      continue;
    }
    ++r.fired;
    Fired f{r, std::chrono::milliseconds(0), ""};
    using ms = std::chrono::milliseconds;
    switch (r.delay.kind) {
      case FaultDelay::Kind::kFixed:
        f.delay = r.delay.fixed;
        break;
      case FaultDelay::Kind::kUniform:
        f.delay = ms(
            std::uniform_int_distribution<int64_t>(r.delay.min.count(), r.delay.max.count())(rng_));
        break;
      case FaultDelay::Kind::kLogNormal: {
        double mu = std::log(std::max<double>(1.0, static_cast<double>(r.delay.median.count())));
        double v = std::lognormal_distribution<double>(mu, r.delay.sigma)(rng_);
        f.delay = ms(static_cast<int64_t>(std::min(v, 3600e3)));
        break;
      }
      case FaultDelay::Kind::kNone:
        break;
    }
    std::string what = r.Describe();
    if (f.delay.count() > 0) {
      bool only_delay = r.action == FaultAction::kNone;
      what = fmt::format("rule {}: delay {}{}", r.name, FormatMs(f.delay),
                         only_delay ? "" : "; " + what.substr(what.find(": ") + 2));
    }
    f.description = what;
    return f;
  }
  return std::nullopt;
}

}  // namespace kubedouble::fake
