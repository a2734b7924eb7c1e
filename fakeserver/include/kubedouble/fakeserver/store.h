// kubedouble::fake — the object store behind the fake API server.
//
// One generic store for every served resource. Objects are nlohmann::json values exactly as they
// travel on the wire (kind, apiVersion, metadata, spec, status, data, ...). Every change takes the
// next value of one global, strictly increasing resourceVersion counter and is kept in a bounded
// history window, from which watches resume and continue tokens are validated.
//
// The window holds at most `history_window` changes (10,000) and at most `history_bytes` of the
// changed objects' JSON text (64 MiB; in memory the parsed objects take a few times that): of
// 2.9 MB objects it keeps 22 versions, not 10,000 (~30 GB). The newest change is always kept. A
// watch from a resourceVersion older than the window gets the 410 Expired "too old resource
// version" error, and a continue token older than it a 410 Expired, as kube-apiserver answers
// once etcd has compacted; a watch that falls behind the window ends with the same error.
//
// Errors a client can cause are thrown as StatusError, which carries the Kubernetes Status the
// server sends back (code, reason, message, details) — never anything that would become a 500.
// Thread-safe: every member function may be called from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kubedouble/fakeserver/encoded_answer.h"

namespace kubedouble::fake {

using json = nlohmann::json;

// A Kubernetes Status error: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
// "message":..., "reason":..., "details":..., "code":...}.
class StatusError : public std::runtime_error {
 public:
  StatusError(int code, std::string reason, std::string message, json details = nullptr);
  int code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const json& details() const { return details_; }
  json ToStatus() const;  // the full Status object

  // The usual ones, worded as a real API server words them (see wire-format.md).
  static StatusError NotFound(const std::string& resource, const std::string& name);
  static StatusError AlreadyExists(const std::string& resource, const std::string& name);
  static StatusError Conflict(const std::string& resource, const std::string& name,
                              const std::string& why);
  static StatusError BadRequest(const std::string& message);
  static StatusError Invalid(const std::string& kind, const std::string& name, json causes);
  static StatusError Expired(const std::string& message);
  static StatusError UnsupportedMediaType(const std::string& message);
  static StatusError MethodNotAllowed();

 private:
  int code_;
  std::string reason_;
  json details_;
};

// A subresource of a served resource (pods/status, deployments/scale, serviceaccounts/token).
struct SubresourceInfo {
  std::string name;  // "scale"
  // The kind it takes and returns; group and version empty when they are the resource's own.
  std::string group;    // "autoscaling"
  std::string version;  // "v1"
  std::string kind;     // "Scale"
  std::vector<std::string> verbs;
};

// One served resource, as discovery describes it.
struct ResourceInfo {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string kind;      // "Pod"
  std::string plural;    // "pods"
  std::string singular;  // "pod"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs = {"create", "delete", "deletecollection", "get",
                                    "list",   "patch",  "update",           "watch"};
  std::vector<SubresourceInfo> subresources;
  // A custom resource's additionalPrinterColumns (its CRD version's), for Tables; null: none.
  json printer_columns;
  bool Allows(const std::string& verb) const;  // `verb` is one of `verbs`
  // nullptr when `name` is not a subresource of this resource.
  const SubresourceInfo* Subresource(const std::string& name) const;
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::string ListKind() const { return kind + "List"; }
};

// The resources the store serves. Starts with every resource a default Kubernetes 1.32 server
// serves (kubedouble::schema: core, apps, batch, rbac, networking, policy, ...); more are added by
// --resources files or by creating a CustomResourceDefinition.
class Registry {
 public:
  Registry();                          // the built-in resources
  void Add(const ResourceInfo& info);  // replaces one with the same group/version/plural
  // Removes every version of group/plural (a deleted CustomResourceDefinition); false if none.
  bool Remove(const std::string& group, const std::string& plural);
  // By group, version and plural name; nullopt when not served.
  std::optional<ResourceInfo> Find(const std::string& group, const std::string& version,
                                   const std::string& plural) const;
  // Find, without a copy: the description as served now, shared (a later Add or Remove does not
  // change it); nullptr when not served.
  std::shared_ptr<const ResourceInfo> Lookup(const std::string& group, const std::string& version,
                                             const std::string& plural) const;
  std::optional<ResourceInfo> FindByKind(const std::string& api_version,
                                         const std::string& kind) const;
  // Stable order: core first, then the built-in groups in the order of `GET /apis`, then other
  // groups by name; within a group, versions by priority (built-in) or as added.
  std::vector<ResourceInfo> All() const;
  // Bumped on every Add, so discovery answers can be cached with an ETag.
  uint64_t generation() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Resources from a `--resources FILE`: a YAML list (or a map with a `resources:` list) of entries
//   - {group: example.com, version: v1, kind: Widget, plural: widgets, singular: widget,
//      namespaced: true, shortNames: [wd], categories: [all]}
// `kind` and `version` are required; plural defaults to lower-case kind + "s", singular to
// lower-case kind, namespaced to true. Throws std::runtime_error naming the source and the entry
// ("resources.yaml: entry 2 (kind Widget): plural \"Wid gets\" is not a lower-case DNS label").
std::vector<ResourceInfo> ParseResources(const std::string& yaml_text, const std::string& source);
std::vector<ResourceInfo> LoadResourcesFile(const std::string& path);

// Query parameters of a list or watch, as received (strings, unvalidated).
struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // 0: no limit
  std::string continue_token;
  std::string resource_version;
  std::string resource_version_match;
  // Watch only.
  bool allow_watch_bookmarks = false;
  std::optional<bool> send_initial_events;
  std::optional<int64_t> timeout_seconds;
  // With allow_watch_bookmarks: Watch::Next() returns a BOOKMARK (carrying the latest
  // resourceVersion the watch has seen) when no event was delivered for this long.
  std::chrono::milliseconds bookmark_interval{std::chrono::seconds(30)};
};

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  json object;       // null when `encoded` is set (NextEncoded)
  // From NextEncoded: the object as compact JSON, shared by every watcher of the change.
  std::shared_ptr<const std::string> encoded;
};

// A live watch. Events are delivered in resourceVersion order by calling Next(), which blocks
// until an event, the timeout, or Stop(). Destroying the handle unregisters the watch.
// Bookmarks: with allow_watch_bookmarks, a Next() call that finds nothing to deliver returns a
// BOOKMARK once `bookmark_interval` has passed since the last delivered event or bookmark.
// timeoutSeconds: once it has passed, Next() returns nullopt and finished() is true.
// A watcher that falls behind the history window (or a Store::Clear) gets the 410 ERROR event;
// only changes of its own resource (in its namespace) can leave it behind.
class Watch {
 public:
  virtual ~Watch() = default;
  // Waits up to `wait` for the next event; nullopt on timeout or when stopped. After an ERROR
  // event (e.g. 410 Expired) or Stop() the watch is finished.
  virtual std::optional<WatchEvent> Next(std::chrono::milliseconds wait) = 0;
  // Next(), with the object already encoded as JSON in `encoded` (and `object` null): a change
  // is serialized once for all the watches that send it unchanged.
  virtual std::optional<WatchEvent> NextEncoded(std::chrono::milliseconds wait) {
    auto event = Next(wait);
    if (event && !event->encoded) {
      event->encoded = std::make_shared<const std::string>(
          event->object.dump(-1, ' ', false, json::error_handler_t::replace));
      event->object = nullptr;
    }
    return event;
  }
  virtual bool finished() const = 0;
  virtual void Stop() = 0;

  // For a reader that waits without a thread (a watch answered by a parked stream): `fn` runs
  // after every change of the watch's resource in its namespace (any namespace for a watch of
  // all), after a Clear or Compact, and on Stop() — on the writer's thread, outside the store's
  // lock, until the watch is destroyed — so that Next(0) may have an event now. It must be
  // quick, must not block and must not call the store. Set once, before the first Next().
  virtual void OnChange(std::function<void()> fn) = 0;
  // When an event comes by time alone, without a change: the next bookmark or the end of
  // timeoutSeconds. nullopt: only a change (or Stop) brings one.
  virtual std::optional<std::chrono::steady_clock::time_point> due() const = 0;
};

enum class PatchType { kMerge, kJson, kStrategicMerge, kApply };
// From a Content-Type; nullopt for anything else (the server answers 415).
std::optional<PatchType> ParsePatchType(const std::string& content_type);

struct WriteOptions {
  bool dry_run = false;  // dryRun=All: validate and answer, change nothing
  // A write of the status subresource (…/status): only the body's status is taken, the rest of
  // the object stays as stored. Without it, a kind with a status subresource keeps its status.
  bool status_only = false;
  // A write of a namespace's …/finalize: only the body's spec.finalizers is taken.
  bool finalizers_only = false;
  // A write of a pod's …/ephemeralcontainers: only the body's spec.ephemeralContainers is
  // taken; the ones the pod has may not be removed or changed (422).
  bool ephemeral_containers_only = false;
  // Who writes (metadata.managedFields): the ?fieldManager= of the request, or the manager its
  // User-Agent gives (field_manager.h). Required for a server-side apply.
  std::string field_manager = {};
  // force=true of a server-side apply: take the fields other managers own instead of a 409.
  bool force = false;
  // The body is the server's own, made whole by kubedouble from nothing a client wrote (the
  // control plane's nodes, leases and the kubernetes Service, a pod's binding and status): its
  // field types, metadata and contents are not checked, which such a body always passes. It is
  // defaulted, stored, recorded in managedFields and watched as any other write.
  bool trusted = false;
};

struct DeleteOptions {
  bool dry_run = false;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  // "Background", "Foreground", "Orphan", or empty for the object's own (its finalizers say).
  std::string propagation_policy;
  std::optional<bool> orphan_dependents;  // the older form of Orphan (true) / Background (false)
  // A pod's grace period; unset: the pod's terminationGracePeriodSeconds, else 30.
  std::optional<int64_t> grace_period_seconds;
};

// Sees every committed change of one resource before the write that made it returns, so that
// state derived from the store (the RBAC authorizer's) is current for the very next request.
// `before` is null for an addition, `after` null for a deletion; both null when Store::Clear
// removed every object. Called under the store's write lock: it must not call the store.
using StoreObserver = std::function<void(const json* before, const json* after)>;

// Time source for creationTimestamp and the like (the fake clock plugs in here).
using NowFn = std::function<std::chrono::system_clock::time_point()>;

// A resourceVersion parameter as kube-apiserver reads it: a non-negative integer, else a 400
// BadRequest naming it (a StatusError).
int64_t ParseResourceVersion(const std::string& text);

class Store {
 public:
  static constexpr size_t kDefaultHistoryBytes = 64u << 20;
  explicit Store(std::shared_ptr<Registry> registry, NowFn now = nullptr,
                 size_t history_window = 10000, size_t history_bytes = kDefaultHistoryBytes);
  ~Store();

  const std::shared_ptr<Registry>& registry() const;

  // `ns` is empty for cluster-scoped resources and for "all namespaces" lists/watches.
  // The object; a NotFound StatusError when there is none (a request's answer).
  json Get(const ResourceInfo& res, const std::string& ns, const std::string& name) const;
  // The object as Get returns it; nullopt when there is none (an expected miss, not an error).
  std::optional<json> Find(const ResourceInfo& res, const std::string& ns,
                           const std::string& name) const;
  // Whether the object exists (no copy made).
  bool Contains(const ResourceInfo& res, const std::string& ns, const std::string& name) const;
  // A list object: {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":...,
  // "continue":...,"remainingItemCount":...},"items":[...]} with kind/apiVersion on every item.
  json List(const ResourceInfo& res, const std::string& ns, const ListOptions& options) const;
  // Get(...).dump() and List(...).dump(), made from each object's stored JSON text (no copies):
  // what the server sends for plain JSON reads.
  std::string GetJson(const ResourceInfo& res, const std::string& ns,
                      const std::string& name) const;
  std::string ListJson(const ResourceInfo& res, const std::string& ns,
                       const ListOptions& options) const;
  // ListJson's text as it is kept (shared, never changed; the server writes it with no copy).
  std::shared_ptr<const std::string> SharedListJson(const ResourceInfo& res, const std::string& ns,
                                                    const ListOptions& options) const;
  // A list answer in another form (YAML, protobuf, a transform; named by `form`): `make` turns
  // the list, as List returns it, into the answer. Like ListJson's text, the answer is kept for
  // the store's state and given again (shared, never changed) for the same list and form until
  // the store changes; `make` runs only when none is kept. What `make` throws goes to the caller,
  // unkept. `make` must give the same answer for the same list and form (nothing by the clock).
  std::shared_ptr<const EncodedAnswer> ListAnswer(
      const ResourceInfo& res, const std::string& ns, const ListOptions& options,
      const std::string& form, const std::function<EncodedAnswer(json list)>& make) const;
  json Create(const ResourceInfo& res, const std::string& ns, json object,
              const WriteOptions& options = {});
  json Update(const ResourceInfo& res, const std::string& ns, const std::string& name, json object,
              const WriteOptions& options = {});
  // PatchType::kApply is a server-side apply (`body` YAML or JSON, options.field_manager
  // required): it creates the object when it does not exist, and records field ownership in
  // metadata.managedFields; a change of fields other managers own is a 409 Conflict unless
  // options.force. Every write records the fields it changed for options.field_manager.
  json Patch(const ResourceInfo& res, const std::string& ns, const std::string& name,
             PatchType type, const std::string& body, const WriteOptions& options = {});
  // Deletes as kube-apiserver does (the lifecycle in store/lifecycle.h): an object with
  // finalizers, a pod bound to a node (its grace period) and a namespace (its content) are marked
  // with a deletionTimestamp and kept; anything else goes at once, and dependents follow by
  // their ownerReferences and the propagation policy. Returns the object as the client is sent it:
  // marked, or its last state; `removed` (optional) says which.
  json Delete(const ResourceInfo& res, const std::string& ns, const std::string& name,
              const DeleteOptions& options = {}, bool* removed = nullptr);
  json DeleteCollection(const ResourceInfo& res, const std::string& ns, const ListOptions& options,
                        const DeleteOptions& delete_options = {});
  std::unique_ptr<Watch> StartWatch(const ResourceInfo& res, const std::string& ns,
                                    const ListOptions& options);

  // Adds an observer of every later change of `res` (all its versions); not removable.
  void Observe(const ResourceInfo& res, StoreObserver observer);

  // Creates or replaces without validation of resourceVersion (fixtures, admin API).
  json Put(const ResourceInfo& res, json object);
  // As Put, for an object the server makes itself (the default fixtures, the bootstrap policy:
  // tests check that Put accepts each of them): neither checked against the schema nor copied
  // back, which the start does not pay for.
  void PutOwn(const ResourceInfo& res, json object);
  // Removes every object and history (admin reset); the resourceVersion counter keeps growing.
  void Clear();
  // Time-based compaction, as kube-apiserver has etcd compact its history (every 5 minutes):
  // the changes committed more than `window` ago by the store's clock (NowFn: the fake clock
  // when the server has one) leave the history, on the next read or write that looks at it.
  // Zero (the default of a Store) keeps them until the count and byte bounds push them out.
  void SetCompactionWindow(std::chrono::nanoseconds window);
  // Compacts the history now, up to `revision` (the current resourceVersion when absent):
  // watches and exact lists from an older resourceVersion get 410 Expired, and watches still
  // behind it end with the 410 ERROR event. Returns the revision compacted to.
  int64_t Compact(std::optional<int64_t> revision = std::nullopt);
  // The oldest resourceVersion a watch can still start from.
  int64_t compacted_revision() const;
  // Ends the grace periods of deleted pods that are over by the store's clock, as a kubelet
  // confirms a pod's deletion, and what follows (a namespace emptied, an owner released). The
  // server calls it as its clock moves. True when anything changed.
  bool Tick();
  int64_t resource_version() const;

  // Durability (kubedouble/fakeserver/persist.h; store/persist.cpp): loads the write-ahead log
  // `file` into this store with each object's resourceVersion as it was, rewrites the log
  // compacted, and from then on appends every change to it, fsync'd before the change returns.
  // Returns whether the log held any object. Throws std::runtime_error naming the file and line
  // of a damaged record (a torn last line, never acknowledged, is dropped).
  bool Persist(const std::string& file);
  // Every object with its kind and apiVersion, in an order that loads back: definitions
  // (CustomResourceDefinitions), namespaces, then the rest by resourceVersion.
  std::vector<json> Snapshot() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Server-side printing for `kubectl get` (Accept: ...;as=Table;g=meta.k8s.io;v=v1).
// `list_or_object` is a list from Store::List or a single object. Rows carry
// PartialObjectMetadata; the Table carries metadata.resourceVersion (and continue).
// `include_column_definitions` false gives an empty columnDefinitions (later watch events).
// Ages (AGE, DURATION, LAST SEEN) count to `now`: the server's clock, which a fake clock may have
// moved past the system's.
json ToTable(const ResourceInfo& res, const json& list_or_object, bool include_column_definitions,
             std::chrono::system_clock::time_point now);

// The additionalPrinterColumns of the CRD version that serves custom resource `res` (null for a
// built-in resource, or a CRD without them): what ToTable shows when set in res.printer_columns.
json CrdPrinterColumns(const Store& store, const Registry& registry, const ResourceInfo& res);

// The fields of a write's body that objects of `res` do not have, erased from `body` (as
// kube-apiserver never stores them): the built-in kinds' Go types for built-in resources, the
// CRD's structural schema for custom resources (except under x-kubernetes-preserve-unknown-fields).
// Paths as fieldValidation reports them: "spec.replcas", "spec.items[0].bogus".
std::vector<std::string> PruneUnknownFields(const Store& store, const ResourceInfo& res,
                                            json& body);

}  // namespace kubedouble::fake
