// PATCH: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch.
#include <algorithm>
#include <map>
#include <set>

#include "kubedouble/schema/types.h"
#include "store_core.h"

namespace kubedouble::fake {
namespace {

const std::string kSetOrder = "$setElementOrder/";
const std::string kDeleteFromPrimitive = "$deleteFromPrimitiveList/";

bool IsDirective(const std::string& key) {
  return key == "$patch" || key == "$retainKeys" || key.rfind(kSetOrder, 0) == 0 ||
         key.rfind(kDeleteFromPrimitive, 0) == 0;
}

// The schema's facts for the fields of a strategic merge patch: the object type being merged
// (nullptr where the schema knows none: custom resources, free-form fields), and per list field
// its patch strategy and merge key (x-kubernetes-patch-strategy, -merge-key).
using Type = const schema::ObjectType*;

const schema::ObjectField* FieldOf(Type type, const std::string& name) {
  return type ? type->Field(name) : nullptr;
}

Type ObjectOf(const schema::ObjectField* f) {
  return f ? schema::ObjectTypeAt(f->object) : nullptr;
}

// The merge key of a list field; empty: the list is replaced (or, for primitives, merged as a set).
std::string MergeKey(const schema::ObjectField* f) {
  return f && f->MergesList() ? std::string(f->patch_merge_key) : "";
}

bool MergesPrimitives(const schema::ObjectField* f) {
  return f && f->MergesList() && f->patch_merge_key.empty();
}

// A patch value with its directives removed, as it lands in the result.
json Strip(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (auto& [k, x] : v.items()) {
      if (IsDirective(k) || x.is_null()) continue;
      out[k] = Strip(x);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& x : v) {
      if (x.is_object() && x.contains("$patch") && x.size() == 1) continue;
      out.push_back(Strip(x));
    }
    return out;
  }
  return v;
}

json MergeList(json orig, const json& patch, const schema::ObjectField* field);

// Merges a map of object type `type`; returns null when the patch says `$patch: delete`.
json MergeMap(json orig, const json& patch, Type type) {
  if (!orig.is_object()) orig = json::object();
  if (patch.contains("$patch")) {
    std::string d = patch["$patch"].is_string() ? patch["$patch"].get<std::string>() : "";
    if (d == "replace") return Strip(patch);
    if (d == "delete") return nullptr;
    if (d != "merge") {
      throw StatusError::BadRequest("unknown patch directive \"$patch: " + patch["$patch"].dump() +
                                    "\" (use replace, delete or merge)");
    }
  }
  std::map<std::string, json> orders;
  for (auto& [k, v] : patch.items()) {
    if (k.rfind(kSetOrder, 0) == 0) {
      orders[k.substr(kSetOrder.size())] = v;
      continue;
    }
    if (k.rfind(kDeleteFromPrimitive, 0) == 0) {
      auto f = k.substr(kDeleteFromPrimitive.size());
      if (orig.contains(f) && orig[f].is_array() && v.is_array()) {
        json kept = json::array();
        for (const auto& x : orig[f]) {
          if (std::find(v.begin(), v.end(), x) == v.end()) kept.push_back(x);
        }
        orig[f] = kept;
      }
      continue;
    }
    if (IsDirective(k)) continue;
    if (v.is_null()) {
      orig.erase(k);
    } else if (v.is_object()) {
      json merged =
          MergeMap(orig.contains(k) ? orig[k] : json::object(), v, ObjectOf(FieldOf(type, k)));
      if (merged.is_null()) {
        orig.erase(k);
      } else {
        orig[k] = std::move(merged);
      }
    } else if (v.is_array()) {
      orig[k] = MergeList(orig.contains(k) ? orig[k] : json::array(), v, FieldOf(type, k));
    } else {
      orig[k] = v;
    }
  }
  for (auto& entry : orders) {
    const auto& f = entry.first;
    auto& order = entry.second;  // not a structured binding: clang 14 cannot capture those
    if (!orig.contains(f) || !orig[f].is_array() || !order.is_array()) continue;
    json& list = orig[f];
    std::string key = MergeKey(FieldOf(type, f));
    auto rank = [&](const json& item) -> size_t {
      for (size_t i = 0; i < order.size(); ++i) {
        if (key.empty() ? order[i] == item
                        : (item.is_object() && order[i].is_object() && item.contains(key) &&
                           order[i].contains(key) && order[i][key] == item[key])) {
          return i;
        }
      }
      return order.size();
    };
    std::vector<json> items(list.begin(), list.end());
    std::stable_sort(items.begin(), items.end(),
                     [&](const json& a, const json& b) { return rank(a) < rank(b); });
    list = json(items);
  }
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    const json& keep = patch["$retainKeys"];
    for (auto it = orig.begin(); it != orig.end();) {
      if (std::find(keep.begin(), keep.end(), it.key()) == keep.end()) {
        it = orig.erase(it);
      } else {
        ++it;
      }
    }
  }
  return orig;
}

json MergeList(json orig, const json& patch, const schema::ObjectField* field) {
  for (const auto& item : patch) {
    if (item.is_object() && item.value("$patch", "") == "replace") return Strip(patch);
  }
  std::string key = MergeKey(field);
  if (key.empty()) {
    if (!MergesPrimitives(field) || !orig.is_array()) return Strip(patch);
    for (const auto& v : patch) {
      if (std::find(orig.begin(), orig.end(), v) == orig.end()) orig.push_back(v);
    }
    return orig;
  }
  if (!orig.is_array()) orig = json::array();
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      orig.push_back(Strip(item));
      continue;
    }
    auto match = std::find_if(orig.begin(), orig.end(), [&](const json& o) {
      return o.is_object() && o.contains(key) && o[key] == item[key];
    });
    if (item.value("$patch", "") == "delete") {
      orig.erase(std::remove_if(orig.begin(), orig.end(),
                                [&](const json& o) {
                                  return o.is_object() && o.contains(key) && o[key] == item[key];
                                }),
                 orig.end());
      continue;
    }
    if (match == orig.end()) {
      orig.push_back(Strip(item));
    } else {
      *match = MergeMap(*match, item, ObjectOf(field));
    }
  }
  return orig;
}

// The object type of a stored object, from its apiVersion and kind.
Type TypeOfObject(const json& object) {
  if (!object.is_object()) return nullptr;
  std::string api_version = object.value("apiVersion", "");
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  return schema::FindKindType(group, version, object.value("kind", ""));
}

// nlohmann's messages start with "[json.exception.type.N] "; keep what follows.
std::string Plain(const std::string& what) {
  auto p = what.find("] ");
  return p == std::string::npos ? what : what.substr(p + 2);
}

}  // namespace

std::optional<PatchType> ParsePatchType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "application/merge-patch+json") return PatchType::kMerge;
  if (t == "application/json-patch+json") return PatchType::kJson;
  if (t == "application/strategic-merge-patch+json") return PatchType::kStrategicMerge;
  // apply-patch+cbor is behind a feature gate 1.32 leaves off: an unknown type, as there.
  if (t == "application/apply-patch+yaml") return PatchType::kApply;
  return std::nullopt;
}

json ApplyPatch(const json& original, PatchType type, const std::string& body) {
  json p;
  try {
    p = json::parse(body);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1e999
    throw StatusError::BadRequest("error decoding patch: " + Plain(e.what()));
  }
  switch (type) {
    case PatchType::kMerge: {
      if (!p.is_object()) {
        throw StatusError::BadRequest("error decoding patch: a merge patch must be a JSON object");
      }
      json out = original;
      out.merge_patch(p);
      return out;
    }
    case PatchType::kJson:
      if (!p.is_array()) {
        throw StatusError::BadRequest(
            "error decoding patch: a JSON patch must be a list of operations");
      }
      try {
        return original.patch(p);
      } catch (const json::exception& e) {
        throw StatusError(422, "Invalid",
                          "the JSON patch could not be applied: " + Plain(e.what()));
      }
    case PatchType::kStrategicMerge:
      if (!p.is_object()) {
        throw StatusError::BadRequest(
            "error decoding patch: a strategic merge patch must be a JSON object");
      }
      return MergeMap(original, p, TypeOfObject(original));
    case PatchType::kApply:
      break;
  }
  throw StatusError::UnsupportedMediaType("server-side apply is not supported by kubedouble");
}

}  // namespace kubedouble::fake
