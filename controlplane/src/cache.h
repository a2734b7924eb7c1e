// The control plane's copy of one resource: every object by "namespace/name", kept current from
// a list and the watch after it (an informer's store), with the two lookups the controllers need
// — objects by controlling owner uid, and pods by node.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace kubedouble::controlplane {

using json = nlohmann::json;

// "ns/name" ("/name" for cluster-scoped objects).
std::string KeyOf(const json& object);
std::string KeyOf(const std::string& ns, const std::string& name);
// The resourceVersion of `object` as a number (0 when absent or not a number).
int64_t VersionOf(const json& object);
// The uid of the ownerReference with controller: true ("" when none).
std::string ControllerUid(const json& object);

class Cache {
 public:
  // Stores `object` unless the copy held is newer (a late watch event after our own write).
  // Returns whether it was stored.
  bool Put(const json& object);
  // Forgets `key`. Returns the object that was held (null if none).
  json Erase(const std::string& key);
  // Replaces everything (a fresh list, its items moved in). Returns the keys that changed or
  // disappeared.
  std::set<std::string> Replace(json items);

  const json* Find(const std::string& key) const;
  const std::map<std::string, json>& all() const { return objects_; }
  // Keys of the objects whose controlling owner has uid `uid`.
  const std::set<std::string>& OwnedBy(const std::string& uid) const;
  // Keys of the objects with spec.nodeName `node`.
  const std::set<std::string>& OnNode(const std::string& node) const;

 private:
  void Index(const std::string& key, const json& object, bool add);
  std::map<std::string, json> objects_;
  std::map<std::string, std::set<std::string>> by_owner_, by_node_;
};

}  // namespace kubedouble::controlplane
