#include "policy.h"

#include "kubedouble/fakeserver/objects_file.h"

#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <stdexcept>

#include <kubedouble/certs/certs.h>

namespace kubedouble::fake {

extern const char kBootstrapRbacJson[];  // generated from fakeserver/data/bootstrap-rbac.json

namespace {
using nlohmann::json;

constexpr char kRbacApiVersion[] = "rbac.authorization.k8s.io/v1";
constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";

bool IsRbacKind(const std::string& kind) {
  return kind == "Role" || kind == "ClusterRole" || kind == "RoleBinding" ||
         kind == "ClusterRoleBinding";
}

json Subject(const char* kind, const std::string& name) {
  json s = {{"kind", kind}, {"name", name}};
  if (std::string(kind) != "ServiceAccount") s["apiGroup"] = kRbacGroup;
  return s;
}

json ClusterRoleBinding(const std::string& name, const std::string& role, json subjects) {
  return {{"apiVersion", kRbacApiVersion},
          {"kind", "ClusterRoleBinding"},
          {"metadata", {{"name", name}}},
          {"roleRef", {{"apiGroup", kRbacGroup}, {"kind", "ClusterRole"}, {"name", role}}},
          {"subjects", std::move(subjects)}};
}

// The old format's list fields: a string or a list of strings.
std::vector<std::string> Strings(const YAML::Node& node, const std::string& where,
                                 const std::string& field) {
  std::vector<std::string> out;
  if (!node) return out;
  if (node.IsScalar()) return {node.Scalar()};
  if (!node.IsSequence()) {
    throw std::runtime_error(fmt::format("{}: {} must be a list of strings", where, field));
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      throw std::runtime_error(fmt::format("{}: {} must be a list of strings", where, field));
    }
    out.push_back(item.Scalar());
  }
  return out;
}

// One rule of the old format as a ClusterRole and its bindings.
void ConvertOldRule(const YAML::Node& node, int index, const std::string& source,
                    std::vector<json>& out) {
  static const std::vector<std::string> kKnown = {
      "subjects",  "users",     "groups",        "serviceAccounts", "verbs",
      "apiGroups", "resources", "resourceNames", "namespaces",      "nonResourceURLs"};
  std::string where = fmt::format("{}: rule {}", source, index);
  if (!node.IsMap()) throw std::runtime_error(where + ": must be a mapping");
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end()) {
      throw std::runtime_error(fmt::format("{}: unknown field \"{}\"", where, key));
    }
  }
  YAML::Node subjects_node = node["subjects"] ? node["subjects"] : node;
  auto users = Strings(subjects_node["users"], where, "users");
  auto groups = Strings(subjects_node["groups"], where, "groups");
  auto sas = Strings(subjects_node["serviceAccounts"], where, "serviceAccounts");
  auto verbs = Strings(node["verbs"], where, "verbs");
  auto api_groups = Strings(node["apiGroups"], where, "apiGroups");
  auto resources = Strings(node["resources"], where, "resources");
  auto names = Strings(node["resourceNames"], where, "resourceNames");
  auto namespaces = Strings(node["namespaces"], where, "namespaces");
  auto urls = Strings(node["nonResourceURLs"], where, "nonResourceURLs");
  if (users.empty() && groups.empty() && sas.empty()) {
    throw std::runtime_error(where + ": names no subjects (users, groups or serviceAccounts)");
  }
  if (verbs.empty()) throw std::runtime_error(where + ": names no verbs");
  if (resources.empty() && urls.empty()) {
    throw std::runtime_error(where + ": names neither resources nor nonResourceURLs");
  }
  if (!resources.empty() && api_groups.empty()) api_groups = {""};
  json subjects = json::array();
  for (const auto& u : users) subjects.push_back(Subject("User", u));
  for (const auto& g : groups) subjects.push_back(Subject("Group", g));
  for (const auto& sa : sas) {
    auto cut = sa.find_first_of("/:");
    if (cut == std::string::npos) {
      throw std::runtime_error(
          fmt::format("{}: service account \"{}\" must be NAMESPACE/NAME", where, sa));
    }
    json s = Subject("ServiceAccount", sa.substr(cut + 1));
    s["namespace"] = sa.substr(0, cut);
    subjects.push_back(std::move(s));
  }
  std::string name = fmt::format("kubedouble:policy:rule-{}", index);
  json rules = json::array();
  if (!resources.empty()) {
    json r = {{"verbs", verbs}, {"apiGroups", api_groups}, {"resources", resources}};
    if (!names.empty()) r["resourceNames"] = names;
    rules.push_back(std::move(r));
  }
  if (!urls.empty()) rules.push_back({{"verbs", verbs}, {"nonResourceURLs", urls}});
  out.push_back({{"apiVersion", kRbacApiVersion},
                 {"kind", "ClusterRole"},
                 {"metadata", {{"name", name}}},
                 {"rules", std::move(rules)}});
  if (namespaces.empty() ||
      std::find(namespaces.begin(), namespaces.end(), "*") != namespaces.end()) {
    out.push_back(ClusterRoleBinding(name, name, std::move(subjects)));
    return;
  }
  for (const auto& ns : namespaces) {
    out.push_back({{"apiVersion", kRbacApiVersion},
                   {"kind", "RoleBinding"},
                   {"metadata", {{"name", name}, {"namespace", ns}}},
                   {"roleRef", {{"apiGroup", kRbacGroup}, {"kind", "ClusterRole"}, {"name", name}}},
                   {"subjects", subjects}});
  }
}

void AddManifest(json object, const std::string& where, std::vector<json>& out) {
  if (!object.is_object()) throw std::runtime_error(where + ": expected an object (a mapping)");
  std::string kind = object.value("kind", "");
  if (kind == "List" && object.contains("items") && object["items"].is_array()) {
    int i = 0;
    for (auto& item : object["items"]) {
      AddManifest(std::move(item), fmt::format("{}, item {}", where, ++i), out);
    }
    return;
  }
  if (!IsRbacKind(kind)) {
    throw std::runtime_error(
        fmt::format("{}: kind \"{}\" is not an RBAC kind (Role, ClusterRole, RoleBinding, "
                    "ClusterRoleBinding)",
                    where, kind));
  }
  if (object.value("apiVersion", "") != kRbacApiVersion) {
    throw std::runtime_error(
        fmt::format("{}: apiVersion must be {} for {}", where, kRbacApiVersion, kind));
  }
  out.push_back(std::move(object));
}
}  // namespace

std::vector<json> BootstrapRbacObjects() {
  // Parsed for each call (a start, an admin reset) and moved out: no copy kept for the process.
  json bootstrap = json::parse(kBootstrapRbacJson);
  std::vector<json> out;
  for (const char* list : {"clusterRoles", "clusterRoleBindings", "roles", "roleBindings"}) {
    for (auto& o : bootstrap.at(list)) out.push_back(std::move(o));
  }
  out.push_back(
      {{"apiVersion", kRbacApiVersion},
       {"kind", "ClusterRole"},
       {"metadata", {{"name", "kubedouble:discovery"}}},
       {"rules",
        {{{"verbs", {"get"}},
          {"nonResourceURLs",
           {"/api", "/api/*", "/apis", "/apis/*", "/version", "/version/", "/healthz", "/healthz/*",
            "/livez", "/livez/*", "/readyz", "/readyz/*", "/openapi", "/openapi/*"}}}}}});
  out.push_back(ClusterRoleBinding(
      "kubedouble:discovery", "kubedouble:discovery",
      {Subject("Group", "system:authenticated"), Subject("Group", "system:unauthenticated")}));
  return out;
}

std::vector<json> ParsePolicy(const std::string& text, const std::string& source,
                              std::string* deprecation) {
  std::vector<YAML::Node> docs;
  try {
    docs = base::LoadAllYaml(text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(
        fmt::format("{}: line {}: not valid YAML: {}", source, e.mark.line + 1, e.msg));
  }
  std::vector<json> out;
  // The old format: one document, a `rules:` map without a kind, or a bare list of rules.
  if (docs.size() == 1 && docs[0] &&
      ((docs[0].IsMap() && !docs[0]["kind"] && docs[0]["rules"]) || docs[0].IsSequence())) {
    YAML::Node list = docs[0].IsMap() ? docs[0]["rules"] : docs[0];
    if (!list.IsSequence()) {
      throw std::runtime_error(fmt::format("{}: expected a top-level \"rules:\" list", source));
    }
    int index = 0;
    for (const auto& node : list) ConvertOldRule(node, ++index, source, out);
    if (deprecation) {
      *deprecation = fmt::format(
          "warning: {}: the \"rules:\" policy format is deprecated; write RBAC manifests "
          "(Role, ClusterRole, RoleBinding, ClusterRoleBinding) instead — each rule is now a "
          "ClusterRole kubedouble:policy:rule-N with its binding",
          source);
    }
    return out;
  }
  int n = 0;
  for (const auto& doc : docs) {
    ++n;
    if (!doc || doc.IsNull()) continue;
    std::string where = fmt::format("{}: document {}", source, n);
    json object;
    try {
      object = base::YamlToJson(doc);
    } catch (const YAML::Exception& e) {
      throw std::runtime_error(fmt::format("{}: line {}: {}", where, e.mark.line + 1, e.msg));
    }
    AddManifest(std::move(object), where, out);
  }
  return out;
}

std::vector<SourcedObject> LoadPolicyObjects(const std::filesystem::path& path,
                                             std::string* deprecation) {
  std::string text;
  try {
    text = certs::ReadFile(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("cannot read the policy file {}: {}", path.string(), e.what()));
  }
  std::vector<SourcedObject> out;
  for (auto& object : ParsePolicy(text, path.string(), deprecation)) {
    out.push_back({std::move(object), "policy " + path.string()});
  }
  return out;
}

std::vector<SourcedObject> PolicyObjects(const json& policy, const std::string& source,
                                         std::string* deprecation) {
  std::vector<SourcedObject> out;
  for (auto& object : ParsePolicy(policy.dump(), source, deprecation)) {
    out.push_back({std::move(object), source});
  }
  return out;
}

}  // namespace kubedouble::fake
