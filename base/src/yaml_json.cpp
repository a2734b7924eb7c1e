// YAML nodes as JSON: YAML 1.2's core schema for plain scalars, and merge keys.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kubedouble/base/yaml_json.h"

namespace kubedouble::base {
namespace {

using json = nlohmann::json;

bool AllOf(std::string_view s, const char* set) {
  return !s.empty() && s.find_first_not_of(set) == std::string_view::npos;
}

// YAML 1.2 core schema integers: [-+]?[0-9]+, 0o[0-7]+, 0x[0-9a-fA-F]+. nullopt for text of
// another form; a decimal too large for 64 bits is left to the float reading.
std::optional<json> CoreInteger(std::string_view s) {
  auto parse = [](std::string_view digits, int base, bool negative) -> std::optional<json> {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    if (!negative) return v <= INT64_MAX ? json(static_cast<int64_t>(v)) : json(v);
    if (v > uint64_t{1} << 63) return std::nullopt;
    return json(static_cast<int64_t>(uint64_t{0} - v));
  };
  if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && AllOf(s.substr(2), "01234567")) {
    return parse(s.substr(2), 8, false);
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && AllOf(s.substr(2), "0123456789abcdefABCDEF")) {
    return parse(s.substr(2), 16, false);
  }
  const bool negative = s[0] == '-';
  std::string_view digits = s[0] == '-' || s[0] == '+' ? s.substr(1) : s;
  if (!AllOf(digits, "0123456789")) return std::nullopt;
  return parse(digits, 10, negative);
}

// YAML 1.2 core schema floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, plus
// infinities and NaN, which JSON cannot hold (an error, as kube-apiserver's JSON encoder gives).
std::optional<json> CoreFloat(std::string_view s, const YAML::Node& node) {
  std::string_view body = s[0] == '-' || s[0] == '+' ? s.substr(1) : s;
  if (body == ".inf" || body == ".Inf" || body == ".INF" || s == ".nan" || s == ".NaN" ||
      s == ".NAN") {
    throw YAML::ParserException(node.Mark(),
                                "the number " + std::string(s) + " cannot be represented in JSON");
  }
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    return i - from;
  };
  size_t whole = digits(), fraction = 0;
  if (i < body.size() && body[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (whole == 0 && fraction == 0) return std::nullopt;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  // from_chars takes no '+', and reads "1." and ".5" as the schema means them.
  std::string_view number = s[0] == '+' ? s.substr(1) : s;
  double d = 0;
  auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), d);
  if (p != number.data() + number.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    throw YAML::ParserException(node.Mark(),
                                "the number " + std::string(s) + " cannot be represented in JSON");
  }
  return d;
}

json Scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return s;  // quoted
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (auto i = CoreInteger(s)) return *i;
  if (auto f = CoreFloat(s, node)) return *f;
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
