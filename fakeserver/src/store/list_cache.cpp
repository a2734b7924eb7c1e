#include "list_cache.h"

#include <string_view>

namespace kubedouble::fake {

namespace {
// Appends `value` as its length (the bytes of a size_t) and its bytes.
void Field(std::string& key, std::string_view value) {
  const size_t size = value.size();
  key.append(reinterpret_cast<const char*>(&size), sizeof size);
  key += value;
}
}  // namespace

std::string ListCache::Key(const ResourceInfo& res, const std::string& ns, const ListOptions& o) {
  std::string key;
  key.reserve(160 + ns.size() + o.label_selector.size() + o.field_selector.size() +
              o.continue_token.size());
  Field(key, res.group);
  Field(key, res.version);
  Field(key, res.plural);
  Field(key, res.kind);
  key += res.namespaced ? 'n' : 'c';
  Field(key, ns);
  Field(key, o.label_selector);
  Field(key, o.field_selector);
  key.append(reinterpret_cast<const char*>(&o.limit), sizeof o.limit);
  Field(key, o.continue_token);
  Field(key, o.resource_version);
  Field(key, o.resource_version_match);
  key += !o.send_initial_events ? '-' : *o.send_initial_events ? 't' : 'f';
  return key;
}

std::shared_ptr<const EncodedAnswer> ListCache::Find(const std::string& key, uint64_t state) const {
  std::lock_guard lock(mu_);
  if (state != state_) return nullptr;
  auto it = answers_.find(key);
  return it == answers_.end() ? nullptr : it->second;
}

void ListCache::Put(std::string key, uint64_t state, std::shared_ptr<const EncodedAnswer> answer) {
  const size_t size = answer->body.size();
  if (size > kMaxBytes) return;
  std::lock_guard lock(mu_);
  if (state < state_) return;  // made from a state that has changed since
  if (state > state_ || bytes_ + size > kMaxBytes || answers_.size() >= kMaxEntries) {
    answers_.clear();
    bytes_ = 0;
    state_ = state;
  }
  if (answers_.try_emplace(std::move(key), std::move(answer)).second) bytes_ += size;
}

}  // namespace kubedouble::fake
