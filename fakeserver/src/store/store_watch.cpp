// Watches: every watch reads the shared event log from its own position, woken by the change
// signal for its resource and namespace; no per-watch queues, no polling.
#include <atomic>
#include <mutex>

#include "store_core.h"
#include "validation.h"

namespace kubedouble::fake {
namespace {

using Clock = std::chrono::steady_clock;

json ExpiredStatus(const std::string& message) { return StatusError::Expired(message).ToStatus(); }

class StoreWatch : public Watch {
 public:
  StoreWatch(std::shared_ptr<Core> core, std::shared_ptr<const ResourceInfo> res, std::string ns,
             Selectors sel, const ListOptions& options)
      : core_(std::move(core)),
        info_(std::move(res)),
        res_(*info_),
        bucket_(BucketKey(res_)),
        ns_(res_.namespaced ? std::move(ns) : ""),
        sel_(std::move(sel)),
        bookmarks_(options.allow_watch_bookmarks),
        bookmark_interval_(options.bookmark_interval),
        last_delivery_(Clock::now()) {
    if (options.timeout_seconds && *options.timeout_seconds > 0) {
      timeout_at_ = Clock::now() + std::chrono::seconds(*options.timeout_seconds);
    }
  }

  ~StoreWatch() override {
    if (listener_ != 0) core_->changed.Forget(listener_);
  }

  // Sets the starting point under the caller's lock.
  void Start(const Core& c, const ListOptions& o) {
    epoch_ = c.epoch;
    bool initial = o.send_initial_events.value_or(false) ||
                   (!o.send_initial_events.has_value() &&
                    (o.resource_version.empty() || o.resource_version == "0"));
    initial_end_bookmark_ = o.send_initial_events.value_or(false);
    if (initial || o.resource_version.empty() || o.resource_version == "0") {
      pos_ = c.rv;
      if (initial) {
        auto [lo, hi] = NamespaceRange(res_, ns_);
        auto b = c.buckets.find(bucket_);
        if (b != c.buckets.end()) {
          for (auto it = b->second.lower_bound(lo); it != b->second.end() && it->first < hi; ++it) {
            if (sel_.empty() || sel_.Matches(*it->second)) initial_.push_back(it->second);
          }
        }
      }
      return;
    }
    const int64_t n = ParseResourceVersion(o.resource_version);
    pos_ = n;
    if (n < c.compacted) {
      pending_error_ = ExpiredStatus("too old resource version: " + std::to_string(n) + " (" +
                                     std::to_string(c.compacted) + ")");
    }
  }

  // An event to deliver: a stored state sent as it is, or an object made for this watch.
  struct RawEvent {
    std::string type;
    ObjectPtr stored;
    json synthesized;
  };

  std::optional<WatchEvent> Next(std::chrono::milliseconds wait) override {
    auto raw = NextRaw(wait);
    if (!raw) return std::nullopt;
    if (raw->stored) return WatchEvent{std::move(raw->type), Output(*raw->stored), nullptr};
    return WatchEvent{std::move(raw->type), std::move(raw->synthesized), nullptr};
  }

  std::optional<WatchEvent> NextEncoded(std::chrono::milliseconds wait) override {
    auto raw = NextRaw(wait);
    if (!raw) return std::nullopt;
    std::shared_ptr<const std::string> text;
    if (raw->stored && SameKind(res_, *raw->stored)) {
      text = raw->stored.SharedText();  // serialized once for every watcher
    } else if (raw->stored) {
      std::string out;
      AppendObject(out, res_, raw->stored);
      text = std::make_shared<const std::string>(std::move(out));
    } else {
      text = std::make_shared<const std::string>(
          raw->synthesized.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    return WatchEvent{std::move(raw->type), nullptr, std::move(text)};
  }

  bool finished() const override { return finished_; }

  void Stop() override {
    stopped_ = true;
    core_->changed.NotifyOne(listener_);
  }

  void OnChange(std::function<void()> fn) override {
    if (listener_ == 0) listener_ = core_->changed.Listen(std::move(fn), bucket_, ns_);
  }

  std::optional<Clock::time_point> due() const override {
    std::lock_guard guard(next_mu_);
    std::optional<Clock::time_point> at = timeout_at_;
    if (bookmarks_) {
      const auto bookmark = last_delivery_ + bookmark_interval_;
      if (!at || bookmark < *at) at = bookmark;
    }
    return at;
  }

 private:
  std::optional<RawEvent> NextRaw(std::chrono::milliseconds wait) {
    std::lock_guard guard(next_mu_);
    if (finished_) return std::nullopt;
    if (pending_error_) {
      finished_ = true;
      return RawEvent{"ERROR", nullptr, std::exchange(pending_error_, std::nullopt).value()};
    }
    if (initial_index_ < initial_.size()) {
      last_delivery_ = Clock::now();
      ObjectPtr obj = initial_[initial_index_++];
      if (initial_index_ == initial_.size()) initial_.clear(), initial_index_ = 0;
      return RawEvent{"ADDED", std::move(obj), nullptr};
    }
    if (initial_end_bookmark_) {
      initial_end_bookmark_ = false;
      last_delivery_ = Clock::now();
      return Bookmark(pos_, true);
    }
    const auto deadline = Clock::now() + wait;
    std::shared_lock lock(core_->mu);
    while (true) {
      // The word is read before stopped_: Stop() sets stopped_ and then moves the word on, so
      // either this look sees the stop or the wait below returns at once.
      const uint32_t seen = core_->changed.Current();
      if (stopped_) {
        finished_ = true;
        return std::nullopt;
      }
      // Nothing of this resource (in this namespace) since the last look: the changes after it
      // are other resources', whatever compacted them.
      if (core_->LastChange(bucket_, ns_) <= pos_) pos_ = std::max(pos_, core_->rv);
      if (core_->epoch != epoch_ || pos_ < core_->compacted) {
        finished_ = true;
        return RawEvent{"ERROR", nullptr,
                        ExpiredStatus("too old resource version: " + std::to_string(pos_) + " (" +
                                      std::to_string(core_->compacted) + ")")};
      }
      for (size_t i = core_->FirstAfter(pos_); i < core_->log.size(); ++i) {
        const Event& e = core_->log[i];
        pos_ = e.rv;
        if (auto ev = Classify(e)) {
          last_delivery_ = Clock::now();
          return ev;
        }
      }
      pos_ = std::max(pos_, core_->rv);
      auto now = Clock::now();
      if (timeout_at_ && now >= *timeout_at_) {
        finished_ = true;
        return std::nullopt;
      }
      if (bookmarks_ && now - last_delivery_ >= bookmark_interval_) {
        last_delivery_ = now;
        return Bookmark(pos_, false);
      }
      if (now >= deadline) return std::nullopt;
      auto until = deadline;
      if (timeout_at_) until = std::min(until, *timeout_at_);
      if (bookmarks_) until = std::min(until, last_delivery_ + bookmark_interval_);
      lock.unlock();
      core_->changed.WaitUntil(seen, until);
      lock.lock();
    }
  }

  json Output(const json& obj) const {
    json out = obj;
    out["kind"] = res_.kind;
    out["apiVersion"] = res_.ApiVersion();
    return out;
  }

  RawEvent Bookmark(int64_t rv, bool initial_end) const {
    json meta = {{"resourceVersion", std::to_string(rv)}};
    if (initial_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    return RawEvent{
        "BOOKMARK",
        nullptr,
        {{"kind", res_.kind}, {"apiVersion", res_.ApiVersion()}, {"metadata", std::move(meta)}}};
  }

  // What this watch sees of one change: an object entering the selection is ADDED, one
  // leaving it is DELETED (its previous state at the change's resourceVersion).
  std::optional<RawEvent> Classify(const Event& e) const {
    if (e.bucket != bucket_) return std::nullopt;
    if (!ns_.empty() && e.ns != ns_) return std::nullopt;
    bool was = e.before && (sel_.empty() || sel_.Matches(*e.before));
    bool is = e.type != EventType::kDeleted && (sel_.empty() || sel_.Matches(*e.after));
    switch (e.type) {
      case EventType::kAdded:
        if (is) return RawEvent{"ADDED", e.after, nullptr};
        break;
      case EventType::kModified:
        if (was && is) return RawEvent{"MODIFIED", e.after, nullptr};
        if (is) return RawEvent{"ADDED", e.after, nullptr};
        if (was) {
          json gone = Output(*e.before);
          gone["metadata"]["resourceVersion"] = std::to_string(e.rv);
          return RawEvent{"DELETED", nullptr, std::move(gone)};
        }
        break;
      case EventType::kDeleted:
        if (was) return RawEvent{"DELETED", e.after, nullptr};
        break;
    }
    return std::nullopt;
  }

  std::shared_ptr<Core> core_;
  std::shared_ptr<const ResourceInfo> info_;  // the registry's, shared when it can be
  const ResourceInfo& res_;
  std::string bucket_;
  std::string ns_;
  Selectors sel_;
  bool bookmarks_;
  std::chrono::milliseconds bookmark_interval_;
  Clock::time_point last_delivery_;
  std::optional<Clock::time_point> timeout_at_;

  mutable std::mutex next_mu_;  // Next() is meant for one reader; this keeps two from racing
  uint64_t listener_ = 0;       // OnChange's, in the store's ChangeSignal
  uint64_t epoch_ = 0;
  int64_t pos_ = 0;  // every change up to here has been looked at
  std::vector<ObjectPtr> initial_;
  size_t initial_index_ = 0;
  bool initial_end_bookmark_ = false;
  std::optional<json> pending_error_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> finished_{false};
};

}  // namespace

std::unique_ptr<Watch> Store::StartWatch(const ResourceInfo& res, const std::string& ns,
                                         const ListOptions& options) {
  ValidateListOptions(options, true);
  Selectors sel = ParseSelectors(res, options);
  // A watch lives long and there may be thousands: it shares the registry's description of its
  // resource when `res` is that very description (a handler's Lookup), rather than copying it.
  std::shared_ptr<const ResourceInfo> info =
      impl_->core->registry->Lookup(res.group, res.version, res.plural);
  if (info.get() != &res) info = std::make_shared<const ResourceInfo>(res);
  auto w = std::make_unique<StoreWatch>(impl_->core, std::move(info), ns, std::move(sel), options);
  impl_->core->MaybeCompactAged();
  std::shared_lock lock(impl_->core->mu);
  w->Start(*impl_->core, options);
  return w;
}

}  // namespace kubedouble::fake
