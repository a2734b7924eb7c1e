// Reading stage files: YAML nodes are walked directly (not through JSON) so that every error
// can name the line it is about.
#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <kubedouble/controlplane/stages.h>
#include <kubedouble/fakeserver/clock.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "objects.h"

namespace kubedouble::controlplane {
namespace {

constexpr const char* kApiVersion = "kubedouble.dev/v1alpha1";

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& what) const {
    throw std::invalid_argument(fmt::format("{}:{}: {}", source_, at.Mark().line + 1, what));
  }
  std::string Origin(const YAML::Node& at) const {
    return fmt::format("{}:{}", source_, at.Mark().line + 1);
  }

  // A mapping whose keys are all among `known`.
  void Fields(const YAML::Node& map, const std::string& where,
              const std::vector<std::string>& known) const {
    if (!map.IsMap()) Fail(map, where + " must be a mapping");
    for (const auto& kv : map) {
      std::string key = kv.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        Fail(kv.first, fmt::format("unknown field \"{}\" in {} (known: {})", key, where, list));
      }
    }
  }

  std::string String(const YAML::Node& node, const std::string& field) const {
    nlohmann::json v = Scalar(node, field);
    if (!v.is_string()) Fail(node, field + " must be a string (quote it)");
    return v.get<std::string>();
  }

  int64_t Integer(const YAML::Node& node, const std::string& field, int64_t lo, int64_t hi) const {
    nlohmann::json v = Scalar(node, field);
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      Fail(node, fmt::format("{} must be a whole number from {} to {}", field, lo, hi));
    return v.get<int64_t>();
  }

  bool Bool(const YAML::Node& node, const std::string& field) const {
    nlohmann::json v = Scalar(node, field);
    if (!v.is_boolean()) Fail(node, field + " must be true or false");
    return v.get<bool>();
  }

  std::chrono::milliseconds Duration(const YAML::Node& node, const std::string& field) const {
    nlohmann::json v = Scalar(node, field);
    std::string text = v.is_string() ? v.get<std::string>() : v.is_number() ? v.dump() : "";
    if (text.empty()) Fail(node, field + " must be a duration such as 500ms, 3s or 1m");
    try {
      auto d = fake::ParseDuration(text);
      if (d.count() < 0) Fail(node, field + " must not be negative");
      return std::chrono::duration_cast<std::chrono::milliseconds>(d);
    } catch (const std::invalid_argument& e) {
      Fail(node, fmt::format("{}: {}", field, e.what()));
    }
  }

  std::vector<std::string> Strings(const YAML::Node& node, const std::string& field) const {
    if (!node.IsSequence()) Fail(node, field + " must be a list of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i)
      out.push_back(String(node[i], fmt::format("{}[{}]", field, i)));
    return out;
  }

  nlohmann::json StringMap(const YAML::Node& node, const std::string& field) const {
    if (!node.IsMap()) Fail(node, field + " must be a mapping of strings");
    nlohmann::json out = nlohmann::json::object();
    for (const auto& kv : node) {
      std::string key = kv.first.Scalar();
      out[key] = String(kv.second, field + "." + key);
    }
    return out;
  }

 private:
  nlohmann::json Scalar(const YAML::Node& node, const std::string& field) const {
    if (!node.IsScalar() && !node.IsNull()) Fail(node, field + " must be a single value");
    return base::YamlToJson(node);
  }

  std::string source_;
};

nlohmann::json ReadSelector(const Reader& r, const YAML::Node& node) {
  const std::string where = "spec.selector";
  r.Fields(node, where,
           {"matchLabels", "matchExpressions", "matchAnnotations", "names", "namespaces"});
  nlohmann::json out = nlohmann::json::object();
  if (node["matchLabels"])
    out["matchLabels"] = r.StringMap(node["matchLabels"], where + ".matchLabels");
  if (node["matchAnnotations"])
    out["matchAnnotations"] = r.StringMap(node["matchAnnotations"], where + ".matchAnnotations");
  for (const char* list : {"names", "namespaces"}) {
    if (node[list]) out[list] = r.Strings(node[list], where + "." + list);
  }
  if (const YAML::Node exprs = node["matchExpressions"]) {
    if (!exprs.IsSequence()) r.Fail(exprs, where + ".matchExpressions must be a list");
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < exprs.size(); ++i) {
      const YAML::Node e = exprs[i];
      const std::string at = fmt::format("{}.matchExpressions[{}]", where, i);
      r.Fields(e, at, {"key", "operator", "values"});
      if (!e["key"]) r.Fail(e, at + " needs a key");
      if (!e["operator"]) r.Fail(e, at + " needs an operator");
      std::string op = r.String(e["operator"], at + ".operator");
      static const std::set<std::string> kOps = {"In", "NotIn", "Exists", "DoesNotExist"};
      if (!kOps.count(op)) {
        r.Fail(e["operator"],
               fmt::format("{}.operator \"{}\" is not In, NotIn, Exists or DoesNotExist", at, op));
      }
      nlohmann::json expr = {{"key", r.String(e["key"], at + ".key")}, {"operator", op}};
      std::vector<std::string> values;
      if (e["values"]) values = r.Strings(e["values"], at + ".values");
      if ((op == "In" || op == "NotIn") && values.empty())
        r.Fail(e, fmt::format("{}: operator {} needs values", at, op));
      if ((op == "Exists" || op == "DoesNotExist") && !values.empty())
        r.Fail(e["values"], fmt::format("{}: operator {} takes no values", at, op));
      expr["values"] = values;
      list.push_back(std::move(expr));
    }
    out["matchExpressions"] = std::move(list);
  }
  return out;
}

ContainerExit ReadExit(const Reader& r, const YAML::Node& node) {
  r.Fields(node, "spec.exit", {"code", "after", "times", "reason", "message"});
  if (!node["code"]) r.Fail(node, "spec.exit needs a code (the exit code, 0 for success)");
  ContainerExit exit;
  exit.code = static_cast<int>(r.Integer(node["code"], "spec.exit.code", 0, 255));
  if (node["after"]) exit.after = r.Duration(node["after"], "spec.exit.after");
  if (node["times"]) exit.times = r.Integer(node["times"], "spec.exit.times", 1, 1'000'000);
  if (node["reason"]) {
    exit.reason = r.String(node["reason"], "spec.exit.reason");
    const bool word =
        !exit.reason.empty() && std::isupper(static_cast<unsigned char>(exit.reason[0])) &&
        std::all_of(exit.reason.begin(), exit.reason.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    if (!word)
      r.Fail(node["reason"], "spec.exit.reason must be one CamelCase word, such as OOMKilled");
  }
  if (node["message"]) exit.message = r.String(node["message"], "spec.exit.message");
  return exit;
}

fake::PortAnswer ReadAnswer(const Reader& r, const YAML::Node& node, const std::string& at) {
  r.Fields(node, at, {"path", "method", "status", "headers", "body"});
  fake::PortAnswer answer;
  if (!node["path"]) r.Fail(node, at + " needs a path (\"/healthz\", or \"/api/*\" for a prefix)");
  answer.path = r.String(node["path"], at + ".path");
  if (!answer.path.starts_with("/")) r.Fail(node["path"], at + ".path must start with /");
  if (node["method"]) {
    answer.method = r.String(node["method"], at + ".method");
    const bool token = !answer.method.empty() &&
                       std::all_of(answer.method.begin(), answer.method.end(), [](char c) {
                         return std::isupper(static_cast<unsigned char>(c));
                       });
    if (!token)
      r.Fail(node["method"], at + ".method must be an upper-case HTTP method, such as GET");
  }
  if (node["status"])
    answer.status = static_cast<int>(r.Integer(node["status"], at + ".status", 100, 599));
  if (const YAML::Node headers = node["headers"]) {
    nlohmann::json map = r.StringMap(headers, at + ".headers");
    for (const auto& [name, value] : map.items()) {
      const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`|~", c);
      });
      if (!token) r.Fail(headers, fmt::format("{}.headers: \"{}\" is not a header name", at, name));
      std::string text = value.get<std::string>();
      if (text.find_first_of("\r\n") != std::string::npos)
        r.Fail(headers, fmt::format("{}.headers.{} must be one line", at, name));
      answer.headers.emplace_back(name, std::move(text));
    }
  }
  if (node["body"]) answer.body = r.String(node["body"], at + ".body");
  return answer;
}

std::vector<fake::PortRule> ReadPorts(const Reader& r, const YAML::Node& node) {
  if (!node.IsSequence()) r.Fail(node, "spec.ports must be a list");
  std::vector<fake::PortRule> rules;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node p = node[i];
    const std::string at = fmt::format("spec.ports[{}]", i);
    r.Fields(p, at, {"port", "container", "echo", "closed", "tls", "http"});
    fake::PortRule rule;
    if (p["port"]) {
      nlohmann::json port = base::YamlToJson(p["port"]);
      if (port.is_number_integer()) {
        rule.port = std::to_string(r.Integer(p["port"], at + ".port", 1, 65535));
      } else {
        rule.port = r.String(p["port"], at + ".port");
        const bool name = !rule.port.empty() && rule.port.size() <= 15 &&
                          std::all_of(rule.port.begin(), rule.port.end(), [](char c) {
                            return std::islower(static_cast<unsigned char>(c)) ||
                                   std::isdigit(static_cast<unsigned char>(c)) || c == '-';
                          });
        if (!name) {
          r.Fail(p["port"], at + ".port must be a port number (1 to 65535) or a containerPort "
                                 "name (lower-case letters, digits and '-', at most 15)");
        }
      }
    }
    if (p["container"]) rule.container = r.String(p["container"], at + ".container");
    const bool echo = p["echo"] && r.Bool(p["echo"], at + ".echo");
    const bool closed = p["closed"] && r.Bool(p["closed"], at + ".closed");
    if (echo && closed) r.Fail(p, at + ": echo and closed exclude each other");
    if (echo) rule.mode = fake::PortRule::Mode::kEcho;
    if (closed) rule.mode = fake::PortRule::Mode::kClosed;
    if (p["tls"]) rule.tls = r.Bool(p["tls"], at + ".tls");
    if (const YAML::Node http = p["http"]) {
      if (echo || closed) r.Fail(http, at + ".http needs an HTTP port (not echo, not closed)");
      if (!http.IsSequence()) r.Fail(http, at + ".http must be a list of answers");
      for (size_t j = 0; j < http.size(); ++j)
        rule.answers.push_back(ReadAnswer(r, http[j], fmt::format("{}.http[{}]", at, j)));
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

PodStage ReadStage(const Reader& r, const YAML::Node& doc) {
  if (!doc.IsMap()) r.Fail(doc, "a stage must be a mapping (apiVersion, kind, metadata, spec)");
  std::string kind = doc["kind"] ? r.String(doc["kind"], "kind") : "";
  if (kind == "Stage") {
    r.Fail(doc["kind"],
           "kwok's Stage resources are not read: write a kubedouble.dev/v1alpha1 PodStage "
           "(controlplane/README.md shows how)");
  }
  if (kind != "PodStage") r.Fail(doc["kind"] ? doc["kind"] : doc, "kind must be PodStage");
  r.Fields(doc, "a PodStage", {"apiVersion", "kind", "metadata", "spec"});
  if (doc["apiVersion"] && r.String(doc["apiVersion"], "apiVersion") != kApiVersion)
    r.Fail(doc["apiVersion"], fmt::format("apiVersion must be {}", kApiVersion));
  PodStage stage;
  stage.origin = r.Origin(doc);
  if (!doc["metadata"] || !doc["metadata"]["name"]) r.Fail(doc, "a PodStage needs metadata.name");
  r.Fields(doc["metadata"], "metadata", {"name", "labels", "annotations"});
  stage.name = r.String(doc["metadata"]["name"], "metadata.name");
  if (stage.name.empty()) r.Fail(doc["metadata"], "metadata.name must not be empty");
  const YAML::Node spec = doc["spec"];
  if (!spec) r.Fail(doc, "a PodStage needs a spec");
  r.Fields(spec, "spec", {"selector", "startDelay", "pullError", "ready", "exit", "ports"});
  if (spec["selector"] && !spec["selector"].IsNull())
    stage.selector = ReadSelector(r, spec["selector"]);
  if (spec["startDelay"]) stage.start_delay = r.Duration(spec["startDelay"], "spec.startDelay");
  if (const YAML::Node pull = spec["pullError"]) {
    if (pull.IsMap()) {
      r.Fields(pull, "spec.pullError", {"times"});
      stage.pull_failures.reset();
      if (pull["times"])
        stage.pull_failures = r.Integer(pull["times"], "spec.pullError.times", 1, 1'000'000);
    } else if (r.Bool(pull, "spec.pullError (true, false or {times: N})")) {
      stage.pull_failures.reset();
    }
  }
  if (spec["ready"]) stage.ready = r.Bool(spec["ready"], "spec.ready");
  if (spec["exit"]) stage.exit = ReadExit(r, spec["exit"]);
  if (spec["ports"]) stage.ports = ReadPorts(r, spec["ports"]);
  return stage;
}

bool Contains(const nlohmann::json& list, const std::string& value) {
  if (!list.is_array()) return true;
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::vector<PodStage> ParsePodStages(const std::string& text, const std::string& source) {
  Reader r(source);
  std::vector<YAML::Node> docs;
  try {
    docs = base::LoadAllYaml(text);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(
        fmt::format("{}:{}: not valid YAML: {}", source, e.mark.line + 1, e.msg));
  }
  std::vector<PodStage> stages;
  std::set<std::string> names;
  for (const auto& doc : docs) {
    if (doc.IsNull()) continue;
    PodStage stage = ReadStage(r, doc);
    if (!names.insert(stage.name).second)
      r.Fail(doc, fmt::format("a second stage named \"{}\"", stage.name));
    stages.push_back(std::move(stage));
  }
  return stages;
}

std::vector<PodStage> LoadPodStages(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::invalid_argument(fmt::format("cannot read the stage file {}", file.string()));
  std::stringstream text;
  text << in.rdbuf();
  return ParsePodStages(text.str(), file.string());
}

bool StageSelects(const PodStage& stage, const nlohmann::json& pod) {
  const nlohmann::json& s = stage.selector;
  if (!Contains(At(s, "names"), Str(pod, "metadata.name"))) return false;
  if (!Contains(At(s, "namespaces"), Str(pod, "metadata.namespace"))) return false;
  if (!MapMatches(At(s, "matchAnnotations"), At(pod, "metadata.annotations"))) return false;
  nlohmann::json labels = nlohmann::json::object();
  for (const char* part : {"matchLabels", "matchExpressions"}) {
    if (s.contains(part)) labels[part] = s[part];
  }
  return SelectorMatches(labels, At(pod, "metadata.labels"), true);
}

std::chrono::seconds RestartBackOff(int64_t restart) {
  if (restart <= 1) return std::chrono::seconds(0);
  int64_t seconds = 10;
  for (int64_t i = 2; i < restart && seconds < 300; ++i) seconds *= 2;
  return std::chrono::seconds(std::min<int64_t>(seconds, 300));
}

}  // namespace kubedouble::controlplane
