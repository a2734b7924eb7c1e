// FieldSet: the path tree of managedFields' FieldsV1.
#include "field_set.h"

namespace kubedouble::fake {

void FieldSet::Insert(const FieldPath& path) {
  FieldSet* node = this;
  for (const auto& e : path) node = &node->children[e];
  node->member = true;
}

const FieldSet* FieldSet::Child(const std::string& element) const {
  auto it = children.find(element);
  return it == children.end() ? nullptr : &it->second;
}

void FieldSet::Union(const FieldSet& other) {
  member = member || other.member;
  for (const auto& [e, sub] : other.children) children[e].Union(sub);
}

FieldSet FieldSet::Difference(const FieldSet& other) const {
  FieldSet out;
  out.member = member && !other.member;
  for (const auto& [e, sub] : children) {
    const FieldSet* o = other.Child(e);
    if (o == nullptr) {
      out.children.emplace(e, sub);
      continue;
    }
    FieldSet d = sub.Difference(*o);
    if (!d.Empty()) out.children.emplace(e, std::move(d));
  }
  return out;
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  out.member = member && other.member;
  for (const auto& [e, sub] : children) {
    const FieldSet* o = other.Child(e);
    if (o == nullptr) continue;
    FieldSet i = sub.Intersection(*o);
    if (!i.Empty()) out.children.emplace(e, std::move(i));
  }
  return out;
}

void FieldSet::ForEachMember(const std::function<void(const FieldPath&)>& f) const {
  FieldPath prefix;
  ForEachMember(prefix, f);
}

void FieldSet::ForEachMember(FieldPath& prefix,
                             const std::function<void(const FieldPath&)>& f) const {
  if (member) f(prefix);
  for (const auto& [e, sub] : children) {
    prefix.push_back(e);
    sub.ForEachMember(prefix, f);
    prefix.pop_back();
  }
}

json FieldSet::ToFieldsV1() const {
  json out = json::object();
  if (member && !children.empty()) out["."] = json::object();
  for (const auto& [e, sub] : children) out[e] = sub.ToFieldsV1();
  return out;
}

std::optional<FieldSet> FieldSet::FromFieldsV1(const json& fields) {
  if (!fields.is_object()) return std::nullopt;
  FieldSet out;
  if (fields.empty()) out.member = true;
  for (const auto& [k, v] : fields.items()) {
    if (k == ".") {
      if (!v.is_object() || !v.empty()) return std::nullopt;
      out.member = true;
      continue;
    }
    if (k.size() < 2 || k[1] != ':' || (k[0] != 'f' && k[0] != 'k' && k[0] != 'v' && k[0] != 'i')) {
      return std::nullopt;
    }
    if (k[0] == 'k' || k[0] == 'v') {
      json parsed = json::parse(k.substr(2), nullptr, false);
      if (parsed.is_discarded() || (k[0] == 'k' && !parsed.is_object())) return std::nullopt;
    }
    auto sub = FromFieldsV1(v);
    if (!sub) return std::nullopt;
    out.children.emplace(k, std::move(*sub));
  }
  return out;
}

std::string FieldSet::PathString(const FieldPath& path) {
  std::string out;
  for (const auto& e : path) {
    const std::string rest = e.size() > 2 ? e.substr(2) : "";
    switch (e.empty() ? 'f' : e[0]) {
      case 'k': {
        out += '[';
        json keys = json::parse(rest, nullptr, false);
        bool first = true;
        if (keys.is_object()) {
          for (const auto& [k, v] : keys.items()) {
            out += (first ? "" : ",") + k + "=" + v.dump();
            first = false;
          }
        }
        out += ']';
        break;
      }
      case 'v':
        out += "[=" + rest + "]";
        break;
      case 'i':
        out += "[" + rest + "]";
        break;
      default:
        out += "." + rest;
    }
  }
  return out;
}

}  // namespace kubedouble::fake
