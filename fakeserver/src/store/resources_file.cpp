// The `--resources FILE` loader: extra resources to serve, described in YAML.
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "kubedouble/base/strings.h"
#include "kubedouble/fakeserver/store.h"
#include "validation.h"

namespace kubedouble::fake {
namespace {

std::vector<std::string> StringList(const YAML::Node& node, const std::string& field,
                                    const std::string& where) {
  std::vector<std::string> out;
  if (!node) return out;
  if (!node.IsSequence()) throw std::runtime_error(where + ": " + field + " must be a list");
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      throw std::runtime_error(where + ": " + field + " must be a list of strings");
    }
    out.push_back(item.as<std::string>());
  }
  return out;
}

ResourceInfo ParseEntry(const YAML::Node& e, const std::string& where_prefix) {
  if (!e.IsMap()) throw std::runtime_error(where_prefix + ": must be a map");
  std::string kind = e["kind"] && e["kind"].IsScalar() ? e["kind"].as<std::string>() : "";
  std::string where = where_prefix + (kind.empty() ? "" : " (kind " + kind + ")");
  static const std::vector<std::string> known = {"group",      "version",    "kind",
                                                 "plural",     "singular",   "namespaced",
                                                 "shortNames", "categories", "verbs"};
  for (const auto& kv : e) {
    auto key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      throw std::runtime_error(where + ": unknown field \"" + key + "\"");
    }
  }
  auto scalar = [&](const char* field) -> std::string {
    if (!e[field]) return "";
    if (!e[field].IsScalar()) throw std::runtime_error(where + ": " + field + " must be a string");
    return e[field].as<std::string>();
  };
  ResourceInfo r;
  r.group = scalar("group");
  r.version = scalar("version");
  r.kind = kind;
  if (r.kind.empty()) throw std::runtime_error(where + ": missing required field \"kind\"");
  if (r.version.empty()) throw std::runtime_error(where + ": missing required field \"version\"");
  r.plural = scalar("plural");
  if (r.plural.empty()) r.plural = base::Lower(r.kind) + "s";
  r.singular = scalar("singular");
  if (r.singular.empty()) r.singular = base::Lower(r.kind);
  if (e["namespaced"]) {
    try {
      r.namespaced = e["namespaced"].as<bool>();
    } catch (const YAML::Exception&) {
      throw std::runtime_error(where + ": namespaced must be true or false");
    }
  }
  r.short_names = StringList(e["shortNames"], "shortNames", where);
  r.categories = StringList(e["categories"], "categories", where);
  if (e["verbs"]) r.verbs = StringList(e["verbs"], "verbs", where);
  if (!IsDns1123Label(r.plural)) {
    throw std::runtime_error(where + ": plural \"" + r.plural + "\" is not a lower-case DNS label");
  }
  if (!IsDns1123Label(r.singular)) {
    throw std::runtime_error(where + ": singular \"" + r.singular +
                             "\" is not a lower-case DNS label");
  }
  if (!IsDns1123Label(r.version)) {
    throw std::runtime_error(where + ": version \"" + r.version + "\" is not a valid version");
  }
  if (!r.group.empty() && !IsDns1123Subdomain(r.group)) {
    throw std::runtime_error(where + ": group \"" + r.group + "\" is not a DNS subdomain");
  }
  return r;
}

}  // namespace

std::vector<ResourceInfo> ParseResources(const std::string& yaml_text, const std::string& source) {
  YAML::Node root;
  try {
    root = base::LoadYaml(yaml_text);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(source + ": not valid YAML: " + e.what());
  }
  if (root.IsMap() && root["resources"]) root = root["resources"];
  if (root.IsNull()) return {};
  if (!root.IsSequence()) {
    throw std::runtime_error(source +
                             ": expected a list of resources (or a map with \"resources:\")");
  }
  std::vector<ResourceInfo> out;
  for (size_t i = 0; i < root.size(); ++i) {
    auto r = ParseEntry(root[i], source + ": entry " + std::to_string(i + 1));
    for (const auto& prev : out) {
      if (prev.group == r.group && prev.version == r.version && prev.plural == r.plural) {
        throw std::runtime_error(source + ": entry " + std::to_string(i + 1) + " (kind " + r.kind +
                                 "): resource " + r.plural + " in " + r.ApiVersion() +
                                 " is listed twice");
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ResourceInfo> LoadResourcesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read the resources file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseResources(ss.str(), path);
}

}  // namespace kubedouble::fake
