// Small helpers of the store: keys, times, base64, the log.
#include <linux/futex.h>
#include <openssl/evp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <ctime>

#include <charconv>

#include "../util.h"
#include "kubedouble/base/rfc3339.h"
#include "lifecycle.h"
#include "store_core.h"

namespace kubedouble::fake {

void ChangeSignal::WakeSleepers() {
  word_.fetch_add(1, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
}

void ChangeSignal::Touch(const std::string& bucket, const std::string& ns) {
  std::lock_guard lock(listeners_mu_);
  for (const auto& [b, n] : touched_) {
    if (b == bucket && n == ns) return;
  }
  touched_.emplace_back(bucket, ns);
}

void ChangeSignal::NotifyChanged() {
  WakeSleepers();
  std::lock_guard lock(listeners_mu_);
  if (touched_.empty()) return;
  for (auto& [id, l] : listeners_) {
    for (const auto& [bucket, ns] : touched_) {
      if (l.bucket == bucket && (l.ns.empty() || l.ns == ns)) {
        l.fn();
        break;
      }
    }
  }
  touched_.clear();
}

void ChangeSignal::NotifyAll() {
  WakeSleepers();
  std::lock_guard lock(listeners_mu_);
  touched_.clear();
  for (auto& [id, l] : listeners_) l.fn();
}

void ChangeSignal::NotifyOne(uint64_t listener) {
  WakeSleepers();
  std::lock_guard lock(listeners_mu_);
  if (auto l = listeners_.find(listener); l != listeners_.end()) l->second.fn();
}

uint64_t ChangeSignal::Listen(std::function<void()> fn, std::string bucket, std::string ns) {
  std::lock_guard lock(listeners_mu_);
  const uint64_t id = ++next_listener_;
  listeners_.emplace(id, Listener{std::move(fn), std::move(bucket), std::move(ns)});
  return id;
}

void ChangeSignal::Forget(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

void ChangeSignal::WaitUntil(uint32_t seen, std::chrono::steady_clock::time_point until) const {
  auto left = until - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return;
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
  timespec rel{static_cast<time_t>(secs.count()),
               static_cast<long>(std::chrono::nanoseconds(left - secs).count())};
  // Returns at once when the word already differs (EAGAIN), on a wake-up, a signal or timeout.
  ::syscall(SYS_futex, reinterpret_cast<const uint32_t*>(&word_), FUTEX_WAIT_PRIVATE, seen, &rel,
            nullptr, 0);
}

namespace {
// The length of `value` as compact JSON text, worked out without writing it: exact but for the
// escapes a string may need, which is all the history's byte bound asks.
size_t TextBytes(const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      const auto& o = value.get_ref<const json::object_t&>();
      size_t n = o.empty() ? 2 : 1 + o.size();  // braces and commas
      for (const auto& [k, v] : o) n += k.size() + 3 + TextBytes(v);
      return n;
    }
    case json::value_t::array: {
      const auto& a = value.get_ref<const json::array_t&>();
      size_t n = a.empty() ? 2 : 1 + a.size();
      for (const auto& v : a) n += TextBytes(v);
      return n;
    }
    case json::value_t::string:
      return value.get_ref<const std::string&>().size() + 2;
    case json::value_t::boolean:
      return value.get<bool>() ? 4 : 5;
    case json::value_t::null:
      return 4;
    case json::value_t::number_integer: {
      char buf[24];
      return static_cast<size_t>(
          std::to_chars(buf, buf + sizeof buf, value.get<json::number_integer_t>()).ptr - buf);
    }
    case json::value_t::number_unsigned: {
      char buf[24];
      return static_cast<size_t>(
          std::to_chars(buf, buf + sizeof buf, value.get<json::number_unsigned_t>()).ptr - buf);
    }
    default:
      return value.dump().size();  // floats, binary: rare in an object
  }
}
}  // namespace

ObjectPtr Core::Commit(EventType type, const std::string& bucket, const std::string& ns,
                       const std::string& key, ObjectPtr before, json after) {
  int64_t r = ++rv;
  after["metadata"]["resourceVersion"] = std::to_string(r);
  ObjectPtr stored = ObjectPtr::Make(std::move(after));
  if (on_commit) {
    try {
      on_commit(Event{r, type, bucket, ns, key, before, stored, 0});
    } catch (...) {
      --rv;
      throw;
    }
  }
  auto& b = buckets[bucket];
  if (type == EventType::kDeleted) {
    b.erase(key);
  } else {
    b[key] = stored;
  }
  TrackChange(*this, bucket, key, before.get(),
              type == EventType::kDeleted ? nullptr : stored.get());
  // The text is made at the first read (ObjectPtr::Text) and reused by every list, get and watch
  // after it; most of what a start stores (the bootstrap policy) is never read. The history
  // counts the length it will have.
  size_t bytes = TextBytes(*stored);
  if (auto o = observers.find(bucket); o != observers.end()) {
    const json* after_state = type == EventType::kDeleted ? nullptr : stored.get();
    for (const auto& observe : o->second) observe(before.get(), after_state);
  }
  log.push_back(Event{r, type, bucket, ns, key, std::move(before), stored, bytes, now()});
  last_change[bucket] = r;
  if (!ns.empty()) last_change[bucket + '\n' + ns] = r;
  changed.Touch(bucket, ns);
  log_bytes += bytes;
  while (log.size() > window || (log_bytes > history_bytes && log.size() > 1)) {
    compacted = log.front().rv;
    log_bytes -= log.front().bytes;
    log.pop_front();
  }
  CompactAged();
  return stored;
}

namespace {
int64_t Nanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

int64_t Core::LastChange(const std::string& bucket, const std::string& ns) const {
  auto it = last_change.find(ns.empty() ? bucket : bucket + '\n' + ns);
  return it == last_change.end() ? 0 : it->second;
}

void Core::CompactTo(int64_t r) {
  while (!log.empty() && log.front().rv <= r) {
    log_bytes -= log.front().bytes;
    log.pop_front();
  }
  compacted = std::max(compacted, std::min(r, rv));
  oldest_at_ns.store(log.empty() ? INT64_MAX : Nanos(log.front().at));
}

void Core::CompactAged() {
  const int64_t age = history_age_ns.load();
  if (age > 0) {
    const int64_t cutoff = Nanos(now()) - age;
    int64_t to = compacted;
    for (const Event& e : log) {
      if (Nanos(e.at) >= cutoff) break;
      to = e.rv;
    }
    if (to > compacted) return CompactTo(to);
  }
  oldest_at_ns.store(log.empty() ? INT64_MAX : Nanos(log.front().at));
}

void Core::MaybeCompactAged() {
  const int64_t age = history_age_ns.load();
  if (age <= 0) return;
  const int64_t oldest = oldest_at_ns.load();
  if (oldest == INT64_MAX || oldest >= Nanos(now()) - age) return;
  WriteLock lock(*this);
  CompactAged();
}

size_t Core::FirstAfter(int64_t r) const {
  auto it = std::upper_bound(log.begin(), log.end(), r,
                             [](int64_t v, const Event& e) { return v < e.rv; });
  return static_cast<size_t>(it - log.begin());
}

std::string Core::NewUid() {
  const uint64_t high = rng();
  return util::UuidFromBits(high, rng());
}

std::string Core::RandomSuffix(size_t n) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";  // as apiserver's generateName
  std::string s;
  for (size_t i = 0; i < n; ++i) s += alphabet[rng() % (sizeof alphabet - 1)];
  return s;
}

std::string BucketKey(const ResourceInfo& res) { return res.group + "/" + res.plural; }

std::string ObjectKey(const ResourceInfo& res, const std::string& ns, const std::string& name) {
  return res.namespaced ? ns + "/" + name : name;
}

std::pair<std::string, std::string> NamespaceRange(const ResourceInfo& res, const std::string& ns) {
  if (!res.namespaced || ns.empty()) return {"", "\x7f\x7f"};
  return {ns + "/", ns + "0"};  // '0' follows '/'
}

std::string FormatTime(std::chrono::system_clock::time_point t) { return base::FormatRfc3339(t); }

std::optional<std::chrono::system_clock::time_point> ParseTime(const std::string& s) {
  return base::ParseRfc3339(s);
}

const std::string& MetaString(const json& object, const char* field) {
  static const std::string empty;
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return empty;
  auto f = m->find(field);
  if (f == m->end() || !f->is_string()) return empty;
  return f->get_ref<const std::string&>();
}

int64_t ParseResourceVersion(const std::string& text) {
  int64_t v = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    throw StatusError::BadRequest("invalid resource version \"" + text +
                                  "\": must be a non-negative integer");
  }
  return v;
}

}  // namespace kubedouble::fake
