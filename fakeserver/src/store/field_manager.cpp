// The field manager: managedFields on every write, and server-side apply.
// Over 600 lines: both halves are one algorithm (structured-merge-diff's field sets over the
// same merge shapes), and the walkers they share (Collect, Diff, MergeInto, Prune) would
// otherwise need a header of their own for this file's use only.
#include "field_manager.h"

#include <kubedouble/base/compact_json.h>

#include <algorithm>
#include <map>
#include <set>

namespace kubedouble::fake {
namespace {

using Kind = MergeShape::Kind;

// Where a walk is: the root and metadata have fields the server owns, never tracked.
enum class Level { kRoot, kMeta, kOther };

bool ServerOwned(Level level, const std::string& key) {
  if (level == Level::kRoot) return key == "apiVersion" || key == "kind";
  if (level != Level::kMeta) return false;
  static const std::set<std::string> kMeta = {"name",
                                              "namespace",
                                              "creationTimestamp",
                                              "selfLink",
                                              "uid",
                                              "generation",
                                              "managedFields",
                                              "resourceVersion",
                                              "clusterName",
                                              "deletionTimestamp",
                                              "deletionGracePeriodSeconds"};
  return kMeta.count(key) > 0;
}

Level Below(Level level, const std::string& key) {
  return level == Level::kRoot && key == "metadata" ? Level::kMeta : Level::kOther;
}

bool IsContainer(Kind k) { return k == Kind::kStruct || k == Kind::kMap; }

bool EmptyValue(const json* v) {
  return v == nullptr || v->is_null() || ((v->is_object() || v->is_array()) && v->empty());
}

// The path element of item `index` of a set or keyed list; nullopt when a keyed item lacks a key.
std::optional<std::string> ItemElement(const MergeShape& list, const json& item, size_t index) {
  switch (list.list_type()) {
    case MergeShape::ListType::kSet: {
      std::string out = "v:";
      base::AppendCompactJson(out, item);
      return out;
    }
    case MergeShape::ListType::kMap: {
      if (!item.is_object()) return std::nullopt;
      // The keys as a JSON object would print them (sorted by name), written straight into the
      // element rather than through a json object built for it.
      static const json kTcp = "TCP";  // the schema's default for the ports lists' second key
      std::vector<std::pair<const std::string*, const json*>> keys;
      keys.reserve(list.keys().size());
      for (const auto& k : list.keys()) {
        auto it = item.find(k);
        if (it != item.end() && !it->is_null()) {
          keys.emplace_back(&k, &*it);
        } else if (k == "protocol") {
          keys.emplace_back(&k, &kTcp);
        } else {
          return std::nullopt;
        }
      }
      std::sort(keys.begin(), keys.end(),
                [](const auto& a, const auto& b) { return *a.first < *b.first; });
      std::string out = "k:{";
      const std::string* last = nullptr;
      for (const auto& [k, v] : keys) {
        if (last != nullptr && *last == *k) continue;  // a key named twice prints once
        if (last != nullptr) out += ',';
        base::AppendCompactJsonString(out, *k);
        out += ':';
        base::AppendCompactJson(out, *v);
        last = k;
      }
      out += '}';
      return out;
    }
    case MergeShape::ListType::kAtomic:
      break;
  }
  return "i:" + std::to_string(index);
}

// The items of a list by path element, in order (an item without its key goes by position).
std::vector<std::pair<std::string, const json*>> Items(const MergeShape& list, const json& v) {
  std::vector<std::pair<std::string, const json*>> out;
  if (!v.is_array()) return out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    auto e = ItemElement(list, v[i], i);
    out.emplace_back(e ? *e : "i:" + std::to_string(i), &v[i]);
  }
  return out;
}

void Collect(const json& v, const MergeShape& s, Level level, FieldPath& path, FieldSet& out) {
  const Kind kind = s.KindOf(v);
  if (level == Level::kOther && (kind == Kind::kScalar || s.Atomic(v))) {
    out.Insert(path);
    return;
  }
  if (IsContainer(kind)) {
    for (const auto& [k, x] : v.items()) {
      if (ServerOwned(level, k)) continue;
      path.push_back("f:" + k);
      Collect(x, s.Field(k), Below(level, k), path, out);
      path.pop_back();
    }
    return;
  }
  if (kind != Kind::kList) return;
  const MergeShape item = s.Item();
  for (size_t i = 0; i < v.size(); ++i) {
    auto e = ItemElement(s, v[i], i);
    if (!e) {
      throw StatusError(422, "Invalid",
                        "associative list with keys has an element that omits key field \"" +
                            (s.keys().empty() ? std::string() : s.keys().front()) + "\" (at " +
                            FieldSet::PathString(path) + ")");
    }
    path.push_back(*e);
    out.Insert(path);
    Collect(v[i], item, Level::kOther, path, out);
    path.pop_back();
  }
}

// A place in the three sets of a comparison, their nodes made on first use (most places of a
// compared object hold no change).
struct Cursor {
  const Cursor* parent;
  const std::string* element;
  FieldChanges* changes;
  mutable FieldSet* nodes[3] = {nullptr, nullptr, nullptr};
  FieldSet& Node(int which) const {
    if (nodes[which] == nullptr) {
      if (parent == nullptr) {
        FieldSet* roots[3] = {&changes->added, &changes->modified, &changes->removed};
        nodes[which] = roots[which];
      } else {
        nodes[which] = &parent->Node(which).children[*element];
      }
    }
    return *nodes[which];
  }
  void Mark(int which) const { Node(which).member = true; }
};
enum { kAdded = 0, kModified = 1, kRemoved = 2 };

void Diff(const json* l, const json* r, const MergeShape& s, Level level, const Cursor& at) {
  if (l != nullptr && r != nullptr && *l == *r) return;
  const json& any = r != nullptr ? *r : *l;
  const Kind kind = s.KindOf(any);
  bool leaf = level == Level::kOther &&
              (kind == Kind::kScalar || s.Atomic(any) || (l && r && s.KindOf(*l) != kind));
  // Two empty (or null) values are compared as one value, as upstream keeps empty and null apart.
  if (!leaf && level == Level::kOther && EmptyValue(l) && EmptyValue(r)) leaf = true;
  if (leaf) {
    at.Mark(l == nullptr ? kAdded : r == nullptr ? kRemoved : kModified);
    return;
  }
  if (level == Level::kOther) {
    // A map or list that appears is the writer's; a structure (always there in Go's encoding)
    // and a required field are not.
    if (l == nullptr && kind != Kind::kStruct && !s.required()) at.Mark(kAdded);
    if (r == nullptr) at.Mark(kRemoved);
  }
  std::string element;
  if (IsContainer(kind)) {
    const json* lo = l != nullptr && l->is_object() ? l : nullptr;
    const json* ro = r != nullptr && r->is_object() ? r : nullptr;
    auto visit = [&](const std::string& k, const json* lx, const json* rx) {
      element.assign("f:").append(k);
      Cursor child{&at, &element, at.changes};
      Diff(lx, rx, s.Field(k), Below(level, k), child);
    };
    if (lo != nullptr) {
      for (const auto& [k, x] : lo->items()) {
        if (ServerOwned(level, k)) continue;
        const json* rx = nullptr;
        if (ro != nullptr) {
          auto it = ro->find(k);
          if (it != ro->end()) {
            if (*it == x) continue;
            rx = &*it;
          }
        }
        visit(k, &x, rx);
      }
    }
    if (ro != nullptr) {
      for (const auto& [k, x] : ro->items()) {
        if (ServerOwned(level, k) || (lo != nullptr && lo->contains(k))) continue;
        visit(k, nullptr, &x);
      }
    }
    return;
  }
  if (kind != Kind::kList) return;
  const MergeShape item = s.Item();
  std::map<std::string, const json*> lm, rm;
  if (l != nullptr) {
    for (auto& [e, v] : Items(s, *l)) lm.emplace(std::move(e), v);
  }
  if (r != nullptr) {
    for (auto& [e, v] : Items(s, *r)) rm.emplace(std::move(e), v);
  }
  for (const auto& [e, v] : lm) {
    auto it = rm.find(e);
    Cursor child{&at, &e, at.changes};
    Diff(v, it == rm.end() ? nullptr : it->second, item, Level::kOther, child);
  }
  for (const auto& [e, v] : rm) {
    if (lm.count(e)) continue;
    Cursor child{&at, &e, at.changes};
    child.Mark(kAdded);  // a new item is its writer's, whatever it holds
    Diff(nullptr, v, item, Level::kOther, child);
  }
}

// What CompareObjects reports as added where `v` appears and nothing was (a create), built
// straight as a FieldsV1 tree in `out` (the children of the place) rather than as a FieldSet
// encoded afterwards. Returns whether the place itself is a member, as Diff(nullptr, v) marks.
bool AddedFieldsV1(const json& v, const MergeShape& s, Level level, json& out) {
  const Kind kind = s.KindOf(v);
  if (level == Level::kOther && (kind == Kind::kScalar || s.Atomic(v) || EmptyValue(&v))) {
    return true;
  }
  const bool member = level == Level::kOther && kind != Kind::kStruct && !s.required();
  // Elements come in order (an object's keys and the items' map are sorted, "." sorts first),
  // so each goes in at the end of its node without a search.
  auto put = [&out](std::string element, bool child_member, json child) {
    if (!child_member && child.empty()) return;  // nothing owned down there
    if (child_member && !child.empty()) {
      auto& fields = child.get_ref<json::object_t&>();
      fields.emplace_hint(fields.begin(), ".", json::object());
    }
    auto& siblings = out.get_ref<json::object_t&>();
    siblings.emplace_hint(siblings.end(), std::move(element), std::move(child));
  };
  if (IsContainer(kind)) {
    if (!v.is_object()) return member;
    for (const auto& [k, x] : v.items()) {
      if (ServerOwned(level, k)) continue;
      json child = json::object();
      const bool child_member = AddedFieldsV1(x, s.Field(k), Below(level, k), child);
      put("f:" + k, child_member, std::move(child));
    }
    return member;
  }
  if (kind != Kind::kList) return member;
  const MergeShape item = s.Item();
  std::map<std::string, const json*> items;  // by element; the first of a repeated one counts
  for (auto& [e, x] : Items(s, v)) items.emplace(std::move(e), x);
  for (auto& [e, x] : items) {
    json child = json::object();
    AddedFieldsV1(*x, item, Level::kOther, child);
    put(e, true, std::move(child));  // a new item is its writer's, whatever it holds
  }
  return member;
}

// `r` merged into `l` in place (the live value, which exists): a tree merge that copies only
// what `r` brings, not the live subtrees above the places it changes.
void MergeInto(json& l, const json& r, const MergeShape& s, Level level) {
  const Kind kind = s.KindOf(r);
  if (level == Level::kOther && (kind == Kind::kScalar || s.Atomic(r) || s.KindOf(l) != kind)) {
    l = r;
    return;
  }
  if (IsContainer(kind)) {
    if (!l.is_object()) {
      l = r;
      return;
    }
    for (const auto& [k, v] : r.items()) {
      // The server's metadata stays as stored; a resourceVersion or uid sent is a precondition.
      if (level == Level::kMeta && ServerOwned(level, k) && k != "resourceVersion" && k != "uid") {
        continue;
      }
      if (v.is_null()) {
        l.erase(k);
        continue;
      }
      auto it = l.find(k);
      if (it == l.end()) {
        l[k] = v;
      } else {
        MergeInto(*it, v, s.Field(k), Below(level, k));
      }
    }
    return;
  }
  if (kind != Kind::kList || !l.is_array()) {
    l = r;
    return;
  }
  const MergeShape item = s.Item();
  auto li = Items(s, l);  // li[i] is l[i]
  auto ri = Items(s, r);
  std::map<std::string, size_t> l_at, r_at;
  for (size_t i = 0; i < li.size(); ++i) l_at.emplace(li[i].first, i);
  for (size_t i = 0; i < ri.size(); ++i) r_at.emplace(ri[i].first, i);
  // Each live item goes to the result once when no two items of either list share an element:
  // moved, not copied.
  const bool movable = l_at.size() == li.size() && r_at.size() == ri.size();
  auto take_live = [&](size_t i) { return movable ? std::move(l[i]) : json(l[i]); };
  // The live order, with the items both name in the configuration's order and merged ...
  std::vector<std::string> shared;
  for (const auto& [e, v] : ri) {
    if (l_at.count(e)) shared.push_back(e);
  }
  std::vector<std::pair<std::string, json>> out;
  size_t k = 0;
  for (size_t i = 0; i < li.size(); ++i) {
    const std::string& e = li[i].first;
    if (!r_at.count(e)) {
      out.emplace_back(e, take_live(i));
      continue;
    }
    if (k == shared.size()) {
      // A live list that repeats an element the configuration names once: the first of them
      // took the configuration's item; the others stay as they are.
      out.emplace_back(e, take_live(i));
      continue;
    }
    const std::string& take = shared[k++];
    json merged = take_live(l_at[take]);
    MergeInto(merged, *ri[r_at[take]].second, item, Level::kOther);
    out.emplace_back(take, std::move(merged));
  }
  // ... and the new items after the configuration's item before them (before its next one
  // when it has none before, else at the end).
  auto position = [&](const std::string& e) {
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].first == e) return static_cast<std::ptrdiff_t>(i);
    }
    return static_cast<std::ptrdiff_t>(-1);
  };
  for (size_t j = 0; j < ri.size(); ++j) {
    if (l_at.count(ri[j].first)) continue;
    std::ptrdiff_t at = -1;
    for (size_t p = j; p > 0 && at < 0; --p) {
      std::ptrdiff_t before = position(ri[p - 1].first);
      if (before >= 0) at = before + 1;
    }
    for (size_t n = j + 1; n < ri.size() && at < 0; ++n) at = position(ri[n].first);
    if (at < 0) at = static_cast<std::ptrdiff_t>(out.size());
    out.emplace(out.begin() + at, ri[j].first, *ri[j].second);
  }
  json list = json::array();
  for (auto& [e, v] : out) list.push_back(std::move(v));
  l = std::move(list);
}

// Removes from `v` the members of `remove` that nobody in `keep` owns (nor anything below).
void Prune(json& v, const FieldSet& remove, const FieldSet* keep, const MergeShape& s) {
  const Kind kind = s.KindOf(v);
  if (IsContainer(kind)) {
    for (const auto& [e, sub] : remove.children) {
      if (e.rfind("f:", 0) != 0) continue;
      const std::string name = e.substr(2);
      auto it = v.find(name);
      if (it == v.end()) continue;
      const FieldSet* k = keep != nullptr ? keep->Child(e) : nullptr;
      if (sub.member && (k == nullptr || k->Empty())) {
        v.erase(it);
        continue;
      }
      const MergeShape child = s.Field(name);
      Prune(*it, sub, k, child);
      const Kind ck = child.KindOf(*it);
      if (ck != Kind::kStruct && ck != Kind::kScalar && it->empty() &&
          (k == nullptr || k->Empty())) {
        v.erase(it);
      }
    }
    return;
  }
  if (kind != Kind::kList) return;
  const MergeShape item = s.Item();
  auto items = Items(s, v);
  std::vector<bool> drop(items.size(), false);
  for (size_t i = 0; i < items.size(); ++i) {
    const FieldSet* sub = remove.Child(items[i].first);
    if (sub == nullptr) continue;
    const FieldSet* k = keep != nullptr ? keep->Child(items[i].first) : nullptr;
    if (sub->member && (k == nullptr || k->Empty())) {
      drop[i] = true;
    } else {
      Prune(v[i], *sub, k, item);
    }
  }
  json out = json::array();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!drop[i]) out.push_back(std::move(v[i]));
  }
  v = std::move(out);
}

// One managedFields entry as written to the object.
json EncodeEntry(const std::string& manager, const std::string& operation,
                 const std::string& api_version, const std::string& time,
                 const std::string& subresource, json fields) {
  json j = {{"manager", manager}, {"operation", operation}};
  if (!api_version.empty()) j["apiVersion"] = api_version;
  if (!time.empty()) j["time"] = time;
  j["fieldsType"] = "FieldsV1";
  j["fieldsV1"] = std::move(fields);
  if (!subresource.empty()) j["subresource"] = subresource;
  return j;
}

const json* MetaField(const json& object, const char* field) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return nullptr;
  auto it = m->find(field);
  return it == m->end() ? nullptr : &*it;
}

void SetManaged(json& object, const ManagedEntries& entries) {
  json& meta = object["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (entries.empty()) {
    meta.erase("managedFields");
  } else {
    meta["managedFields"] = EncodeManagedFields(entries);
  }
}

void DropEmpty(ManagedEntries& entries) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const ManagedEntry& e) { return e.fields.Empty(); }),
                entries.end());
}

// At most ten Update entries, as upstream keeps: the oldest merge into "ancient-changes".
void CapUpdateEntries(ManagedEntries& entries, const std::string& now) {
  constexpr size_t kMaxUpdates = 10;
  std::vector<size_t> updates;
  const ManagedEntry* ancient_before = nullptr;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].operation != "Update") continue;
    if (entries[i].manager == "ancient-changes") {
      ancient_before = &entries[i];
    } else {
      updates.push_back(i);
    }
  }
  if (updates.size() + (ancient_before ? 1 : 0) <= kMaxUpdates) return;
  std::stable_sort(updates.begin(), updates.end(),
                   [&](size_t a, size_t b) { return entries[a].time < entries[b].time; });
  ManagedEntry ancient{"ancient-changes", "Update", "", now, "", {}};
  if (ancient_before != nullptr) ancient = *ancient_before;
  std::set<size_t> merged;
  for (size_t i = 0; i + (kMaxUpdates - 1) < updates.size(); ++i) {
    ancient.fields.Union(entries[updates[i]].fields);
    if (ancient.api_version.empty()) ancient.api_version = entries[updates[i]].api_version;
    merged.insert(updates[i]);
  }
  ManagedEntries kept;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (merged.count(i) || &entries[i] == ancient_before) continue;
    kept.push_back(std::move(entries[i]));
  }
  kept.push_back(std::move(ancient));
  entries = std::move(kept);
}

StatusError ConflictError(const std::vector<std::pair<const ManagedEntry*, FieldSet>>& conflicts) {
  struct One {
    std::string manager;
    std::string path;
  };
  std::vector<One> all;
  for (const auto& [entry, set] : conflicts) {
    set.ForEachMember([&](const FieldPath& p) {
      all.push_back({entry->Describe(), FieldSet::PathString(p)});
    });
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const One& a, const One& b) { return a.manager < b.manager; });
  json causes = json::array();
  for (const auto& c : all) {
    causes.push_back({{"reason", "FieldManagerConflict"},
                      {"message", "conflict with " + c.manager},
                      {"field", c.path}});
  }
  std::string message;
  if (all.size() == 1) {
    message = "Apply failed with 1 conflict: conflict with " + all[0].manager + ": " + all[0].path;
  } else {
    message = "Apply failed with " + std::to_string(all.size()) + " conflicts: ";
    std::string last;
    bool first = true;
    for (const auto& c : all) {
      if (c.manager != last) {
        message += (first ? "" : "\n") + std::string("conflicts with ") + c.manager + ":";
        last = c.manager;
        first = false;
      }
      message += "\n- " + c.path;
    }
  }
  return StatusError(409, "Conflict", message, {{"causes", causes}});
}

// The fields of the last-applied-configuration annotation (kubectl's client-side apply) whose
// values the object still has: kubectl's first server-side apply may take them over.
FieldSet LastAppliedFields(const json& live, const MergeShape& root) {
  const json* annotations = MetaField(live, "annotations");
  if (annotations == nullptr || !annotations->is_object()) return {};
  auto it = annotations->find("kubectl.kubernetes.io/last-applied-configuration");
  if (it == annotations->end() || !it->is_string()) return {};
  json last = json::parse(it->get<std::string>(), nullptr, false);
  if (!last.is_object()) return {};
  try {
    FieldSet fields = ToFieldSet(last, root);
    return fields.Difference(CompareObjects(&last, live, root).modified);
  } catch (const StatusError&) {
    return {};
  }
}

// FieldsV1 trees changed in place, touching only the paths of the change (the stored entries of
// an object are not decoded and encoded again on every write).
// Removes the members of `rm` from `node`; true when nothing is left of it.
bool RemoveMembers(json& node, const FieldSet& rm) {
  if (!node.is_object()) return true;  // not a FieldsV1 tree (a fixture's): dropped
  if (node.empty()) return rm.member;  // a leaf member
  bool member = node.contains(".") && !rm.member;
  for (const auto& [e, sub] : rm.children) {
    auto it = node.find(e);
    if (it != node.end() && RemoveMembers(*it, sub)) node.erase(it);
  }
  node.erase(".");
  if (node.empty()) {
    if (!member) return true;
  } else if (member) {
    node["."] = json::object();
  }
  return false;
}

// Adds the members of `add` to `node` (`existed`: the node was there before).
void AddMembers(json& node, bool existed, const FieldSet& add) {
  bool member = add.member || (existed && (node.empty() || node.contains(".")));
  if (!node.is_object()) node = json::object();
  for (const auto& [e, sub] : add.children) {
    const bool had = node.contains(e);
    AddMembers(node[e], had, sub);
  }
  node.erase(".");
  if (member && !node.empty()) node["."] = json::object();
}

// RecordUpdate on the stored managedFields as they are; false when they are not valid entries
// (the caller decodes, and the invalid ones are dropped) or more Update entries are needed than
// upstream keeps. `in_place`: the object already carries `stored` (a patch, a PUT after a GET),
// edited there rather than copied (on false it is then half edited: the caller sets it).
bool UpdateStoredEntries(const json& stored, const FieldSet& changed, const FieldSet& removed,
                         const FieldManagerContext& ctx, json& object, bool in_place) {
  for (const auto& e : stored) {
    if (!e.is_object() || !e.contains("fieldsV1") || !e["fieldsV1"].is_object()) return false;
    for (const char* key :
         {"manager", "operation", "apiVersion", "time", "subresource", "fieldsType"}) {
      auto it = e.find(key);
      if (it != e.end() && !it->is_string()) return false;
    }
    if (e.value("fieldsType", "") != "FieldsV1") return false;
  }
  json copy;
  if (!in_place) copy = stored;
  json& entries = in_place ? object["metadata"]["managedFields"] : copy;
  bool mine_found = false;
  size_t updates = 0;
  for (auto it = entries.begin(); it != entries.end();) {
    json& e = *it;
    const bool mine = e.value("manager", "") == ctx.manager &&
                      e.value("operation", "") == "Update" &&
                      e.value("subresource", "") == ctx.subresource &&
                      e.value("apiVersion", "") == ctx.api_version;
    bool empty = RemoveMembers(e["fieldsV1"], changed);
    empty = RemoveMembers(e["fieldsV1"], removed) || empty;
    if (mine && !changed.Empty()) {
      AddMembers(e["fieldsV1"], !empty, changed);
      e["time"] = ctx.now;
      empty = false;
      mine_found = true;
    }
    if (empty) {
      it = entries.erase(it);
      continue;
    }
    if (e.value("operation", "") == "Update") ++updates;
    ++it;
  }
  if (!mine_found && !changed.Empty()) {
    entries.push_back(EncodeEntry(ctx.manager, "Update", ctx.api_version, ctx.now, ctx.subresource,
                                  changed.ToFieldsV1()));
    ++updates;
  }
  if (updates > 10) return false;
  auto key = [](const json& e) {
    return std::make_tuple(e.value("operation", ""), e.value("time", ""), e.value("manager", ""),
                           e.value("apiVersion", ""), e.value("subresource", ""));
  };
  std::stable_sort(entries.begin(), entries.end(),
                   [&](const json& a, const json& b) { return key(a) < key(b); });
  if (entries.empty()) {
    object["metadata"].erase("managedFields");
  } else if (!in_place) {
    object["metadata"]["managedFields"] = std::move(entries);
  }
  return true;
}

// kubectl's server-side apply keeps a last-applied-configuration annotation (left by client-side
// applies) in step with what it applied, as upstream does, so that a later client-side apply
// computes its changes from the right configuration.
void KeepLastAppliedInStep(const json& applied, json& merged) {
  static const std::string kKey = "kubectl.kubernetes.io/last-applied-configuration";
  auto meta = merged.find("metadata");
  if (meta == merged.end() || !meta->is_object()) return;
  auto annotations = meta->find("annotations");
  if (annotations == meta->end() || !annotations->is_object() || !annotations->contains(kKey)) {
    return;
  }
  json last = applied;
  if (last.contains("metadata") && last["metadata"].contains("annotations") &&
      last["metadata"]["annotations"].is_object()) {
    last["metadata"]["annotations"].erase(kKey);
    if (last["metadata"]["annotations"].empty()) last["metadata"].erase("annotations");
  }
  (*annotations)[kKey] = last.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace

bool ManagedEntry::SameManager(const ManagedEntry& other) const {
  return manager == other.manager && operation == other.operation &&
         subresource == other.subresource &&
         (operation == "Apply" || api_version == other.api_version);
}

std::string ManagedEntry::Describe() const {
  std::string out = json(manager).dump();
  if (!subresource.empty()) out += " with subresource " + json(subresource).dump();
  if (operation == "Update") out += " using " + api_version;
  return out;
}

std::optional<ManagedEntries> DecodeManagedFields(const json& list) {
  if (!list.is_array()) return std::nullopt;
  ManagedEntries out;
  for (const auto& e : list) {
    if (!e.is_object()) return std::nullopt;
    ManagedEntry entry;
    auto str = [&](const char* key, std::string& to) {
      auto it = e.find(key);
      if (it == e.end() || it->is_null()) return true;
      if (!it->is_string()) return false;
      to = it->get<std::string>();
      return true;
    };
    std::string fields_type;
    if (!str("manager", entry.manager) || !str("operation", entry.operation) ||
        !str("apiVersion", entry.api_version) || !str("time", entry.time) ||
        !str("subresource", entry.subresource) || !str("fieldsType", fields_type)) {
      return std::nullopt;
    }
    if (entry.operation != "Apply" && entry.operation != "Update") return std::nullopt;
    if (fields_type != "FieldsV1") return std::nullopt;
    auto fields = e.find("fieldsV1");
    if (fields == e.end()) return std::nullopt;
    auto set = FieldSet::FromFieldsV1(*fields);
    if (!set) return std::nullopt;
    entry.fields = std::move(*set);
    out.push_back(std::move(entry));
  }
  return out;
}

json EncodeManagedFields(const ManagedEntries& entries) {
  std::vector<const ManagedEntry*> sorted;
  for (const auto& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const ManagedEntry* a, const ManagedEntry* b) {
    return std::tie(a->operation, a->time, a->manager, a->api_version, a->subresource) <
           std::tie(b->operation, b->time, b->manager, b->api_version, b->subresource);
  });
  json out = json::array();
  for (const ManagedEntry* e : sorted) {
    out.push_back(EncodeEntry(e->manager, e->operation, e->api_version, e->time, e->subresource,
                              e->fields.ToFieldsV1()));
  }
  return out;
}

FieldSet ToFieldSet(const json& object, const MergeShape& root) {
  FieldSet out;
  FieldPath path;
  Collect(object, root, Level::kRoot, path, out);
  return out;
}

FieldChanges CompareObjects(const json* before, const json& after, const MergeShape& root) {
  FieldChanges c;
  static const json kEmpty = json::object();
  Cursor top{nullptr, nullptr, &c};
  Diff(before != nullptr ? before : &kEmpty, &after, root, Level::kRoot, top);
  return c;
}

json MergeApplied(const json& live, const json& applied, const MergeShape& root) {
  json out = live;
  MergeInto(out, applied, root, Level::kRoot);
  return out;
}

void RecordUpdate(const json* before, json& object, const MergeShape& root,
                  const FieldManagerContext& ctx) {
  const json* sent = MetaField(object, "managedFields");
  if (sent != nullptr && sent->is_array() && sent->size() == 1 && (*sent)[0].is_object() &&
      (*sent)[0].empty()) {
    object["metadata"].erase("managedFields");  // [{}]: the client resets them
    return;
  }
  const json* stored = before != nullptr ? MetaField(*before, "managedFields") : nullptr;
  const bool sent_is_stored = sent != nullptr && stored != nullptr && *sent == *stored;
  std::optional<ManagedEntries> base;
  // A body that carries the stored entries unchanged (a patch, a PUT after a GET) sends none.
  if (sent != nullptr && ctx.subresource.empty() && !sent_is_stored) {
    base = DecodeManagedFields(*sent);
    if (base && base->empty()) base.reset();
  }
  const bool from_stored = !base;
  if (before == nullptr && from_stored) {
    // A create: one entry, the writer's, owning everything the object holds.
    json fields = json::object();
    AddedFieldsV1(object, root, Level::kRoot, fields);
    if (fields.empty()) {
      if (object.contains("metadata")) object["metadata"].erase("managedFields");
      return;
    }
    json& meta = object["metadata"];
    if (!meta.is_object()) meta = json::object();
    json list = json::array();
    list.push_back(EncodeEntry(ctx.manager, "Update", ctx.api_version, ctx.now, ctx.subresource,
                               std::move(fields)));
    meta["managedFields"] = std::move(list);
    return;
  }
  FieldChanges c = CompareObjects(before, object, root);
  if (from_stored && c.added.Empty() && c.modified.Empty() && c.removed.Empty()) {
    // Nothing changed: the stored entries stay exactly as they are.
    if (stored != nullptr) {
      if (!sent_is_stored) object["metadata"]["managedFields"] = *stored;
    } else if (object.contains("metadata")) {
      object["metadata"].erase("managedFields");
    }
    return;
  }
  FieldSet changed = std::move(c.added);
  changed.Union(c.modified);
  if (from_stored && stored != nullptr && stored->is_array() &&
      UpdateStoredEntries(*stored, changed, c.removed, ctx, object, sent_is_stored)) {
    return;
  }
  if (!base) base = stored != nullptr ? DecodeManagedFields(*stored) : std::nullopt;
  ManagedEntries entries = base ? std::move(*base) : ManagedEntries{};
  for (auto& e : entries) {
    if (!e.fields.Empty()) e.fields = e.fields.Difference(changed).Difference(c.removed);
  }
  if (!changed.Empty()) {
    ManagedEntry mine{ctx.manager, "Update", ctx.api_version, ctx.now, ctx.subresource, {}};
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const ManagedEntry& e) { return e.SameManager(mine); });
    if (it == entries.end()) {
      mine.fields = std::move(changed);
      entries.push_back(std::move(mine));
    } else {
      it->fields.Union(changed);
      it->time = ctx.now;
    }
  }
  DropEmpty(entries);
  CapUpdateEntries(entries, ctx.now);
  SetManaged(object, entries);
}

json ApplyConfiguration(const json* live, const json& applied, const MergeShape& root,
                        const FieldManagerContext& ctx, bool force) {
  static const json kEmpty = json::object();
  const json& base = live != nullptr ? *live : kEmpty;
  ManagedEntries entries;
  if (live != nullptr) {
    const json* stored = MetaField(*live, "managedFields");
    auto decoded = stored != nullptr ? DecodeManagedFields(*stored) : std::nullopt;
    if (decoded) entries = std::move(*decoded);
    if (entries.empty()) {
      // An object nobody manages yet (made before managedFields, or reset): what it holds is
      // owned by "before-first-apply", so that the first apply does not take it silently.
      FieldSet existing = ToFieldSet(*live, root);
      if (!existing.Empty()) {
        entries.push_back(
            {"before-first-apply", "Update", ctx.api_version, ctx.now, "", std::move(existing)});
      }
    }
  }
  FieldSet applied_set = ToFieldSet(applied, root);
  ManagedEntry mine{ctx.manager, "Apply", ctx.api_version, ctx.now, ctx.subresource, {}};
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const ManagedEntry& e) { return e.SameManager(mine); });
  FieldSet last;
  std::string last_time;
  if (it != entries.end()) {
    last = std::move(it->fields);
    last_time = it->time;
    entries.erase(it);
  }
  json merged = MergeApplied(base, applied, root);
  // What this manager applied last time and no longer applies goes, unless someone else owns it.
  FieldSet dropped = last.Difference(applied_set);
  if (!dropped.Empty()) {
    FieldSet keep = applied_set;
    for (const auto& e : entries) keep.Union(e.fields);
    Prune(merged, dropped, &keep, root);
  }
  FieldChanges c = CompareObjects(&base, merged, root);
  FieldSet changed = c.added;
  changed.Union(c.modified);
  std::vector<std::pair<const ManagedEntry*, FieldSet>> conflicts;
  FieldSet conflicting;
  for (const auto& e : entries) {
    FieldSet clash = e.fields.Intersection(changed);
    if (clash.Empty()) continue;
    conflicting.Union(clash);
    conflicts.emplace_back(&e, std::move(clash));
  }
  if (!conflicts.empty() && !force) {
    // kubectl's first server-side apply after client-side ones takes over the fields its
    // last-applied-configuration set, as upstream lets the "kubectl" manager do.
    const bool migrates = live != nullptr && ctx.manager == "kubectl" &&
                          conflicting.Difference(LastAppliedFields(*live, root)).Empty();
    if (!migrates) throw ConflictError(conflicts);
  }
  for (auto& e : entries) e.fields = e.fields.Difference(changed).Difference(c.removed);
  mine.fields = std::move(applied_set);
  const bool content_changed = !c.added.Empty() || !c.modified.Empty() || !c.removed.Empty();
  if (!content_changed && !last_time.empty()) mine.time = last_time;
  if (!mine.fields.Empty()) entries.push_back(std::move(mine));
  DropEmpty(entries);
  SetManaged(merged, entries);
  if (ctx.manager == "kubectl") KeepLastAppliedInStep(applied, merged);
  return merged;
}

std::string ManagerFromUserAgent(const std::string& user_agent) {
  std::string head = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (unsigned char ch : head) {
    if (ch < 0x20 || ch == 0x7f) continue;  // not printable
    if (out.size() + 1 > 128) break;
    out += static_cast<char>(ch);
  }
  return out;
}

json FieldManagerCauses(const std::string& manager) {
  json causes = json::array();
  if (manager.size() > 128) {
    causes.push_back({{"reason", "FieldValueTooLong"},
                      {"message", "Too long: may not be more than 128 bytes"},
                      {"field", "fieldManager"}});
  }
  for (size_t i = 0; i < manager.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(manager[i]);
    if (ch < 0x20 || ch == 0x7f) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "invalid character U+%04X (at position %zu)", ch, i);
      causes.push_back({{"reason", "FieldValueInvalid"},
                        {"message", "Invalid value: " + json(manager).dump() + ": " + buf},
                        {"field", "fieldManager"}});
    }
  }
  return causes;
}

}  // namespace kubedouble::fake
