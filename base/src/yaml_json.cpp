// YAML nodes as JSON: YAML 1.2's core schema for plain scalars, and merge keys.
#include <charconv>
#include <cstdint>

#include "kubedouble/base/yaml_json.h"

namespace kubedouble::base {
namespace {

using json = nlohmann::json;

json Scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return s;  // quoted
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  {
    int64_t v = 0;
    const char* b = s.data();
    const char* e = s.data() + s.size();
    if (*b == '+') ++b;
    auto [p, ec] = std::from_chars(b, e, v);
    if (ec == std::errc() && p == e) return v;
  }
  {
    bool numeric = s.find_first_not_of("0123456789+-.eE") == std::string::npos &&
                   s.find_first_of("0123456789") != std::string::npos;
    if (numeric) {
      double d = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec == std::errc() && p == s.data() + s.size()) return d;
    }
  }
  return s;
}

// `<<` written plainly (a quoted "<<" is an ordinary key), or tagged !!merge.
bool IsMergeKey(const YAML::Node& key) {
  return key.IsScalar() &&
         ((key.Tag() == "?" && key.Scalar() == "<<") || key.Tag() == "tag:yaml.org,2002:merge");
}

// Copies the keys of `from` (a mapping) that `into` does not have yet.
void MergeInto(json& into, const YAML::Node& from) {
  if (!from.IsMap()) {
    throw YAML::ParserException(from.Mark(),
                                "map merge requires map or sequence of maps as the value");
  }
  json merged = YamlToJson(from);
  for (auto& [key, value] : merged.items()) {
    if (!into.contains(key)) into[key] = std::move(value);
  }
}

json Map(const YAML::Node& node) {
  json obj = json::object();
  bool merges = false;
  for (const auto& kv : node) {
    if (IsMergeKey(kv.first)) {
      merges = true;
      continue;
    }
    obj[kv.first.as<std::string>()] = YamlToJson(kv.second);
  }
  if (!merges) return obj;
  // The mapping's own keys win over merged ones; of merged mappings, the first one listed wins.
  for (const auto& kv : node) {
    if (!IsMergeKey(kv.first)) continue;
    if (kv.second.IsSequence()) {
      for (const auto& item : kv.second) MergeInto(obj, item);
    } else {
      MergeInto(obj, kv.second);
    }
  }
  return obj;
}

}  // namespace

json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return Scalar(node);
    case YAML::NodeType::Sequence: {
      json arr = json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Map:
      return Map(node);
  }
  return nullptr;
}

}  // namespace kubedouble::base
