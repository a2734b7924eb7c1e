// The persisted store of a state folder (`kubedouble serve --persist`): DIR/store.wal.
//
// A write-ahead log of JSON lines, one per change, appended and fsync'd under the store's lock
// before the change is applied and answered, so a crash (kill -9, power loss) loses no write a
// client was told about:
//
//   {"rv":12,"put":"apps/deployments","key":"default/web","object":{...the whole object...}}
//   {"rv":13,"delete":"/pods","key":"default/web-1"}
//   {"rv":14,"clear":true}
//
// On start the server replays the log (the last state of each object, with its resourceVersion;
// the counter continues from the highest one), then rewrites it compacted (one "put" per live
// object) through a temporary file and a rename; the log is compacted again whenever it grows
// past twice its compacted size (at least 64 MiB). A torn last line — a write cut short, never
// acknowledged — is dropped; a damaged line before it stops the start with the file and line.
//
// These functions read and write the log of a server that is not running (`kubedouble snapshot
// save|restore --dir DIR`); a running server owns it (see Store::Persist and Store::Snapshot).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <vector>

namespace kubedouble::fake {

// DIR/store.wal.
std::filesystem::path StoreLogPath(const std::filesystem::path& dir);

// The objects the log holds (the last state of each), in loading order: definitions
// (CustomResourceDefinitions), namespaces, then the rest by resourceVersion. An absent file
// holds none. Throws std::runtime_error naming the file and line of a damaged record.
std::vector<nlohmann::json> ReadStoreLog(const std::filesystem::path& file);

// Replaces the log with one holding `objects` (each with apiVersion, kind and metadata.name),
// written to a temporary file, fsync'd and renamed over it. An object keeps a numeric
// metadata.resourceVersion that is higher than the one before it; the others get the next one.
void WriteStoreLog(const std::filesystem::path& file, const std::vector<nlohmann::json>& objects);

}  // namespace kubedouble::fake
