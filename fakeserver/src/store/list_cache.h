// Recent list answers (Store::ListJson, Store::ListAnswer: a body and its Content-Type), each kept
// for the store state it was made from: a list repeated while nothing changed is sent again
// without being built again, as kube-apiserver's watch cache answers repeated lists from memory.
// An answer is shared, never changed: the server writes its body from here, with no copy. It is
// found only under the key of the same resource, namespace, options (and form), and only while the
// state it was made from is the current one: any change of the store moves the state on
// (WriteLock, store_core.h), and the first answer made from the new state drops the older ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

class ListCache {
 public:
  // Bounds: a body over kMaxBytes is not kept; the cache starts over when it would hold more
  // than kMaxBytes of bodies or kMaxEntries.
  static constexpr size_t kMaxBytes = size_t{32} << 20;
  static constexpr size_t kMaxEntries = 256;

  // Everything a list answer depends on besides the store's state: the resource as
  // served (group, version, plural, kind, scope), the namespace and every list option a list
  // reads. Unambiguous whatever bytes the values carry.
  static std::string Key(const ResourceInfo& res, const std::string& ns, const ListOptions& o);

  // The answer kept for `key` at `state`; nullptr when there is none.
  std::shared_ptr<const EncodedAnswer> Find(const std::string& key, uint64_t state) const;
  // Keeps `answer`, made for `key` from `state` (ignored when a newer state's answers are kept).
  void Put(std::string key, uint64_t state, std::shared_ptr<const EncodedAnswer> answer);

 private:
  mutable std::mutex mu_;
  uint64_t state_ = 0;
  size_t bytes_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const EncodedAnswer>> answers_;
};

}  // namespace kubedouble::fake
