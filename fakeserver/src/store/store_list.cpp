// Lists: selectors, resourceVersion semantics, and limit/continue over a consistent snapshot.
#include <charconv>
#include <limits>
#include <mutex>

#include "../negotiate.h"
#include "../util.h"
#include "kubedouble/base/encoding.h"
#include "store_core.h"
#include "validation.h"

namespace kubedouble::fake {
namespace {

const char kContinueExpired[] =
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter.";

std::string EncodeContinue(int64_t rv, const std::string& start) {
  json j = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start}};
  return base::Base64UrlEncode(j.dump());
}

// {rv, start key}; 400 for anything that is not a token this store issued.
std::pair<int64_t, std::string> DecodeContinue(const std::string& token) {
  auto bad = [](const std::string& why) {
    return StatusError::BadRequest("invalid continue token: continue key is not valid: " + why);
  };
  auto raw = base::Base64UrlDecode(token);
  if (!raw) throw bad("illegal base64 data");
  json j = json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw bad("not a continue token");
  // Every field is checked for its type before it is read: {"v":2} is a forgery, not a 500.
  auto v = j.find("v");
  if (v == j.end() || *v != "meta.k8s.io/v1") {
    throw bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
  if (!j.contains("rv") || !j["rv"].is_number_integer() || j["rv"].get<int64_t>() <= 0) {
    throw bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  }
  if (!j.contains("start") || !j["start"].is_string() || j["start"].get<std::string>().empty()) {
    throw bad("encoded start key empty");
  }
  return {j["rv"].get<int64_t>(), j["start"].get<std::string>()};
}

StatusError TooLarge(int64_t want, int64_t have) {
  return StatusError(
      504, "Timeout",
      "Timeout: Too large resource version: " + std::to_string(want) +
          ", current: " + std::to_string(have),
      {{"causes",
        {{{"reason", "ResourceVersionTooLarge"}, {"message", "Too large resource version"}}}},
       {"retryAfterSeconds", 1}});
}

// The revision a list without continue reads at (caller holds the lock).
int64_t ListRevision(const Core& c, const ListOptions& o) {
  if (o.resource_version.empty()) return c.rv;
  int64_t n = ParseResourceVersion(o.resource_version);
  if (n == 0) return c.rv;
  if (n > c.rv) throw TooLarge(n, c.rv);
  bool exact =
      o.resource_version_match == "Exact" || (o.resource_version_match.empty() && o.limit > 0);
  if (!exact) return c.rv;
  if (n < c.compacted) {
    throw StatusError::Expired("The resourceVersion for the provided list is too old.");
  }
  return n;
}

}  // namespace

void ValidateListOptions(const ListOptions& o, bool watch) {
  json causes = json::array();
  const auto& match = o.resource_version_match;
  if (watch) {
    if (o.send_initial_events.has_value()) {
      if (match != "NotOlderThan") {
        causes.push_back(ForbiddenCause(
            "resourceVersionMatch",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
      }
      if (!o.continue_token.empty()) {
        causes.push_back(
            ForbiddenCause("sendInitialEvents", "sendInitialEvents is forbidden with continue"));
      }
    }
    if (!match.empty()) {
      if (!o.send_initial_events.has_value()) {
        causes.push_back(ForbiddenCause(
            "resourceVersionMatch",
            "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"));
      }
      if (match != "NotOlderThan") {
        causes.push_back(NotSupportedCause("resourceVersionMatch", match, {"NotOlderThan"}));
      }
      if (!o.continue_token.empty()) {
        causes.push_back(ForbiddenCause(
            "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
      }
    }
  } else {
    if (!match.empty()) {
      if (o.resource_version.empty()) {
        causes.push_back(
            ForbiddenCause("resourceVersionMatch",
                           "resourceVersionMatch is forbidden unless resourceVersion is provided"));
      }
      if (!o.continue_token.empty()) {
        causes.push_back(ForbiddenCause(
            "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"));
      }
      if (match != "Exact" && match != "NotOlderThan") {
        causes.push_back(
            NotSupportedCause("resourceVersionMatch", match, {"Exact", "NotOlderThan", ""}));
      }
      if (match == "Exact" && o.resource_version == "0") {
        causes.push_back(ForbiddenCause(
            "resourceVersionMatch",
            "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
      }
    }
    if (o.send_initial_events.has_value()) {
      causes.push_back(
          ForbiddenCause("sendInitialEvents", "sendInitialEvents is forbidden for list"));
    }
  }
  if (!causes.empty()) throw StatusError::Invalid("ListOptions.meta.k8s.io", "", causes);
}

Selectors ParseSelectors(const ResourceInfo& res, const ListOptions& options) {
  Selectors s;
  s.labels = LabelSelector::Parse(options.label_selector);
  s.fields = FieldSelector::Parse(res, options.field_selector);
  return s;
}

// Calls fn(key, object) for each object of `bucket` with a key in [lo, hi) as it was at revision
// r (r >= compacted), in key order, until fn returns false. Caller holds the lock.
template <typename Fn>
void ForEachAt(const Core& c, const std::string& bucket, const std::string& lo,
               const std::string& hi, int64_t r, Fn fn) {
  if (lo >= hi) return;  // e.g. a forged continue key past the namespace: nothing to visit
  std::map<std::string, ObjectPtr> overlay;  // key -> state at r (null: absent)
  for (size_t i = c.log.size(); i-- > 0;) {
    const Event& e = c.log[i];
    if (e.rv <= r) break;
    if (e.bucket != bucket || e.key < lo || e.key >= hi) continue;
    overlay[e.key] = e.before;
  }
  static const Bucket kEmpty;
  auto bit = c.buckets.find(bucket);
  const Bucket& b = bit == c.buckets.end() ? kEmpty : bit->second;
  auto it = b.lower_bound(lo), end = b.lower_bound(hi);
  auto ot = overlay.begin();
  while (it != end || ot != overlay.end()) {
    const std::string* key;
    const ObjectPtr* obj;
    if (ot == overlay.end() || (it != end && it->first < ot->first)) {
      key = &it->first;
      obj = &it->second;
      ++it;
    } else {
      if (it != end && it->first == ot->first) ++it;
      key = &ot->first;
      obj = &ot->second;
      ++ot;
    }
    if (!*obj) continue;
    if (!fn(*key, *obj)) return;
  }
}

namespace {
// The objects of one list answer, and what its metadata says.
struct ListPage {
  std::vector<ObjectPtr> found;
  int64_t revision = 0;
  std::string last_key;
  bool more = false;
  bool selected = false;  // selectors were given: no remainingItemCount
  int64_t remaining = 0;
  uint64_t state = 0;  // the store's state it was read from (Core::state)
};

ListPage Collect(const Core& c, const ResourceInfo& res, const std::string& ns,
                 const ListOptions& options) {
  ValidateListOptions(options, false);
  Selectors sel = ParseSelectors(res, options);
  const int64_t limit = options.limit > 0 ? options.limit : std::numeric_limits<int64_t>::max();
  ListPage page;
  auto& found = page.found;
  int64_t& revision = page.revision;
  std::string& last_key = page.last_key;
  bool& more = page.more;
  int64_t& remaining = page.remaining;
  page.selected = !sel.empty();
  {
    std::shared_lock lock(c.mu);
    page.state = c.state.load(std::memory_order_acquire);
    auto [lo, hi] = NamespaceRange(res, ns);
    if (!options.continue_token.empty()) {
      if (!options.resource_version.empty() && options.resource_version != "0") {
        throw StatusError::BadRequest(
            "specifying resource version is not allowed when using continue");
      }
      auto [r, start] = DecodeContinue(options.continue_token);
      if (r > c.rv) {
        throw StatusError::BadRequest(
            "invalid continue token: continue key is not valid: resourceVersion " +
            std::to_string(r) + " is in the future");
      }
      if (r < c.compacted) throw StatusError::Expired(kContinueExpired);
      revision = r;
      if (start > lo) lo = start;
    } else {
      revision = ListRevision(c, options);
    }
    const std::string* pinned = sel.fields.PinnedName();
    if (pinned && (!res.namespaced || !ns.empty())) {
      // metadata.name=X in one namespace (or cluster-scoped): a single key.
      std::string key = ObjectKey(res, ns, *pinned);
      if (key >= lo) {
        lo = key;
        hi = key + '\0';
      } else {
        hi = lo;
      }
    }
    ForEachAt(c, BucketKey(res), lo, hi, revision,
              [&](const std::string& key, const ObjectPtr& obj) {
                if (!sel.empty() && !sel.Matches(*obj)) return true;
                if (static_cast<int64_t>(found.size()) < limit) {
                  found.push_back(obj);
                  last_key = key;
                  return true;
                }
                more = true;
                ++remaining;
                return sel.empty();  // remainingItemCount only without selectors
              });
  }
  return page;
}

json ListMeta(const ListPage& page) {
  json meta = {{"resourceVersion", std::to_string(page.revision)}};
  if (page.more) {
    meta["continue"] = EncodeContinue(page.revision, page.last_key + std::string(1, '\0'));
    if (!page.selected) meta["remainingItemCount"] = page.remaining;
  }
  return meta;
}

}  // namespace

bool SameKind(const ResourceInfo& res, const json& obj) {
  auto kind = obj.find("kind");
  auto version = obj.find("apiVersion");
  return kind != obj.end() && version != obj.end() && kind->is_string() && version->is_string() &&
         kind->get_ref<const std::string&>() == res.kind &&
         version->get_ref<const std::string&>() == res.ApiVersion();
}

void AppendObject(std::string& out, const ResourceInfo& res, const ObjectPtr& obj) {
  if (SameKind(res, *obj)) {
    out += obj.Text();
    return;
  }
  json item = *obj;
  item["kind"] = res.kind;
  item["apiVersion"] = res.ApiVersion();
  out += item.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {
// The list object of `page` (Store::List).
json ListObject(const ResourceInfo& res, const ListPage& page) {
  json items = json::array();
  for (const auto& obj : page.found) {
    json item = *obj;
    item["kind"] = res.kind;
    item["apiVersion"] = res.ApiVersion();
    items.push_back(std::move(item));
  }
  return {{"kind", res.ListKind()},
          {"apiVersion", res.ApiVersion()},
          {"metadata", ListMeta(page)},
          {"items", std::move(items)}};
}
}  // namespace

json Store::List(const ResourceInfo& res, const std::string& ns, const ListOptions& options) const {
  impl_->core->MaybeCompactAged();
  return ListObject(res, Collect(*impl_->core, res, ns, options));
}

std::shared_ptr<const EncodedAnswer> Store::ListAnswer(
    const ResourceInfo& res, const std::string& ns, const ListOptions& options,
    const std::string& form, const std::function<EncodedAnswer(json list)>& make) const {
  Core& c = *impl_->core;
  c.MaybeCompactAged();
  std::string key = ListCache::Key(res, ns, options);
  key += '\x01';  // the key of a list (self-delimiting), then its form: no ListJson key is one
  key += form;
  if (auto kept = c.lists.Find(key, c.state.load(std::memory_order_acquire))) return kept;
  ListPage page = Collect(c, res, ns, options);
  auto answer = std::make_shared<const EncodedAnswer>(make(ListObject(res, page)));
  c.lists.Put(std::move(key), page.state, answer);
  return answer;
}

std::string Store::ListJson(const ResourceInfo& res, const std::string& ns,
                            const ListOptions& options) const {
  return *SharedListJson(res, ns, options);
}

std::shared_ptr<const std::string> Store::SharedListJson(const ResourceInfo& res,
                                                         const std::string& ns,
                                                         const ListOptions& options) const {
  Core& c = *impl_->core;
  c.MaybeCompactAged();
  // The same list of the same state, answered before: its text again (list_cache.h).
  std::string key = ListCache::Key(res, ns, options);
  if (auto kept = c.lists.Find(key, c.state.load(std::memory_order_acquire))) {
    return {kept, &kept->body};  // the body, sharing the kept answer's ownership
  }
  ListPage page = Collect(c, res, ns, options);
  // The same text as List(...).dump(): keys in nlohmann's (sorted) order.
  size_t size = 256;
  for (const auto& obj : page.found) size += obj.Text().size() + 1;
  std::string out;
  out.reserve(size);
  out += R"({"apiVersion":)";
  out += json(res.ApiVersion()).dump();
  out += R"(,"items":[)";
  bool first = true;
  for (const auto& obj : page.found) {
    if (!first) out += ',';
    first = false;
    AppendObject(out, res, obj);
  }
  out += R"(],"kind":)";
  out += json(res.ListKind()).dump();
  out += R"(,"metadata":)";
  if (page.more) {
    out += ListMeta(page).dump();
  } else {
    out += R"({"resourceVersion":")" + std::to_string(page.revision) + "\"}";
  }
  out += '}';
  auto answer = std::make_shared<const EncodedAnswer>(EncodedAnswer{kMediaJson, std::move(out)});
  c.lists.Put(std::move(key), page.state, answer);
  return {answer, &answer->body};
}

}  // namespace kubedouble::fake
