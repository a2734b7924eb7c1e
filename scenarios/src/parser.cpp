// The suite parser (parser.h): YAML to the scenario model, with file:line:col in every error.
// Over 600 lines: one reader per section of the suite format (server, file, access, setup,
// request, expect, scenario), each short, in the order the format is documented.
#include "kubedouble/scenarios/parser.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <kubedouble/base/yaml_json.h>
#include <re2/re2.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "kubedouble/controlplane/control_plane.h"
#include "kubedouble/fakeserver/faults.h"
#include "unused_files.h"

namespace kubedouble::scenarios {
namespace fs = std::filesystem;

ParseError::ParseError(SourceLocation where, const std::string& what)
    : std::runtime_error(where.ToString() + ": " + what), where_(std::move(where)) {}

namespace {

SourceLocation At(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

const char* TypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

// A mapping key as text; a key that is itself a list or mapping (`? [a]: b`) is refused.
std::string KeyText(const YAML::Node& key, const std::string& file) {
  if (!key.IsScalar())
    throw ParseError(At(file, key.Mark()),
                     fmt::format("a key must be plain text, not {}", TypeName(key)));
  return key.as<std::string>();
}

// A mapping whose keys are checked against the allowed ones.
class Fields {
 public:
  Fields(const YAML::Node& node, const std::string& file, const std::string& what,
         std::set<std::string> allowed)
      : node_(node), file_(file), what_(what) {
    if (!node.IsMap())
      throw ParseError(At(file, node.Mark()),
                       fmt::format("{} must be a mapping, not {}", what, TypeName(node)));
    for (const auto& kv : node) {
      std::string key = KeyText(kv.first, file);
      if (!allowed.count(key)) {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        throw ParseError(At(file, kv.first.Mark()),
                         fmt::format("unknown key \"{}\" in {} (allowed: {})", key, what,
                                     fmt::join(names, ", ")));
      }
    }
  }

  bool Has(const char* key) const { return static_cast<bool>(node_[key]); }
  YAML::Node Node(const char* key) const { return node_[key]; }
  SourceLocation Where() const { return At(file_, node_.Mark()); }
  SourceLocation Where(const char* key) const {
    return Has(key) ? At(file_, node_[key].Mark()) : Where();
  }

  YAML::Node Required(const char* key) const {
    if (!Has(key)) throw ParseError(Where(), fmt::format("{} needs \"{}\"", what_, key));
    return node_[key];
  }

  std::string String(const char* key, const std::string& fallback = "") const {
    if (!Has(key)) return fallback;
    YAML::Node v = node_[key];
    if (!v.IsScalar())
      throw ParseError(At(file_, v.Mark()),
                       fmt::format("\"{}\" must be a string, not {}", key, TypeName(v)));
    return v.Scalar();
  }

  std::string OneOf(const char* key, const std::vector<std::string>& values,
                    const std::string& fallback) const {
    std::string v = String(key, fallback);
    if (Has(key) && std::find(values.begin(), values.end(), v) == values.end())
      throw ParseError(Where(key), fmt::format("\"{}\" must be one of {}, not \"{}\"", key,
                                               fmt::join(values, ", "), v));
    return v;
  }

  bool Bool(const char* key, bool fallback) const {
    if (!Has(key)) return fallback;
    // Read as every YAML value is (base/yaml_json.h): `yes`, `on` and `y` are text, not true.
    json j = base::YamlToJson(node_[key]);
    if (!j.is_boolean())
      throw ParseError(Where(key), fmt::format("\"{}\" must be true or false", key));
    return j.get<bool>();
  }

  long long Int(const char* key, long long fallback) const {
    if (!Has(key)) return fallback;
    json j = base::YamlToJson(node_[key]);
    if (!j.is_number_integer())
      throw ParseError(Where(key), fmt::format("\"{}\" must be an integer", key));
    return j.get<long long>();
  }

  double Number(const char* key, double fallback) const {
    if (!Has(key)) return fallback;
    json j = base::YamlToJson(node_[key]);
    if (!j.is_number()) throw ParseError(Where(key), fmt::format("\"{}\" must be a number", key));
    return j.get<double>();
  }

  std::vector<std::string> Strings(const char* key) const {
    std::vector<std::string> out;
    if (!Has(key)) return out;
    YAML::Node v = node_[key];
    if (v.IsScalar()) return {v.Scalar()};
    if (!v.IsSequence())
      throw ParseError(At(file_, v.Mark()), fmt::format("\"{}\" must be a list of strings", key));
    for (const auto& item : v) {
      if (!item.IsScalar())
        throw ParseError(At(file_, item.Mark()),
                         fmt::format("\"{}\" must be a list of strings", key));
      out.push_back(item.Scalar());
    }
    return out;
  }

 private:
  YAML::Node node_;
  std::string file_;
  std::string what_;
};

ServerSetup ParseServer(const YAML::Node& node, const std::string& file) {
  ServerSetup s;
  if (!node || node.IsNull()) return s;
  Fields f(node, file, "server",
           {"serve_cert", "sans", "anonymous", "authorization", "policy", "tokens", "fixtures",
            "default_fixtures", "faults", "clock", "mitm", "rotate_sa_token", "sa_token_grace",
            "controllers", "nodes", "stages"});
  s.serve_cert =
      f.OneOf("serve_cert", {"good", "expired", "not-yet-valid", "wrong-host", "rogue"}, "good");
  s.sans = f.Strings("sans");
  s.anonymous = f.Bool("anonymous", false);
  s.authorization = f.OneOf("authorization", {"RBAC", "AlwaysAllow", "AlwaysDeny"}, "RBAC");
  if (f.Has("policy")) s.policy = base::YamlToJson(f.Node("policy"));
  if (f.Has("tokens")) s.tokens = f.String("tokens");
  if (f.Has("fixtures")) {
    YAML::Node list = f.Node("fixtures");
    if (!list.IsSequence())
      throw ParseError(f.Where("fixtures"), "\"fixtures\" must be a list of objects");
    for (const auto& item : list) {
      if (!item.IsMap())
        throw ParseError(At(file, item.Mark()), "a fixture must be a mapping (an object)");
      s.fixtures.push_back(base::YamlToJson(item));
    }
  }
  s.default_fixtures = f.Bool("default_fixtures", true);
  if (f.Has("faults")) {
    YAML::Node list = f.Node("faults");
    if (!list.IsSequence())
      throw ParseError(f.Where("faults"), "\"faults\" must be a list of fault rules");
    // The fake server's own rules (fakeserver/include/kubedouble/fakeserver/faults.h), checked
    // here so that a bad rule names its place in the suite file.
    json rules = json::array();
    for (const auto& item : list) {
      if (!item.IsMap()) throw ParseError(At(file, item.Mark()), "a fault rule must be a mapping");
      json rule = base::YamlToJson(item);
      try {
        fake::ParseFaultRule(rule);
      } catch (const std::exception& e) {
        throw ParseError(At(file, item.Mark()), fmt::format("fault rule: {}", e.what()));
      }
      rules.push_back(std::move(rule));
    }
    s.faults = std::move(rules);
  }
  if (f.Has("clock")) s.clock = f.OneOf("clock", {"real", "fake"}, "real");
  s.mitm = f.Bool("mitm", false);
  s.rotate_sa_token = f.Bool("rotate_sa_token", false);
  if (f.Has("sa_token_grace")) {
    long long grace = f.Int("sa_token_grace", 0);
    if (grace < 0) throw ParseError(f.Where("sa_token_grace"), "\"sa_token_grace\" must be >= 0");
    s.sa_token_grace = static_cast<int>(grace);
  }
  if (f.Has("controllers")) {
    s.controllers = f.String("controllers");
    try {
      controlplane::ParseControllers(*s.controllers);
    } catch (const std::exception& e) {
      throw ParseError(f.Where("controllers"), e.what());
    }
  }
  if (f.Has("nodes")) {
    long long nodes = f.Int("nodes", 1);
    if (nodes < 0 || nodes > 250)
      throw ParseError(f.Where("nodes"), "\"nodes\" must be from 0 to 250");
    s.nodes = static_cast<int>(nodes);
  }
  if (f.Has("stages")) {
    YAML::Node list = f.Node("stages");
    if (!list.IsSequence())
      throw ParseError(f.Where("stages"), "\"stages\" must be a list of PodStage documents");
    for (const auto& item : list) {
      if (!item.IsMap()) throw ParseError(At(file, item.Mark()), "a stage must be a mapping");
      json stage = base::YamlToJson(item);
      // Checked here so that a bad stage names its place in the suite file.
      try {
        controlplane::ParsePodStages(stage.dump(), "stage");
      } catch (const std::exception& e) {
        std::string what = e.what();  // "stage:1: why" (one line of JSON): the suite says where
        throw ParseError(At(file, item.Mark()), "stage: " + what.substr(what.find(' ') + 1));
      }
      s.stages.push_back(std::move(stage));
    }
    if (!s.controllers) s.controllers = "all";  // stages need a kubelet
  }
  return s;
}

FileSpec ParseFile(const YAML::Node& node, const std::string& file) {
  Fields f(node, file, "a file", {"path", "content", "from"});
  FileSpec spec;
  spec.where = f.Where();
  spec.path = f.String("path");
  if (spec.path.empty()) throw ParseError(f.Where(), "a file needs \"path\"");
  if (spec.path.front() == '/' || spec.path.find("..") != std::string::npos)
    throw ParseError(f.Where("path"),
                     fmt::format("file path \"{}\" must be relative and stay in the scenario's "
                                 "folder",
                                 spec.path));
  if (f.Has("content")) spec.content = f.String("content");
  if (f.Has("from"))
    spec.from =
        f.OneOf("from",
                {"ca", "rogue-ca", "admin-cert", "admin-key", "admin-token", "user-token",
                 "sa-token", "kubeconfig", "token-kubeconfig", "mtls-kubeconfig",
                 "insecure-kubeconfig", "anonymous-kubeconfig", "serviceaccount-kubeconfig"},
                "ca");
  if (spec.content.has_value() == spec.from.has_value())
    throw ParseError(f.Where(), "a file needs exactly one of \"content\" or \"from\"");
  return spec;
}

Access ParseAccess(const YAML::Node& node, const std::string& file) {
  Access a;
  if (!node || node.IsNull()) return a;
  Fields f(node, file, "access",
           {"path", "host", "ca", "token", "client_cert", "insecure", "via", "tls_server_name",
            "kubeconfigs", "kubeconfig_env", "context", "namespace", "files", "proxy"});
  std::string path = f.String("path", "token");
  auto parsed = ParseAccessPath(path);
  if (!parsed)
    throw ParseError(f.Where("path"), fmt::format("unknown access path \"{}\" (known: {})", path,
                                                  fmt::join(AccessPathNames(), ", ")));
  a.path = *parsed;
  a.host = f.String("host", "127.0.0.1");
  a.ca = f.OneOf("ca", {"cluster", "rogue", "none"}, "");
  a.token = f.OneOf(
      "token",
      {"admin", "user", "serviceaccount", "bad", "tokenrequest", "tokenrequest-expired", "none"},
      "");
  a.client_cert = f.OneOf("client_cert", {"admin", "expired-admin", "none"}, "");
  if (f.Has("insecure")) a.insecure = f.Bool("insecure", false);
  a.via = f.OneOf("via", {"kubeconfig", "flags"}, "kubeconfig");
  a.tls_server_name = f.String("tls_server_name");
  a.kubeconfigs = f.Strings("kubeconfigs");
  a.kubeconfig_env = f.Bool("kubeconfig_env", true);
  a.context = f.String("context");
  a.ns = f.String("namespace");
  if (f.Has("files")) {
    YAML::Node list = f.Node("files");
    if (!list.IsSequence()) throw ParseError(f.Where("files"), "\"files\" must be a list");
    for (const auto& item : list) a.files.push_back(ParseFile(item, file));
  }
  if (f.Has("proxy")) {
    Fields p(
        f.Node("proxy"), file, "proxy",
        {"address", "disable_filter", "accept_hosts", "reject_paths", "credentials", "program"});
    a.proxy.program = p.OneOf("program", {"kubectl", "kubedouble"}, "kubectl");
    a.proxy.credentials = p.OneOf("credentials", {"kubeconfig", "token"}, "kubeconfig");
    a.proxy.address = p.String("address", "127.0.0.1");
    a.proxy.disable_filter = p.Bool("disable_filter", false);
    if (p.Has("accept_hosts")) a.proxy.accept_hosts = p.String("accept_hosts");
    if (p.Has("reject_paths")) a.proxy.reject_paths = p.String("reject_paths");
    if (a.proxy.program == "kubedouble" && a.path != AccessPath::kProxy)
      throw ParseError(p.Where("program"),
                       "program kubedouble is for the proxy path (the sidecar runs kubectl proxy "
                       "in the pod)");
  }
  if (a.path == AccessPath::kKubeconfig && a.kubeconfigs.empty())
    throw ParseError(f.Where(),
                     "the kubeconfig path needs \"kubeconfigs\" (files listed in "
                     "\"files\")");
  for (const auto& k : a.kubeconfigs) {
    bool listed =
        std::any_of(a.files.begin(), a.files.end(), [&](const FileSpec& s) { return s.path == k; });
    if (!listed && k.rfind("missing", 0) != 0)
      throw ParseError(f.Where("kubeconfigs"),
                       fmt::format("kubeconfig \"{}\" is not one of the \"files\" (name it "
                                   "missing-... to mean a file that does not exist)",
                                   k));
  }
  if (!a.kubeconfig_env && a.kubeconfigs.size() > 1)
    throw ParseError(f.Where("kubeconfig_env"),
                     "--kubeconfig takes one file: with kubeconfig_env false list only one");
  return a;
}

std::vector<SetupStep> ParseSetup(const YAML::Node& node, const std::string& file) {
  if (!node.IsSequence())
    throw ParseError(At(file, node.Mark()),
                     "\"setup\" must be a list of requests ({method, path, body})");
  std::vector<SetupStep> steps;
  for (const auto& item : node) {
    Fields f(item, file, "a setup step", {"method", "path", "body", "patch_type"});
    SetupStep step;
    step.where = f.Where();
    step.method = f.OneOf("method", {"POST", "PUT", "PATCH", "DELETE"}, "");
    if (step.method.empty()) throw ParseError(f.Where(), "a setup step needs \"method\"");
    step.path = f.String("path");
    if (step.path.empty() || step.path.front() != '/')
      throw ParseError(f.Where(), "a setup step needs \"path\" starting with /");
    if (f.Has("body")) step.body = base::YamlToJson(f.Node("body"));
    step.patch_type = f.OneOf("patch_type", {"merge", "strategic", "json", "apply"}, "merge");
    if (f.Has("patch_type") && step.method != "PATCH")
      throw ParseError(f.Where("patch_type"), "\"patch_type\" is only meaningful with PATCH");
    if (step.method != "DELETE" && !step.body)
      throw ParseError(f.Where(), fmt::format("a {} setup step needs \"body\"", step.method));
    steps.push_back(std::move(step));
  }
  return steps;
}

// A server-side apply (patch_type apply) names its field manager and sends a whole object of
// the request's kind and name: kubectl applies a file, so the body must say what it is.
void CheckApply(const Request& r, const Fields& f) {
  bool apply = r.verb == Verb::kPatch && r.patch_type == "apply";
  if (!apply) {
    for (const char* key : {"field_manager", "force"})
      if (f.Has(key))
        throw ParseError(f.Where(key), fmt::format("\"{}\" is only meaningful with verb patch and "
                                                   "patch_type apply",
                                                   key));
    return;
  }
  static const re2::RE2 kManager(R"([A-Za-z0-9][A-Za-z0-9._:/-]{0,127})");
  if (r.field_manager.empty())
    throw ParseError(f.Where(), "patch_type apply needs \"field_manager\" (the manager's name)");
  if (!re2::RE2::FullMatch(r.field_manager, kManager))
    throw ParseError(f.Where("field_manager"),
                     fmt::format("\"field_manager\" must be up to 128 letters, digits and . _ : / "
                                 "-, starting with a letter or digit, not \"{}\"",
                                 r.field_manager));
  const json& body = *r.body;
  if (!body.is_object() || !body.value("apiVersion", json()).is_string() ||
      !body.value("kind", json()).is_string())
    throw ParseError(f.Where("body"),
                     "an apply \"body\" must be a whole object with \"apiVersion\" and \"kind\"");
  auto meta = body.find("metadata");
  if (meta == body.end() || !meta->is_object() || meta->value("name", json()) != json(r.name))
    throw ParseError(f.Where("body"),
                     fmt::format("an apply \"body\" must name the request's object in "
                                 "metadata.name (\"{}\")",
                                 r.name));
}

Request ParseRequest(const YAML::Node& node, const std::string& file) {
  Request r;
  if (!node || node.IsNull()) return r;
  Fields f(
      node, file, "request",
      {"verb", "resource", "namespace", "name", "path", "method", "body", "patch_type",
       "field_manager", "force", "events", "timeout", "headers", "impersonate", "command", "port"});
  std::string verb = f.String("verb", "list");
  auto parsed = ParseVerb(verb);
  if (!parsed)
    throw ParseError(f.Where("verb"),
                     fmt::format("unknown verb \"{}\" (known: list, get, raw, whoami, create, "
                                 "patch, delete, watch, version, exec, port-forward)",
                                 verb));
  r.verb = *parsed;
  r.resource =
      f.OneOf("resource",
              {"pods", "secrets", "serviceaccounts", "configmaps", "namespaces", "events"}, "pods");
  r.ns = f.String("namespace", "default");
  if (r.ns == "inferred") {
    r.inferred_namespace = true;
    r.ns.clear();
  } else if (r.ns == "all" || r.ns.empty()) {
    r.all_namespaces = true;
    r.ns.clear();
  }
  if (r.resource == "namespaces") {
    r.ns.clear();
    r.all_namespaces = false;
    r.inferred_namespace = false;
  }
  r.name = f.String("name");
  r.path = f.String("path");
  r.method = f.OneOf("method", {"GET", "POST", "PUT", "PATCH", "DELETE"}, "GET");
  if (f.Has("body")) r.body = base::YamlToJson(f.Node("body"));
  r.patch_type = f.OneOf("patch_type", {"merge", "strategic", "json", "apply"}, "merge");
  r.field_manager = f.String("field_manager");
  r.force = f.Bool("force", false);
  r.events = static_cast<int>(f.Int("events", 0));
  r.command = f.Strings("command");
  r.port = static_cast<int>(f.Int("port", 0));
  r.timeout_seconds = f.Number("timeout", 0);
  if (f.Has("headers")) {
    YAML::Node h = f.Node("headers");
    if (!h.IsMap()) throw ParseError(f.Where("headers"), "\"headers\" must be a mapping");
    for (const auto& kv : h) r.headers[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  if (f.Has("impersonate")) {
    Fields as(f.Node("impersonate"), file, "impersonate", {"user", "groups", "uid"});
    r.impersonate.user = as.String("user");
    r.impersonate.groups = as.Strings("groups");
    r.impersonate.uid = as.String("uid");
    if (r.impersonate.user.empty())
      throw ParseError(as.Where(), "impersonate needs \"user\" (groups and a uid go with one)");
  }
  bool needs_name = r.verb == Verb::kGet || r.verb == Verb::kPatch || r.verb == Verb::kDelete ||
                    r.verb == Verb::kExec || r.verb == Verb::kPortForward;
  if (needs_name && r.name.empty())
    throw ParseError(f.Where(), fmt::format("verb \"{}\" needs \"name\"", verb));
  if (r.verb == Verb::kRaw && (r.path.empty() || r.path.front() != '/'))
    throw ParseError(f.Where(), "verb \"raw\" needs \"path\" starting with /");
  if ((r.verb == Verb::kCreate || r.verb == Verb::kPatch) && !r.body)
    throw ParseError(f.Where(), fmt::format("verb \"{}\" needs \"body\"", verb));
  if (r.verb == Verb::kWatch && r.events <= 0)
    throw ParseError(f.Where(), "verb \"watch\" needs \"events\" (a positive count)");
  if (r.verb == Verb::kExec && r.command.empty())
    throw ParseError(f.Where(), "verb \"exec\" needs \"command\" (a list: [sh, -c, ...])");
  if (r.verb != Verb::kExec && f.Has("command"))
    throw ParseError(f.Where("command"), "\"command\" is only meaningful with verb exec");
  if (r.verb == Verb::kPortForward && (r.port < 1 || r.port > 65535))
    throw ParseError(f.Where(), "verb \"port-forward\" needs \"port\" (1-65535)");
  if (r.verb != Verb::kPortForward && f.Has("port"))
    throw ParseError(f.Where("port"), "\"port\" is only meaningful with verb port-forward");
  CheckApply(r, f);
  return r;
}

Expectation ParseExpectation(const YAML::Node& node, const std::string& file,
                             const std::string& what, bool allow_skip = false) {
  std::set<std::string> keys{"outcome",  "tls",       "code",         "reason", "message",
                             "items",    "min_items", "user",         "path",   "events",
                             "evidence", "why",       "authenticated"};
  if (allow_skip) keys.insert("skip");
  Fields f(node, file, what, keys);
  Expectation e;
  e.where = f.Where();
  std::string outcome = f.String("outcome");
  if (outcome.empty()) throw ParseError(f.Where(), fmt::format("{} needs \"outcome\"", what));
  auto kind = ParseOutcomeKind(outcome);
  if (!kind)
    throw ParseError(f.Where("outcome"),
                     fmt::format("unknown outcome \"{}\" (known: ok, tls_error, http_error, "
                                 "connect_error, config_error, timeout)",
                                 outcome));
  e.kind = *kind;
  if (f.Has("tls"))
    e.tls =
        f.OneOf("tls", {"unknown_authority", "hostname_mismatch", "expired", "not_yet_valid"}, "");
  if (f.Has("code")) e.code = static_cast<int>(f.Int("code", 0));
  if (f.Has("reason")) e.reason = f.String("reason");
  if (f.Has("message")) e.message = f.String("message");
  if (f.Has("items")) e.items = static_cast<int>(f.Int("items", 0));
  if (f.Has("min_items")) e.min_items = static_cast<int>(f.Int("min_items", 0));
  if (f.Has("user")) e.user = f.String("user");
  if (f.Has("path")) e.path = f.String("path");
  if (f.Has("events")) e.events = static_cast<int>(f.Int("events", 0));
  if (f.Has("authenticated")) e.authenticated = f.Bool("authenticated", false);
  if (f.Has("evidence")) {
    Fields ev(f.Node("evidence"), file, "evidence", {"token_leaked", "client_cert_offered"});
    for (const char* k : {"token_leaked", "client_cert_offered"})
      if (ev.Has(k)) e.evidence[k] = ev.Bool(k, false);
  }
  e.why = f.String("why");
  if (e.tls && e.kind != OutcomeKind::kTlsError)
    throw ParseError(f.Where("tls"), "\"tls\" is only meaningful with outcome tls_error");
  if (e.reason && e.kind != OutcomeKind::kHttpError)
    throw ParseError(f.Where("reason"), "\"reason\" is only meaningful with outcome http_error");
  return e;
}

Scenario ParseScenario(const YAML::Node& node, const std::string& file, const std::string& suite) {
  Fields f(
      node, file, "a scenario",
      {"name", "description", "server", "setup", "access", "request", "expect", "clients", "only"});
  Scenario s;
  s.suite = suite;
  s.where = f.Where();
  s.name = f.String("name");
  if (s.name.empty()) throw ParseError(f.Where(), "a scenario needs \"name\"");
  for (char c : s.name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      throw ParseError(f.Where("name"),
                       fmt::format("scenario name \"{}\" may use only letters, digits, '-', "
                                   "'_' and '.'",
                                   s.name));
  s.description = f.String("description");
  s.server = ParseServer(f.Node("server"), file);
  if (f.Has("setup")) s.setup = ParseSetup(f.Node("setup"), file);
  s.access = ParseAccess(f.Node("access"), file);
  for (const FileSpec* unused : UnusedFiles(s.access))
    throw ParseError(unused->where,
                     fmt::format("scenario \"{}\": file \"{}\" is read by nothing (list it in "
                                 "\"kubeconfigs\", or name it in another file's content as "
                                 "${{WORK}}/files/{} or by a path relative to that file)",
                                 s.name, unused->path, unused->path));
  s.request = ParseRequest(f.Node("request"), file);
  s.expect = ParseExpectation(f.Required("expect"), file, "expect");
  s.only = f.Strings("only");
  for (const auto& c : s.only)
    if (std::find(KnownClients().begin(), KnownClients().end(), c) == KnownClients().end())
      throw ParseError(f.Where("only"), fmt::format("unknown client \"{}\" (known: {})", c,
                                                    fmt::join(KnownClients(), ", ")));
  if (f.Has("clients")) {
    YAML::Node clients = f.Node("clients");
    if (!clients.IsMap())
      throw ParseError(f.Where("clients"), "\"clients\" must map client names to expectations");
    for (const auto& kv : clients) {
      std::string client = KeyText(kv.first, file);
      if (std::find(KnownClients().begin(), KnownClients().end(), client) == KnownClients().end())
        throw ParseError(At(file, kv.first.Mark()),
                         fmt::format("unknown client \"{}\" (known: {})", client,
                                     fmt::join(KnownClients(), ", ")));
      ClientExpectation ce;
      if (kv.second.IsMap() && kv.second["skip"]) {
        Fields sk(kv.second, file, "a client skip", {"skip"});
        ce.skip = sk.String("skip");
        if (ce.skip->empty())
          throw ParseError(sk.Where(), "\"skip\" needs the reason, as a sentence");
      } else {
        ce.expect = ParseExpectation(kv.second, file, "the expectation for " + client);
        if (ce.expect->why.empty())
          throw ParseError(At(file, kv.second.Mark()),
                           fmt::format("the expectation for {} differs from the scenario's: add "
                                       "\"why\" saying why this client differs",
                                       client));
      }
      s.clients[client] = std::move(ce);
    }
  }
  return s;
}

}  // namespace

static Suite ParseSuiteTree(const YAML::Node& root, const std::string& file);

Suite ParseSuite(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = base::LoadYaml(text);
  } catch (const YAML::Exception& e) {
    throw ParseError(At(file, e.mark), e.msg);
  }
  try {
    return ParseSuiteTree(root, file);
  } catch (const YAML::Exception& e) {  // a value of the wrong shape for a conversion
    throw ParseError(At(file, e.mark), e.msg);
  }
}

static Suite ParseSuiteTree(const YAML::Node& root, const std::string& file) {
  Suite suite;
  suite.file = file;
  Fields f(root, file, "a suite file", {"suite", "description", "scenarios"});
  suite.name = f.String("suite", fs::path(file).stem().string());
  suite.description = f.String("description");
  YAML::Node list = f.Required("scenarios");
  if (!list.IsSequence())
    throw ParseError(f.Where("scenarios"), "\"scenarios\" must be a list of scenarios");
  std::set<std::string> names;
  for (const auto& item : list) {
    Scenario s = ParseScenario(item, file, suite.name);
    if (!names.insert(s.name).second)
      throw ParseError(s.where, fmt::format("scenario \"{}\" is defined twice", s.name));
    suite.scenarios.push_back(std::move(s));
  }
  return suite;
}

Suite LoadSuite(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ParseError({file.string(), 0, 0}, "cannot read the file");
  std::stringstream text;
  text << in.rdbuf();
  return ParseSuite(text.str(), file.string());
}

std::vector<fs::path> FindSuiteFiles(const std::vector<fs::path>& paths) {
  std::vector<fs::path> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      throw ParseError({p.string(), 0, 0}, "no such file or folder");
    }
  }
  return out;
}

fs::path BuiltinSuitesDir() {
  if (const char* env = std::getenv("KUBEDOUBLE_SUITES"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path dir : {exe.parent_path().parent_path() / "share/kubedouble/suites"}) {
      if (fs::is_directory(dir, ec)) return dir;
    }
  }
#ifdef KUBEDOUBLE_SCENARIOS_SOURCE_DIR
  fs::path src = fs::path(KUBEDOUBLE_SCENARIOS_SOURCE_DIR) / "suites";
  if (fs::is_directory(src, ec)) return src;
#endif
  return {};
}

}  // namespace kubedouble::scenarios
