#include "cache.h"

#include <charconv>

namespace kubedouble::controlplane {

namespace {
const std::set<std::string> kNone;

std::string Field(const json& object, const char* a, const char* b) {
  auto o = object.find(a);
  if (o == object.end() || !o->is_object()) return "";
  auto v = o->find(b);
  return v != o->end() && v->is_string() ? v->get<std::string>() : "";
}
}  // namespace

std::string KeyOf(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string KeyOf(const json& object) {
  return KeyOf(Field(object, "metadata", "namespace"), Field(object, "metadata", "name"));
}

int64_t VersionOf(const json& object) {
  std::string rv = Field(object, "metadata", "resourceVersion");
  int64_t n = 0;
  std::from_chars(rv.data(), rv.data() + rv.size(), n);
  return n;
}

std::string ControllerUid(const json& object) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return "";
  auto refs = m->find("ownerReferences");
  if (refs == m->end() || !refs->is_array()) return "";
  for (const auto& r : *refs) {
    if (r.is_object() && r.value("controller", false) && r.contains("uid") && r["uid"].is_string())
      return r["uid"];
  }
  return "";
}

void Cache::Index(const std::string& key, const json& object, bool add) {
  auto apply = [&](std::map<std::string, std::set<std::string>>& index, const std::string& v) {
    if (v.empty()) return;
    if (add) {
      index[v].insert(key);
    } else if (auto it = index.find(v); it != index.end()) {
      it->second.erase(key);
      if (it->second.empty()) index.erase(it);
    }
  };
  apply(by_owner_, ControllerUid(object));
  apply(by_node_, Field(object, "spec", "nodeName"));
}

bool Cache::Put(const json& object) {
  std::string key = KeyOf(object);
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    if (VersionOf(it->second) > VersionOf(object)) return false;
    Index(key, it->second, false);
    it->second = object;
  } else {
    it = objects_.emplace(key, object).first;
  }
  Index(key, it->second, true);
  return true;
}

json Cache::Erase(const std::string& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  json old = std::move(it->second);
  Index(key, old, false);
  objects_.erase(it);
  return old;
}

std::set<std::string> Cache::Replace(json items) {
  std::set<std::string> changed;
  std::map<std::string, json> fresh;
  for (auto& item : items) {
    std::string key = KeyOf(item);
    fresh.emplace(std::move(key), std::move(item));
  }
  for (const auto& [key, old] : objects_) {
    auto it = fresh.find(key);
    if (it == fresh.end() || VersionOf(it->second) != VersionOf(old)) changed.insert(key);
  }
  for (const auto& [key, obj] : fresh) {
    if (!objects_.count(key)) changed.insert(key);
  }
  objects_.clear();
  by_owner_.clear();
  by_node_.clear();
  // Moved in rather than Put: the cache is empty and the keys are distinct.
  for (auto& [key, obj] : fresh)
    Index(key, objects_.emplace(key, std::move(obj)).first->second, true);
  return changed;
}

const json* Cache::Find(const std::string& key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : &it->second;
}

const std::set<std::string>& Cache::OwnedBy(const std::string& uid) const {
  auto it = by_owner_.find(uid);
  return it == by_owner_.end() ? kNone : it->second;
}

const std::set<std::string>& Cache::OnNode(const std::string& node) const {
  auto it = by_node_.find(node);
  return it == by_node_.end() ? kNone : it->second;
}

}  // namespace kubedouble::controlplane
