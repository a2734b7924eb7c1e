// A set of field paths, as server-side apply records who owns what (metadata.managedFields).
//
// A path is a list of elements, each written as in FieldsV1: "f:spec" (a field or map key),
// "k:{\"name\":\"web\"}" (an item of a list keyed by its map keys), "v:\"a\"" (an item of a set)
// and "i:0" (an item by position). The set is a tree: a node may itself be a member (a leaf
// that is owned, or "." in FieldsV1) and has children by element.
//
//   FieldSet s;
//   s.Insert({"f:spec", "f:replicas"});
//   s.ToFieldsV1()   // {"f:spec":{"f:replicas":{}}}
//   FieldSet::PathString({"f:spec", "k:{\"name\":\"web\"}", "f:image"})
//                    // .spec[name="web"].image
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

using FieldPath = std::vector<std::string>;

class FieldSet {
 public:
  bool member = false;                       // the path leading here is in the set
  std::map<std::string, FieldSet> children;  // by path element

  bool Empty() const { return !member && children.empty(); }
  void Insert(const FieldPath& path);
  // The node at `element` below this one (nullptr when absent).
  const FieldSet* Child(const std::string& element) const;
  // Whether the node itself or anything below it is a member.
  bool Owns() const { return !Empty(); }

  void Union(const FieldSet& other);
  FieldSet Difference(const FieldSet& other) const;
  FieldSet Intersection(const FieldSet& other) const;
  bool operator==(const FieldSet& other) const = default;

  // Calls `f` with every member path, in the set's order (elements sorted).
  void ForEachMember(const std::function<void(const FieldPath&)>& f) const;

  // The FieldsV1 JSON form, and back; nullopt when `fields` is not a FieldsV1 tree (a key that
  // is not "." and not one of f:, k:, v:, i:, or a value that is not an object).
  json ToFieldsV1() const;
  static std::optional<FieldSet> FromFieldsV1(const json& fields);

  // A path as server-side apply's conflicts print it: ".spec.replicas",
  // ".spec.containers[name=\"web\"].image", ".metadata.finalizers[=\"a\"]", ".items[0]".
  static std::string PathString(const FieldPath& path);

 private:
  void ForEachMember(FieldPath& prefix, const std::function<void(const FieldPath&)>& f) const;
};

}  // namespace kubedouble::fake
