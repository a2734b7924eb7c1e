#include "objects.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace kubedouble::controlplane {

namespace {
const json kNull;
constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";

uint64_t Fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}
}  // namespace

const json& At(const json& object, const std::string& path) {
  const json* cur = &object;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return kNull;
    auto it = cur->find(part);
    if (it == cur->end()) return kNull;
    cur = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *cur;
}

std::string Str(const json& object, const std::string& path) {
  const json& v = At(object, path);
  return v.is_string() ? v.get<std::string>() : "";
}

int64_t Int(const json& object, const std::string& path, int64_t fallback) {
  const json& v = At(object, path);
  return v.is_number_integer() ? v.get<int64_t>() : fallback;
}

bool MapMatches(const json& selector, const json& labels) {
  if (!selector.is_object()) return true;
  for (const auto& [k, v] : selector.items()) {
    if (!labels.is_object() || !labels.contains(k) || labels[k] != v) return false;
  }
  return true;
}

bool SelectorMatches(const json& selector, const json& labels, bool empty_matches_all) {
  if (!selector.is_object() || selector.empty()) return empty_matches_all;
  const json& match = At(selector, "matchLabels");
  const json& exprs = At(selector, "matchExpressions");
  if ((!match.is_object() || match.empty()) && (!exprs.is_array() || exprs.empty()))
    return empty_matches_all;
  if (!MapMatches(match, labels)) return false;
  if (!exprs.is_array()) return true;
  for (const auto& e : exprs) {
    std::string key = Str(e, "key"), op = Str(e, "operator");
    bool has = labels.is_object() && labels.contains(key);
    bool in = false;
    if (has && At(e, "values").is_array()) {
      for (const auto& v : e["values"]) in = in || v == labels[key];
    }
    if ((op == "In" && !in) || (op == "NotIn" && in) || (op == "Exists" && !has) ||
        (op == "DoesNotExist" && has))
      return false;
  }
  return true;
}

json ControllerRef(const json& owner) {
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", Str(owner, "metadata.name")},
          {"uid", Str(owner, "metadata.uid")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

bool SetCondition(json& conditions, const std::string& type, const std::string& status,
                  const std::string& reason, const std::string& message, const std::string& now,
                  bool probe_time) {
  if (!conditions.is_array()) conditions = json::array();
  for (auto& c : conditions) {
    if (Str(c, "type") != type) continue;
    if (Str(c, "status") == status && Str(c, "reason") == reason && Str(c, "message") == message)
      return false;
    if (Str(c, "status") != status) c["lastTransitionTime"] = now;
    c["status"] = status;
    if (reason.empty())
      c.erase("reason");
    else
      c["reason"] = reason;
    if (message.empty())
      c.erase("message");
    else
      c["message"] = message;
    if (probe_time) c["lastProbeTime"] = now;
    return true;
  }
  json c = {{"type", type}, {"status", status}, {"lastTransitionTime", now}};
  if (probe_time) c["lastProbeTime"] = now;
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  conditions.push_back(std::move(c));
  return true;
}

std::string ConditionStatus(const json& object, const std::string& type) {
  const json& conditions = At(object, "status.conditions");
  if (!conditions.is_array()) return "";
  for (const auto& c : conditions) {
    if (Str(c, "type") == type) return Str(c, "status");
  }
  return "";
}

bool PodTerminating(const json& pod) { return !At(pod, "metadata.deletionTimestamp").is_null(); }

bool PodFinished(const json& pod) {
  std::string phase = Str(pod, "status.phase");
  return phase == "Succeeded" || phase == "Failed";
}

bool PodActive(const json& pod) { return !PodFinished(pod) && !PodTerminating(pod); }

bool PodReady(const json& pod) { return ConditionStatus(pod, "Ready") == "True"; }

double Quantity(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (!value.is_string()) return 0;
  const std::string s = value;
  char* end = nullptr;
  double n = std::strtod(s.c_str(), &end);
  std::string suffix = end ? end : "";
  static const std::pair<const char*, double> kSuffixes[] = {
      {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
      {"m", 1e-3},    {"k", 1e3},        {"M", 1e6},           {"G", 1e9},
      {"T", 1e12},    {"", 1.0}};
  for (const auto& [name, factor] : kSuffixes) {
    if (suffix == name) return n * factor;
  }
  return 0;
}

std::string NameSuffix(const std::string& seed) {
  uint64_t h = Fnv1a(seed);
  std::string out;
  for (int i = 0; i < 5; ++i) {
    out += kAlphabet[h % kAlphabet.size()];
    h /= kAlphabet.size();
  }
  return out;
}

namespace {
// Drops what Go's encoding leaves out or adds without meaning (null, false, 0, "", {} and []),
// so two spellings of one template compare equal, as upstream compares the decoded structs.
void DropZeroes(json& v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      DropZeroes(*it);
      const json& x = *it;
      bool zero = x.is_null() || x == false || (x.is_number() && x == 0) ||
                  (x.is_string() && x.get_ref<const std::string&>().empty()) ||
                  (x.is_object() && x.empty()) || (x.is_array() && x.empty());
      it = zero ? v.erase(it) : std::next(it);
    }
  } else if (v.is_array()) {
    for (auto& x : v) DropZeroes(x);
  }
}
}  // namespace

json WithoutHashLabel(json pod_template) {
  DropZeroes(pod_template);
  if (pod_template.is_object() && pod_template.contains("metadata") &&
      pod_template["metadata"].is_object() && pod_template["metadata"].contains("labels") &&
      pod_template["metadata"]["labels"].is_object()) {
    pod_template["metadata"]["labels"].erase("pod-template-hash");
  }
  return pod_template;
}

std::string TemplateHash(const json& pod_template, int64_t collision_count) {
  std::string text = WithoutHashLabel(pod_template).dump();
  if (collision_count > 0) text += "/" + std::to_string(collision_count);
  // 32 bits, written in decimal, each digit a letter: as upstream spells its hashes.
  uint32_t h = static_cast<uint32_t>(Fnv1a(text) ^ (Fnv1a(text) >> 32));
  std::string out;
  for (char digit : std::to_string(h))
    out += kAlphabet[static_cast<unsigned char>(digit) % kAlphabet.size()];
  return out;
}

}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
std::string Hex64(const std::string& seed) {
  std::string out;
  for (int i = 0; i < 4; ++i) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : seed + "/" + std::to_string(i)) {
      h ^= c;
      h *= 1099511628211ull;
    }
    static const char* kHex = "0123456789abcdef";
    for (int b = 0; b < 16; ++b) out += kHex[(h >> (4 * b)) & 15];
  }
  return out;
}
}  // namespace kubedouble::controlplane

namespace kubedouble::controlplane {
bool Tolerates(const json& tolerations, const json& taint) {
  if (!tolerations.is_array()) return false;
  for (const auto& t : tolerations) {
    std::string effect = Str(t, "effect");
    if (!effect.empty() && effect != Str(taint, "effect")) continue;
    std::string op = Str(t, "operator");
    if (op.empty()) op = "Equal";
    std::string key = Str(t, "key");
    if (key.empty() && op == "Exists") return true;
    if (key != Str(taint, "key")) continue;
    if (op == "Exists" || Str(t, "value") == Str(taint, "value")) return true;
  }
  return false;
}
}  // namespace kubedouble::controlplane
