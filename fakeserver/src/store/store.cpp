// Store: create, read, update, patch and delete, with one global resourceVersion.
// Over 600 lines: every write (create, update, patch, apply, delete) takes the same preparation
// steps here, side by side, so that no write path skips one; lists and watches live in
// store_list.cpp and store_watch.cpp.
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <mutex>

#include "../util.h"
#include "defaults/defaults.h"
#include "field_manager.h"
#include "field_types.h"
#include "generation.h"
#include "kinds/ephemeral_containers.h"
#include "kinds/kind_validation.h"
#include "kubedouble/base/encoding.h"
#include "lifecycle.h"
#include "service_ips.h"
#include "store_core.h"
#include "validation.h"

namespace kubedouble::fake {

namespace {

json& Meta(json& o) {
  auto it = o.find("metadata");
  if (it == o.end() || !it->is_object()) o["metadata"] = json::object();
  return o["metadata"];
}

void RequireObject(const json& o) {
  if (!o.is_object()) {
    throw StatusError::BadRequest("the request body must be a JSON object (got " +
                                  std::string(o.type_name()) + ")");
  }
}

// The object's namespace as the URL and the body say (400 when they disagree).
std::string ResolveNamespace(const ResourceInfo& res, const std::string& url_ns, json& obj) {
  json& m = Meta(obj);
  if (!res.namespaced) {
    m.erase("namespace");
    return "";
  }
  std::string body_ns = m.contains("namespace") && m["namespace"].is_string()
                            ? m["namespace"].get<std::string>()
                            : "";
  if (!url_ns.empty() && !body_ns.empty() && body_ns != url_ns) {
    throw StatusError::BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  std::string ns = url_ns.empty() ? body_ns : url_ns;
  if (ns.empty()) ns = "default";
  m["namespace"] = ns;
  return ns;
}

bool IsCore(const ResourceInfo& res, const char* plural) {
  return res.group.empty() && res.plural == plural;
}

// What a real API server fills in for a few kinds.
void ApplyKindDefaults(const ResourceInfo& res, json& obj) {
  if (IsCore(res, "pods")) {
    if (!obj.contains("status") || !obj["status"].is_object()) obj["status"] = json::object();
    if (!obj["status"].contains("phase")) obj["status"]["phase"] = "Pending";
  } else if (IsCore(res, "namespaces")) {
    Meta(obj)["labels"]["kubernetes.io/metadata.name"] = MetaString(obj, "name");
    // A new namespace gets the "kubernetes" finalizer when it has none (kubectl's protobuf body
    // carries an empty spec).
    if (!obj.contains("spec") || !obj["spec"].is_object()) obj["spec"] = json::object();
    if (!obj["spec"].contains("finalizers")) obj["spec"]["finalizers"] = {"kubernetes"};
    if (!obj.contains("status") || !obj["status"].is_object()) obj["status"] = json::object();
    if (!obj["status"].contains("phase")) obj["status"]["phase"] = "Active";
  } else if (IsCore(res, "secrets")) {
    if (!obj.contains("type")) obj["type"] = "Opaque";
    if (obj.contains("stringData")) {
      if (obj["stringData"].is_object()) {
        if (!obj.contains("data") || !obj["data"].is_object()) obj["data"] = json::object();
        for (auto& [k, v] : obj["stringData"].items()) {
          obj["data"][k] = base::Base64Encode(v.is_string() ? v.get<std::string>() : v.dump());
        }
      }
      obj.erase("stringData");
    }
  }
}

// Defaulting, allocation and validation of an object about to be stored (`old`: its stored state
// on update; `check` false for the server's own, WriteOptions::trusted). Throws the 422 Invalid;
// nothing is stored then.
void PrepareContents(Core& c, const ResourceInfo& res, json& object, const json* old,
                     bool check = true) {
  ApplyKindDefaults(res, object);
  defaults::Apply(res, object, old == nullptr);
  if (IsCore(res, "services")) {
    AssignClusterIp(c, object, old);
    AssignNodePorts(c, object, old);
  }
  if (check) {
    auto causes = kinds::Causes(res, object, old);
    if (!causes.empty()) {
      throw StatusError::Invalid(QualifiedKind(res), MetaString(object, "name"), causes);
    }
  }
  PrepareCustomResource(c, res, object);
}

// A write of …/status: the stored object with the body's status (and nothing else of it).
json StatusOnly(const json& old, const json& body) {
  json out = old;
  if (body.contains("status")) {
    out["status"] = body["status"];
  } else {
    out.erase("status");
  }
  return out;
}

// A write of a namespace's …/finalize: the stored namespace with the body's spec.finalizers.
json SpecFinalizersOnly(const json& old, const json& body) {
  json out = old;
  const json* finalizers = nullptr;
  if (body.contains("spec") && body["spec"].is_object() && body["spec"].contains("finalizers")) {
    finalizers = &body["spec"]["finalizers"];
  }
  if (finalizers != nullptr && !finalizers->is_null() &&
      !(finalizers->is_array() && finalizers->empty())) {
    out["spec"]["finalizers"] = *finalizers;
  } else if (out.contains("spec") && out["spec"].is_object()) {
    out["spec"].erase("finalizers");
  }
  return out;
}

bool NamespaceExists(const Core& c, const std::string& ns) {
  auto it = c.buckets.find("/namespaces");
  return it != c.buckets.end() && it->second.count(ns) > 0;
}

const std::string kModified =
    "the object has been modified; please apply your changes to the latest version and try again";

// A CRD's served resources go into the registry (replacing what an older version served).
void RegisterCrd(Core& c, const json* old_crd, const std::vector<ResourceInfo>& serves) {
  if (old_crd) {
    std::string g = (*old_crd)["spec"].value("group", "");
    std::string p = (*old_crd)["spec"]["names"].value("plural", "");
    c.registry->Remove(g, p);
    c.crd_resources.erase({g, p});
  }
  for (const auto& r : serves) {
    c.registry->Add(r);
    c.crd_resources.insert({r.group, r.plural});
  }
}

// How objects of `res` merge by their schema (the CRD's, under the lock, for custom resources).
MergeShape ShapeOf(const Core& c, const ResourceInfo& res) {
  return MergeShape::ForKind(res.group, res.version, res.kind, CustomResourceSchema(c, res));
}

FieldManagerContext ManagerContext(const Core& c, const ResourceInfo& res,
                                   const WriteOptions& opts) {
  std::string subresource;
  if (opts.status_only) subresource = "status";
  if (opts.finalizers_only) subresource = "finalize";
  if (opts.ephemeral_containers_only) subresource = "ephemeralcontainers";
  return {opts.field_manager, res.ApiVersion(), subresource, FormatTime(c.now())};
}

// Update of an existing object under the unique lock (PUT and PATCH). `record`: the write's
// managed fields are recorded here (a server-side apply has recorded its own).
json UpdateLocked(Core& c, const ResourceInfo& res, const std::string& ns, const std::string& name,
                  json object, const WriteOptions& opts, bool* changed, bool record = true) {
  *changed = false;
  auto qr = QualifiedResource(res);
  auto& bucket = c.buckets[BucketKey(res)];
  auto key = ObjectKey(res, ns, name);
  auto it = bucket.find(key);
  if (it == bucket.end()) throw StatusError::NotFound(qr, name);
  ObjectPtr current = it->second;
  const json& old = *current;
  const auto& want_rv = MetaString(object, "resourceVersion");
  const auto& have_rv = MetaString(old, "resourceVersion");
  if (!want_rv.empty() && want_rv != have_rv) throw StatusError::Conflict(qr, name, kModified);
  const auto& want_uid = MetaString(object, "uid");
  const auto& have_uid = MetaString(old, "uid");
  if (!want_uid.empty() && want_uid != have_uid) {
    throw StatusError::Conflict(qr, name,
                                "Precondition failed: UID in precondition: " + want_uid +
                                    ", UID in object meta: " + have_uid);
  }
  json& m = Meta(object);
  const json& om = old["metadata"];
  m["name"] = name;
  json causes = opts.trusted ? json::array() : MetadataCauses(res, object);
  for (auto& cause : DeletionUpdateCauses(old, object)) causes.push_back(std::move(cause));
  if (!causes.empty()) throw StatusError::Invalid(QualifiedKind(res), name, causes);
  for (const char* f :
       {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"}) {
    if (om.contains(f)) {
      m[f] = om[f];
    } else {
      m.erase(f);
    }
  }
  std::vector<ResourceInfo> serves;
  if (opts.status_only) {
    // A server-side apply of the status brings the managedFields it worked out.
    json applied_managed = record ? json() : object["metadata"].value("managedFields", json());
    object = StatusOnly(old, object);
    if (!record) {
      if (applied_managed.is_null()) {
        object["metadata"].erase("managedFields");
      } else {
        object["metadata"]["managedFields"] = std::move(applied_managed);
      }
    }
    PrepareCustomResource(c, res, object);
  } else if (opts.finalizers_only) {
    object = SpecFinalizersOnly(old, object);
  } else if (opts.ephemeral_containers_only) {
    defaults::Apply(res, object, false);  // the containers' defaults, before comparing
    object = kinds::EphemeralContainersOnly(old, object);
  } else {
    // The main resource of a kind with a status subresource never changes status; for other
    // kinds a body without status (kubectl replace of a manifest) keeps the status it has.
    if (HasStatusSubresource(res) || !object.contains("status")) {
      if (old.contains("status")) {
        object["status"] = old["status"];
      } else {
        object.erase("status");
      }
    }
    PrepareContents(c, res, object, &old, !opts.trusted);
    if (IsCrdResource(res)) serves = PrepareCrd(object, FormatTime(c.now()));
  }
  if (TracksGeneration(res)) {
    int64_t generation = om.contains("generation") && om["generation"].is_number_integer()
                             ? om["generation"].get<int64_t>()
                             : 1;
    object["metadata"]["generation"] =
        GenerationMoves(res, old, object) ? generation + 1 : generation;
  } else {
    object["metadata"].erase("generation");
  }
  object["metadata"]["resourceVersion"] = have_rv;
  if (record) RecordUpdate(&old, object, ShapeOf(c, res), ManagerContext(c, res, opts));
  if (object == old) return old;  // a no-op update keeps the resourceVersion
  if (opts.dry_run) return object;
  *changed = true;
  auto stored = c.Commit(EventType::kModified, BucketKey(res), ns, key, current, std::move(object));
  if (IsCrdResource(res)) {
    RegisterCrd(c, current.get(), serves);
    RedefaultCustomResources(c, *stored);
  }
  return *stored;
}

}  // namespace

Store::Store(std::shared_ptr<Registry> registry, NowFn now, size_t history_window,
             size_t history_bytes)
    : impl_(std::make_unique<Impl>()) {
  auto c = std::make_shared<Core>();
  c->registry = registry ? std::move(registry) : std::make_shared<Registry>();
  c->now = now ? std::move(now) : [] { return std::chrono::system_clock::now(); };
  c->window = std::max<size_t>(history_window, 1);
  c->history_bytes = history_bytes;
  impl_->core = std::move(c);
}

Store::~Store() {
  // Wake every watch so that none sleeps on a store that is going away.
  impl_->core->changed.NotifyAll();
}

const std::shared_ptr<Registry>& Store::registry() const { return impl_->core->registry; }

int64_t Store::resource_version() const {
  std::shared_lock lock(impl_->core->mu);
  return impl_->core->rv;
}

namespace {
// The stored object; nullptr when there is none.
ObjectPtr LookupObject(const Core& c, const ResourceInfo& res, const std::string& ns,
                       const std::string& name) {
  std::shared_lock lock(c.mu);
  auto b = c.buckets.find(BucketKey(res));
  if (b == c.buckets.end()) return nullptr;
  auto it = b->second.find(ObjectKey(res, ns, name));
  return it == b->second.end() ? nullptr : it->second;
}

// The stored object; NotFound when there is none.
ObjectPtr FindObject(const Core& c, const ResourceInfo& res, const std::string& ns,
                     const std::string& name) {
  ObjectPtr obj = LookupObject(c, res, ns, name);
  if (!obj) throw StatusError::NotFound(QualifiedResource(res), name);
  return obj;
}

json WithTypeMeta(const ResourceInfo& res, const ObjectPtr& obj) {
  json out = *obj;
  out["kind"] = res.kind;
  out["apiVersion"] = res.ApiVersion();
  return out;
}
}  // namespace

json Store::Get(const ResourceInfo& res, const std::string& ns, const std::string& name) const {
  return WithTypeMeta(res, FindObject(*impl_->core, res, ns, name));
}

std::optional<json> Store::Find(const ResourceInfo& res, const std::string& ns,
                                const std::string& name) const {
  ObjectPtr obj = LookupObject(*impl_->core, res, ns, name);
  if (!obj) return std::nullopt;
  return WithTypeMeta(res, obj);
}

bool Store::Contains(const ResourceInfo& res, const std::string& ns,
                     const std::string& name) const {
  return static_cast<bool>(LookupObject(*impl_->core, res, ns, name));
}

std::string Store::GetJson(const ResourceInfo& res, const std::string& ns,
                           const std::string& name) const {
  ObjectPtr obj = FindObject(*impl_->core, res, ns, name);
  std::string out;
  AppendObject(out, res, obj);
  return out;
}

namespace {
// Create under the unique lock, after the namespace is resolved. `record` as for UpdateLocked.
ObjectPtr CreateLocked(Core& c, const ResourceInfo& res, const std::string& obj_ns, json object,
                       const WriteOptions& options, json* dry_run_answer, bool record = true) {
  if (res.namespaced && !NamespaceExists(c, obj_ns)) {
    throw StatusError::NotFound("namespaces", obj_ns);
  }
  auto& bucket = c.buckets[BucketKey(res)];
  json& m = Meta(object);
  std::string name = MetaString(object, "name");
  CheckNamespaceOpen(c, res, obj_ns, name.empty() ? MetaString(object, "generateName") : name);
  const std::string& generate = MetaString(object, "generateName");
  if (name.empty() && !generate.empty()) {
    do {
      name = generate + c.RandomSuffix(5);
    } while (bucket.count(ObjectKey(res, obj_ns, name)));
    m["name"] = name;
  }
  if (!options.trusted) {
    auto causes = MetadataCauses(res, object);
    if (!causes.empty()) throw StatusError::Invalid(QualifiedKind(res), name, causes);
  }
  m["uid"] = c.NewUid();
  m["creationTimestamp"] = FormatTime(c.now());
  if (TracksGeneration(res)) {
    m["generation"] = 1;
  } else {
    m.erase("generation");
  }
  m.erase("deletionTimestamp");
  m.erase("deletionGracePeriodSeconds");
  ResetStatusOnCreate(res, object, FormatTime(c.now()));
  // Invalid contents are 422 before a name clash is 409, as upstream validates first.
  PrepareContents(c, res, object, nullptr, !options.trusted);
  auto key = ObjectKey(res, obj_ns, name);
  if (bucket.count(key)) throw StatusError::AlreadyExists(QualifiedResource(res), name);
  std::vector<ResourceInfo> serves;
  if (IsCrdResource(res)) serves = PrepareCrd(object, FormatTime(c.now()));
  if (record) RecordUpdate(nullptr, object, ShapeOf(c, res), ManagerContext(c, res, options));
  if (options.dry_run) {
    *dry_run_answer = std::move(object);
    return nullptr;
  }
  ObjectPtr stored =
      c.Commit(EventType::kAdded, BucketKey(res), obj_ns, key, nullptr, std::move(object));
  if (IsCrdResource(res)) RegisterCrd(c, nullptr, serves);
  ReconcileLocked(c);
  return stored;
}
}  // namespace

json Store::Create(const ResourceInfo& res, const std::string& ns, json object,
                   const WriteOptions& options) {
  RequireObject(object);
  if (!options.trusted) CheckBodyTypes(res, object);
  auto& c = *impl_->core;
  object["kind"] = res.kind;
  object["apiVersion"] = res.ApiVersion();
  std::string obj_ns = ResolveNamespace(res, ns, object);
  if (!MetaString(object, "resourceVersion").empty()) {
    throw StatusError::BadRequest("resourceVersion should not be set on objects to be created");
  }
  ObjectPtr stored;
  {
    WriteLock lock(c);
    json preview;
    stored = CreateLocked(c, res, obj_ns, std::move(object), options, &preview);
    if (!stored) return preview;
  }
  c.changed.NotifyChanged();
  return *stored;
}

json Store::Update(const ResourceInfo& res, const std::string& ns, const std::string& name,
                   json object, const WriteOptions& options) {
  RequireObject(object);
  if (!options.trusted) CheckBodyTypes(res, object);
  auto& c = *impl_->core;
  const auto& body_name = MetaString(object, "name");
  if (!body_name.empty() && body_name != name) {
    throw StatusError::BadRequest("the name of the object (" + body_name +
                                  ") does not match the name on the URL (" + name + ")");
  }
  object["kind"] = res.kind;
  object["apiVersion"] = res.ApiVersion();
  std::string obj_ns = ResolveNamespace(res, ns, object);
  bool changed;
  json out;
  {
    WriteLock lock(c);
    out = UpdateLocked(c, res, obj_ns, name, std::move(object), options, &changed);
    ReconcileLocked(c);
  }
  if (changed) c.changed.NotifyChanged();
  return out;
}

namespace {
// The body of a server-side apply: a YAML (or JSON) object of the resource's kind.
json ParseAppliedConfiguration(const ResourceInfo& res, const std::string& body) {
  json applied = json::parse(body, nullptr, false);
  if (applied.is_discarded()) {
    try {
      YAML::Node doc = base::LoadYaml(body);
      if (doc.IsMap()) applied = base::YamlToJson(doc);
    } catch (const YAML::Exception& e) {
      throw StatusError::BadRequest(std::string("error decoding YAML: ") + e.what());
    }
  }
  if (!applied.is_object()) {
    throw StatusError::BadRequest(
        "error decoding YAML: the applied configuration must be a mapping (an object)");
  }
  for (auto [field, want] : {std::pair<const char*, std::string>{"apiVersion", res.ApiVersion()},
                             std::pair<const char*, std::string>{"kind", res.kind}}) {
    auto it = applied.find(field);
    if (it == applied.end() || !it->is_string() || it->get<std::string>().empty()) {
      throw StatusError::BadRequest(std::string("error decoding YAML: Object '") +
                                    (field == std::string("kind") ? "Kind" : "apiVersion") +
                                    "' is missing in the applied configuration");
    }
    if (*it != want) {
      throw StatusError::BadRequest("the " + std::string(field) + " in the data (" +
                                    it->get<std::string>() + ") does not match the expected " +
                                    field + " (" + want + ")");
    }
  }
  if (applied.contains("metadata") && !applied["metadata"].is_object()) {
    throw StatusError::BadRequest("metadata of the applied configuration must be an object");
  }
  if (applied.contains("metadata") && applied["metadata"].contains("managedFields") &&
      !applied["metadata"]["managedFields"].is_null()) {
    throw StatusError::BadRequest("metadata.managedFields must be nil");
  }
  return applied;
}

// Keeps what a server-side apply may set through the resource or its …/status: the status
// only for …/status, everything but the status for a kind with a status subresource.
void ScopeApplied(const ResourceInfo& res, const WriteOptions& options, json& applied) {
  if (options.status_only) {
    for (auto it = applied.begin(); it != applied.end();) {
      const std::string& k = it.key();
      if (k == "apiVersion" || k == "kind" || k == "status") {
        ++it;
      } else if (k == "metadata") {
        json kept = json::object();
        for (const char* f : {"name", "namespace", "resourceVersion", "uid"}) {
          if (it->contains(f)) kept[f] = (*it)[f];
        }
        *it = std::move(kept);
        ++it;
      } else {
        it = applied.erase(it);
      }
    }
  } else if (HasStatusSubresource(res)) {
    applied.erase("status");
  }
}

json ServerSideApply(Core& c, const ResourceInfo& res, const std::string& ns,
                     const std::string& name, const std::string& body,
                     const WriteOptions& options) {
  if (options.field_manager.empty()) {
    throw StatusError::Invalid("PatchOptions.meta.k8s.io", "",
                               json::array({{{"reason", "FieldValueRequired"},
                                             {"message",
                                              "Required value: is required for apply "
                                              "patch"},
                                             {"field", "fieldManager"}}}));
  }
  json applied = ParseAppliedConfiguration(res, body);
  CheckBodyTypes(res, applied);
  json& m = Meta(applied);
  if (!m.contains("name") || m["name"].is_null()) m["name"] = name;
  if (MetaString(applied, "name") != name) {
    throw StatusError::BadRequest("the name of the object (" + MetaString(applied, "name") +
                                  ") does not match the name on the URL (" + name + ")");
  }
  const std::string obj_ns = ResolveNamespace(res, ns, applied);
  ScopeApplied(res, options, applied);
  bool changed = false;
  json out;
  {
    WriteLock lock(c);
    const MergeShape shape = ShapeOf(c, res);
    const FieldManagerContext ctx = ManagerContext(c, res, options);
    auto b = c.buckets.find(BucketKey(res));
    auto key = ObjectKey(res, obj_ns, name);
    ObjectPtr live;
    if (b != c.buckets.end()) {
      auto it = b->second.find(key);
      if (it != b->second.end()) live = it->second;
    }
    if (!live) {
      // Apply creates what does not exist (not through …/status).
      if (options.status_only) throw StatusError::NotFound(QualifiedResource(res), name);
      json object = ApplyConfiguration(nullptr, applied, shape, ctx, options.force);
      if (!MetaString(object, "resourceVersion").empty()) {
        throw StatusError::NotFound(QualifiedResource(res), name);
      }
      ObjectPtr stored = CreateLocked(c, res, obj_ns, std::move(object), options, &out, false);
      if (!stored) return out;
      out = *stored;
      changed = true;
    } else {
      json object = ApplyConfiguration(live.get(), applied, shape, ctx, options.force);
      out = UpdateLocked(c, res, obj_ns, name, std::move(object), options, &changed, false);
      ReconcileLocked(c);
    }
  }
  if (changed) c.changed.NotifyChanged();
  return out;
}
}  // namespace

json Store::Patch(const ResourceInfo& res, const std::string& ns, const std::string& name,
                  PatchType type, const std::string& body, const WriteOptions& options) {
  if (type == PatchType::kApply) return ServerSideApply(*impl_->core, res, ns, name, body, options);
  auto& c = *impl_->core;
  bool changed;
  json out;
  {
    WriteLock lock(c);
    auto b = c.buckets.find(BucketKey(res));
    auto key = ObjectKey(res, res.namespaced ? ns : "", name);
    if (b == c.buckets.end() || !b->second.count(key)) {
      throw StatusError::NotFound(QualifiedResource(res), name);
    }
    json patched = ApplyPatch(*b->second.at(key), type, body);
    RequireObject(patched);
    CheckPatchedTypes(res, type, body, patched);
    const auto& patched_name = MetaString(patched, "name");
    if (patched_name != name) {
      throw StatusError::BadRequest("the name of the object (" + patched_name +
                                    ") does not match the name on the URL (" + name + ")");
    }
    patched["kind"] = res.kind;
    patched["apiVersion"] = res.ApiVersion();
    if (res.namespaced) {
      const auto& patched_ns = MetaString(patched, "namespace");
      if (patched_ns != ns) {
        throw StatusError::BadRequest(
            "the namespace of the provided object does not match the namespace sent on the "
            "request");
      }
    }
    out =
        UpdateLocked(c, res, res.namespaced ? ns : "", name, std::move(patched), options, &changed);
    ReconcileLocked(c);
  }
  if (changed) c.changed.NotifyChanged();
  return out;
}

json Store::Delete(const ResourceInfo& res, const std::string& ns, const std::string& name,
                   const DeleteOptions& options, bool* removed) {
  ValidateDeleteOptions(options);
  auto& c = *impl_->core;
  bool gone = false;
  auto qr = QualifiedResource(res);
  json out;
  {
    WriteLock lock(c);
    auto b = c.buckets.find(BucketKey(res));
    auto key = ObjectKey(res, res.namespaced ? ns : "", name);
    if (b == c.buckets.end() || !b->second.count(key)) throw StatusError::NotFound(qr, name);
    ObjectPtr current = b->second.at(key);
    const auto& uid = MetaString(*current, "uid");
    if (options.precondition_uid && *options.precondition_uid != uid) {
      throw StatusError::Conflict(qr, name,
                                  "Precondition failed: UID in precondition: " +
                                      *options.precondition_uid + ", UID in object meta: " + uid);
    }
    const auto& rv = MetaString(*current, "resourceVersion");
    if (options.precondition_resource_version && *options.precondition_resource_version != rv) {
      throw StatusError::Conflict(qr, name,
                                  "Precondition failed: ResourceVersion in precondition: " +
                                      *options.precondition_resource_version +
                                      ", ResourceVersion in object meta: " + rv);
    }
    if (options.dry_run) return *current;
    out = *DeleteLocked(c, BucketKey(res), key, current, options, &gone);
    ReconcileLocked(c);
  }
  if (removed != nullptr) *removed = gone;
  c.changed.NotifyChanged();
  return out;
}

json Store::DeleteCollection(const ResourceInfo& res, const std::string& ns,
                             const ListOptions& options, const DeleteOptions& delete_options) {
  ValidateListOptions(options, false);
  ValidateDeleteOptions(delete_options);
  Selectors sel = ParseSelectors(res, options);
  auto& c = *impl_->core;
  json items = json::array();
  int64_t rv;
  {
    WriteLock lock(c);
    auto b = c.buckets.find(BucketKey(res));
    if (b != c.buckets.end()) {
      auto [lo, hi] = NamespaceRange(res, ns);
      std::vector<std::pair<std::string, ObjectPtr>> victims;
      for (auto it = b->second.lower_bound(lo); it != b->second.end() && it->first < hi; ++it) {
        if (sel.Matches(*it->second)) victims.emplace_back(it->first, it->second);
      }
      Bucket& objs = b->second;  // stays valid while deletions elsewhere add buckets
      for (auto& [key, obj] : victims) {
        if (delete_options.dry_run) {
          items.push_back(*obj);
          continue;
        }
        // A namespace's cascade (or the garbage collector) may have taken it meanwhile.
        auto now_stored = objs.find(key);
        if (now_stored == objs.end()) continue;
        bool gone = false;
        items.push_back(
            *DeleteLocked(c, BucketKey(res), key, now_stored->second, delete_options, &gone));
      }
      ReconcileLocked(c);
    }
    rv = c.rv;
  }
  c.changed.NotifyChanged();
  return {{"kind", res.ListKind()},
          {"apiVersion", res.ApiVersion()},
          {"metadata", {{"resourceVersion", std::to_string(rv)}}},
          {"items", std::move(items)}};
}

namespace {

// Names the object's kind and apiVersion as `res` serves them; returns its namespace.
std::string Identify(const ResourceInfo& res, json& object) {
  object["kind"] = res.kind;
  object["apiVersion"] = res.ApiVersion();
  return ResolveNamespace(res, "", object);
}

// Put's write, once the object is known to be acceptable (Identify'd, in namespace `obj_ns`):
// identity, defaults, the commit.
ObjectPtr PutChecked(Core& c, const ResourceInfo& res, const std::string& obj_ns, json object) {
  std::string name = MetaString(object, "name");
  ObjectPtr stored;
  {
    WriteLock lock(c);
    auto& bucket = c.buckets[BucketKey(res)];
    auto key = ObjectKey(res, obj_ns, name);
    auto it = bucket.find(key);
    ObjectPtr current = it == bucket.end() ? nullptr : it->second;
    json& m = Meta(object);
    if (!m.contains("uid")) {
      m["uid"] = current && (*current)["metadata"].contains("uid") ? (*current)["metadata"]["uid"]
                                                                   : json(c.NewUid());
    }
    if (!m.contains("creationTimestamp")) m["creationTimestamp"] = FormatTime(c.now());
    if (TracksGeneration(res) && !m.contains("generation")) m["generation"] = 1;
    ApplyKindDefaults(res, object);
    defaults::Apply(res, object, !current);
    if (IsCore(res, "services")) {
      AssignClusterIp(c, object, current.get());
      AssignNodePorts(c, object, current.get());
    }
    std::vector<ResourceInfo> serves;
    if (IsCrdResource(res)) serves = PrepareCrd(object, FormatTime(c.now()));
    stored = c.Commit(current ? EventType::kModified : EventType::kAdded, BucketKey(res), obj_ns,
                      key, current, std::move(object));
    if (IsCrdResource(res)) RegisterCrd(c, current.get(), serves);
    // No garbage collection here: fixtures and restored state come in any order, a dependent
    // before its owner. What they leave to collect runs with the next write or tick.
  }
  c.changed.NotifyChanged();
  return stored;
}

}  // namespace

json Store::Put(const ResourceInfo& res, json object) {
  RequireObject(object);
  CheckBodyTypes(res, object);
  const std::string obj_ns = Identify(res, object);
  auto causes = MetadataCauses(res, object);
  if (!causes.empty()) {
    throw StatusError::Invalid(QualifiedKind(res), MetaString(object, "name"), causes);
  }
  return *PutChecked(*impl_->core, res, obj_ns, std::move(object));
}

void Store::PutOwn(const ResourceInfo& res, json object) {
  RequireObject(object);
  const std::string obj_ns = Identify(res, object);
  PutChecked(*impl_->core, res, obj_ns, std::move(object));
}

void Store::Observe(const ResourceInfo& res, StoreObserver observer) {
  auto& c = *impl_->core;
  WriteLock lock(c);
  c.observers[BucketKey(res)].push_back(std::move(observer));
}

void Store::Clear() {
  auto& c = *impl_->core;
  {
    WriteLock lock(c);
    c.buckets.clear();
    c.log.clear();
    c.last_change.clear();
    c.log_bytes = 0;
    c.oldest_at_ns.store(INT64_MAX);
    c.compacted = c.rv;
    ++c.epoch;
    for (const auto& [g, p] : c.crd_resources) c.registry->Remove(g, p);
    c.crd_resources.clear();
    c.life = {};
    for (const auto& [bucket, list] : c.observers) {
      for (const auto& observe : list) observe(nullptr, nullptr);
    }
    if (c.on_clear) c.on_clear();
  }
  c.changed.NotifyAll();
}

void Store::SetCompactionWindow(std::chrono::nanoseconds window) {
  impl_->core->history_age_ns.store(window.count() > 0 ? window.count() : 0);
  impl_->core->MaybeCompactAged();
}

int64_t Store::Compact(std::optional<int64_t> revision) {
  auto& c = *impl_->core;
  {
    WriteLock lock(c);
    c.CompactTo(revision.value_or(c.rv));
    revision = c.compacted;
  }
  c.changed.NotifyAll();  // watches behind it end now
  return *revision;
}

int64_t Store::compacted_revision() const {
  auto& c = *impl_->core;
  c.MaybeCompactAged();
  std::shared_lock lock(c.mu);
  return c.compacted;
}

bool Store::Tick() {
  auto& c = *impl_->core;
  bool changed;
  {
    // A tick that finds nothing due commits nothing, so the kept lists stay (WriteLock).
    WriteLock lock(c);
    changed = EndGracePeriodsLocked(c);
  }
  if (changed) c.changed.NotifyChanged();
  return changed;
}

}  // namespace kubedouble::fake
