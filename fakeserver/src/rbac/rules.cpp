#include "rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

namespace kubedouble::fake {

namespace {
using nlohmann::json;

bool Has(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool HasAll(const std::vector<std::string>& list, const std::vector<std::string>& wanted) {
  return std::all_of(wanted.begin(), wanted.end(),
                     [&](const std::string& w) { return Has(list, w); });
}

std::vector<std::string> Strings(const json& j, const char* field) {
  std::vector<std::string> out;
  auto it = j.find(field);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool UrlMatches(const std::string& pattern, const std::string& path) {
  if (pattern == "*" || pattern == path) return true;
  return !pattern.empty() && pattern.back() == '*' &&
         path.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
}

// Whether one of `owned` covers the resource `wanted` ("pods", "pods/log").
bool ResourceCovered(const std::vector<std::string>& owned, const std::string& wanted) {
  if (Has(owned, "*") || Has(owned, wanted)) return true;
  auto slash = wanted.find('/');
  return slash != std::string::npos && Has(owned, "*/" + wanted.substr(slash + 1));
}
}  // namespace

std::string GoQuotedList(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ' ';
    out += json(list[i]).dump();
  }
  return out + "]";
}

Rule Rule::FromJson(const json& j) {
  Rule r;
  if (!j.is_object()) return r;
  r.verbs = Strings(j, "verbs");
  r.api_groups = Strings(j, "apiGroups");
  r.resources = Strings(j, "resources");
  r.resource_names = Strings(j, "resourceNames");
  r.non_resource_urls = Strings(j, "nonResourceURLs");
  return r;
}

json Rule::ToJson() const {
  json j = {{"verbs", verbs}};
  if (!api_groups.empty()) j["apiGroups"] = api_groups;
  if (!resources.empty()) j["resources"] = resources;
  if (!resource_names.empty()) j["resourceNames"] = resource_names;
  if (!non_resource_urls.empty()) j["nonResourceURLs"] = non_resource_urls;
  return j;
}

std::string Rule::CompactString() const {
  std::vector<std::string> parts;
  if (!api_groups.empty()) parts.push_back("APIGroups:" + GoQuotedList(api_groups));
  if (!resources.empty()) parts.push_back("Resources:" + GoQuotedList(resources));
  if (!non_resource_urls.empty()) {
    parts.push_back("NonResourceURLs:" + GoQuotedList(non_resource_urls));
  }
  if (!resource_names.empty()) parts.push_back("ResourceNames:" + GoQuotedList(resource_names));
  if (!verbs.empty()) parts.push_back("Verbs:" + GoQuotedList(verbs));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

std::vector<Rule> RulesFromJson(const json& list) {
  std::vector<Rule> out;
  if (!list.is_array()) return out;
  for (const auto& r : list) out.push_back(Rule::FromJson(r));
  return out;
}

bool RuleAllows(const Rule& rule, const RuleRequest& q) {
  static const std::string kAll = "*";
  if (!q.resource_request) {
    if (!Has(rule.verbs, q.verb) && !Has(rule.verbs, kAll)) return false;
    return std::any_of(rule.non_resource_urls.begin(), rule.non_resource_urls.end(),
                       [&](const std::string& u) { return UrlMatches(u, q.path); });
  }
  // The group first: it tells most rules apart (and a URL rule has none).
  if (!Has(rule.api_groups, q.api_group) && !Has(rule.api_groups, kAll)) return false;
  if (!Has(rule.verbs, q.verb) && !Has(rule.verbs, kAll)) return false;
  bool resource = false;
  for (const auto& r : rule.resources) {
    if (r == kAll) {
      resource = true;
    } else if (q.subresource.empty()) {
      resource = r == q.resource;
    } else {
      resource = (r.size() == q.resource.size() + 1 + q.subresource.size() &&
                  r.compare(0, q.resource.size(), q.resource) == 0 && r[q.resource.size()] == '/' &&
                  r.compare(q.resource.size() + 1, std::string::npos, q.subresource) == 0) ||
                 (r.size() == q.subresource.size() + 2 && r.starts_with("*/") &&
                  r.compare(2, std::string::npos, q.subresource) == 0);
    }
    if (resource) break;
  }
  if (!resource) return false;
  return rule.resource_names.empty() || Has(rule.resource_names, q.name);
}

std::vector<Rule> BreakdownRule(const Rule& rule) {
  std::vector<Rule> out;
  for (const auto& group : rule.api_groups) {
    for (const auto& resource : rule.resources) {
      for (const auto& verb : rule.verbs) {
        if (rule.resource_names.empty()) {
          out.push_back(Rule{{verb}, {group}, {resource}, {}, {}});
        }
        for (const auto& name : rule.resource_names) {
          out.push_back(Rule{{verb}, {group}, {resource}, {name}, {}});
        }
      }
    }
  }
  for (const auto& url : rule.non_resource_urls) {
    for (const auto& verb : rule.verbs) out.push_back(Rule{{verb}, {}, {}, {}, {url}});
  }
  return out;
}

bool RuleCovers(const Rule& owner, const Rule& sub) {
  if (!Has(owner.verbs, "*") && !HasAll(owner.verbs, sub.verbs)) return false;
  if (!Has(owner.api_groups, "*") && !HasAll(owner.api_groups, sub.api_groups)) return false;
  for (const auto& r : sub.resources) {
    if (!ResourceCovered(owner.resources, r)) return false;
  }
  for (const auto& url : sub.non_resource_urls) {
    if (std::none_of(owner.non_resource_urls.begin(), owner.non_resource_urls.end(),
                     [&](const std::string& u) { return UrlMatches(u, url); })) {
      return false;
    }
  }
  if (owner.resource_names.empty()) return true;
  return !sub.resource_names.empty() && HasAll(owner.resource_names, sub.resource_names);
}

std::vector<Rule> MissingRules(const std::vector<Rule>& owned, const std::vector<Rule>& wanted) {
  std::vector<Rule> out;
  // Single-resource rules of one group, resource and name take each other's verbs.
  std::map<std::tuple<std::string, std::string, std::string>, size_t> simple;
  for (const auto& rule : wanted) {
    for (auto& sub : BreakdownRule(rule)) {
      bool covered = std::any_of(owned.begin(), owned.end(),
                                 [&](const Rule& o) { return RuleCovers(o, sub); });
      if (covered) continue;
      if (sub.non_resource_urls.empty()) {
        auto key = std::make_tuple(sub.api_groups[0], sub.resources[0],
                                   sub.resource_names.empty() ? "" : "/" + sub.resource_names[0]);
        auto [it, added] = simple.emplace(key, out.size());
        if (!added) {
          out[it->second].verbs.push_back(sub.verbs[0]);
          continue;
        }
      }
      out.push_back(std::move(sub));
    }
  }
  return out;
}

}  // namespace kubedouble::fake
