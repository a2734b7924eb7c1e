// Field ownership as kube-apiserver's field manager keeps it in metadata.managedFields.
//
// Every create, update and patch records an `Update` entry for its manager: the fields the write
// added or changed (compared by the kind's MergeShape), taken from whoever owned them before;
// fields it removed leave every owner. A server-side apply (PATCH application/apply-patch+yaml)
// merges the applied configuration into the object by the schema, owns exactly the fields it
// sent under an `Apply` entry, removes the fields the manager applied last time and no longer
// sends unless someone else owns them, and is refused with a 409 when it would change a field
// another manager owns (unless forced, which moves the ownership).
//
// The server's own metadata (name, namespace, uid, resourceVersion, generation,
// creationTimestamp, managedFields, ...) and apiVersion and kind are never owned.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "field_set.h"
#include "merge_shape.h"

namespace kubedouble::fake {

// Who writes, and how (one request).
struct FieldManagerContext {
  std::string manager;      // ?fieldManager=, or derived from the User-Agent
  std::string api_version;  // the apiVersion written: "apps/v1"
  std::string subresource;  // "status" for writes of …/status, else empty
  std::string now;          // the server's clock, RFC 3339
};

// One metadata.managedFields entry.
struct ManagedEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;  // may be empty
  std::string subresource;
  FieldSet fields;
  // The same manager as upstream identifies one: manager, operation and subresource, and for
  // Update the apiVersion.
  bool SameManager(const ManagedEntry& other) const;
  // How a conflict names it: "\"kubectl-edit\" using apps/v1", "\"flux\"".
  std::string Describe() const;
};
using ManagedEntries = std::vector<ManagedEntry>;

// The entries of a metadata.managedFields list; nullopt when it is not one (an entry without
// operation Apply or Update, fieldsType other than FieldsV1, fieldsV1 not a path tree, ...).
std::optional<ManagedEntries> DecodeManagedFields(const json& list);
// The list as upstream writes it: Apply entries first, then by time, manager, apiVersion.
json EncodeManagedFields(const ManagedEntries& entries);

// The fields set in `object` (an applied configuration), as the owner of every one of them.
// Throws a 422-like StatusError when an item of a keyed list lacks a key.
FieldSet ToFieldSet(const json& object, const MergeShape& root);

// What changed between two states of an object: fields added, changed and removed.
struct FieldChanges {
  FieldSet added, modified, removed;
};
FieldChanges CompareObjects(const json* before, const json& after, const MergeShape& root);

// `applied` merged into `live` by the schema: maps and structs field by field, keyed lists and
// sets item by item, atomic values replaced; a null in `applied` removes the field.
json MergeApplied(const json& live, const json& applied, const MergeShape& root);

// Records an Update by ctx.manager: `object` is the state about to be stored (with the
// managedFields the client sent, if any), `before` the stored one (nullptr on create). Sets
// object.metadata.managedFields. A client's list of one empty entry ([{}]) removes them all; an
// empty or invalid list keeps the stored ones.
void RecordUpdate(const json* before, json& object, const MergeShape& root,
                  const FieldManagerContext& ctx);

// A server-side apply of `applied` to `live` (nullptr: the object does not exist yet): returns
// the object to store, with managedFields. Throws the 409 Conflict naming every field another
// manager owns and the apply would change, unless `force`.
json ApplyConfiguration(const json* live, const json& applied, const MergeShape& root,
                        const FieldManagerContext& ctx, bool force);

// The manager of a write without ?fieldManager=: the User-Agent up to its first '/', printable
// characters only, at most 128 bytes ("kubectl", "OpenAPI-Generator").
std::string ManagerFromUserAgent(const std::string& user_agent);
// The causes for a ?fieldManager= kube-apiserver refuses (longer than 128 bytes, unprintable
// characters); empty when it is fine.
json FieldManagerCauses(const std::string& manager);

}  // namespace kubedouble::fake
