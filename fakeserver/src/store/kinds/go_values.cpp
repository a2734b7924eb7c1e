// Values as Go's %#v prints them in upstream's messages, and label selector matching.
#include <algorithm>
#include <vector>

#include "kind_validation.h"

namespace kubedouble::fake::kinds {
namespace {

std::string Quoted(const json& v) { return v.is_string() ? v.dump() : json(v.dump()).dump(); }

std::vector<std::string> Strings(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const auto& v : list) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace

std::string GoStrings(const json& list) {
  if (!list.is_array()) return "[]string(nil)";
  std::string s = "[]string{";
  for (size_t i = 0; i < list.size(); ++i) s += (i ? ", " : "") + Quoted(list[i]);
  return s + "}";
}

std::string GoStringMap(const json& map) {
  if (!map.is_object()) return "map[string]string(nil)";
  std::string s = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : map.items()) {  // nlohmann keeps keys sorted, as Go prints them
    s += (first ? "" : ", ") + json(k).dump() + ":" + Quoted(v);
    first = false;
  }
  return s + "}";
}

std::string GoLabelSelector(const json& selector) {
  const json sel = selector.is_object() ? selector : json::object();
  std::string s = "v1.LabelSelector{MatchLabels:" +
                  GoStringMap(sel.contains("matchLabels") ? sel["matchLabels"] : json()) +
                  ", MatchExpressions:";
  const json exprs = sel.value("matchExpressions", json());
  if (!exprs.is_array()) return s + "[]v1.LabelSelectorRequirement(nil)}";
  s += "[]v1.LabelSelectorRequirement{";
  for (size_t i = 0; i < exprs.size(); ++i) {
    const json e = exprs[i].is_object() ? exprs[i] : json::object();
    s += (i ? ", " : "") + std::string("v1.LabelSelectorRequirement{Key:") +
         Quoted(e.value("key", "")) + ", Operator:" + Quoted(e.value("operator", "")) +
         ", Values:" + GoStrings(e.value("values", json())) + "}";
  }
  return s + "}}";
}

bool SelectorMatches(const json& selector, const json& labels) {
  static const json kNone = json::object();
  const json& have = labels.is_object() ? labels : kNone;
  if (!selector.is_object()) return true;
  if (selector.contains("matchLabels") && selector["matchLabels"].is_object()) {
    for (const auto& [k, v] : selector["matchLabels"].items()) {
      if (!have.contains(k) || have[k] != v) return false;
    }
  }
  if (!selector.contains("matchExpressions") || !selector["matchExpressions"].is_array()) {
    return true;
  }
  for (const auto& e : selector["matchExpressions"]) {
    if (!e.is_object()) continue;
    const std::string key = e.value("key", "");
    const std::string op = e.value("operator", "");
    const auto values = Strings(e.value("values", json()));
    const bool present = have.contains(key);
    const std::string value = present && have[key].is_string() ? have[key].get<std::string>() : "";
    const bool in = present && std::find(values.begin(), values.end(), value) != values.end();
    if (op == "In" && !in) return false;
    if (op == "NotIn" && in) return false;
    if (op == "Exists" && !present) return false;
    if (op == "DoesNotExist" && present) return false;
  }
  return true;
}

}  // namespace kubedouble::fake::kinds
