#include "world.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <stdexcept>

namespace kubedouble::controlplane {

using fake::StatusError;

const std::vector<std::string>& CachedResources() {
  static const std::vector<std::string> kResources = {
      "namespaces",   "nodes",      "pods", "services", "replicasets",         "deployments",
      "statefulsets", "daemonsets", "jobs", "cronjobs", "poddisruptionbudgets"};
  return kResources;
}

World::World(fake::Store& store, Options options) : store_(store), options_(std::move(options)) {}

const fake::ResourceInfo& World::Resource(const std::string& plural) {
  auto it = resources_.find(plural);
  if (it != resources_.end()) return it->second;
  // One copy of the registry notes every plural it serves (core first, then groups by priority:
  // the first of a plural wins), rather than a copy per plural looked up.
  for (auto& r : store_.registry()->All()) {
    std::string key = r.plural;
    resources_.try_emplace(std::move(key), std::move(r));
  }
  it = resources_.find(plural);
  if (it != resources_.end()) return it->second;
  throw std::logic_error("the store does not serve " + plural);
}

namespace {
std::string Format(TimePoint t, bool micro) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!micro) return std::string(buf) + "Z";
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  return fmt::format("{}.{:06}Z", buf, us);
}
}  // namespace

std::string World::NowText() const { return Format(now_, false); }
std::string World::NowMicroText() const { return Format(now_, true); }

void World::Notify(const std::string& resource, const json& object, bool deleted) {
  for (auto& c : controllers_) c->Changed(*this, resource, object, deleted);
}

bool World::Observe(const std::string& resource, const json& object, bool deleted) {
  auto cached = caches_.find(resource);
  if (cached == caches_.end()) return false;
  if (deleted) {
    json old = cached->second.Erase(KeyOf(object));
    Notify(resource, old.is_null() ? object : old, true);
    return true;
  }
  if (!cached->second.Put(object)) return false;
  Notify(resource, object, false);
  return true;
}

// After a conflict or a NotFound: read the object again, so the controllers see what is.
void World::Refresh(const std::string& resource, const json& object) {
  const auto& meta = object["metadata"];
  if (!caches_.count(resource)) return;
  if (auto fresh =
          store_.Find(Resource(resource), meta.value("namespace", ""), meta.value("name", "")))
    Observe(resource, *fresh, false);
  else
    Observe(resource, object, true);
}

namespace {
template <typename Fn>
std::optional<json> Attempt(const std::string& what, const json& object, Fn&& fn,
                            const std::function<void()>& refresh) {
  try {
    return fn();
  } catch (const StatusError& e) {
    if (e.code() == 409 || e.code() == 404) {
      refresh();
    } else {
      spdlog::warn("controlplane: {} {}: {}", what, KeyOf(object), e.what());
    }
  } catch (const std::exception& e) {
    spdlog::warn("controlplane: {} {}: {}", what, KeyOf(object), e.what());
  }
  return std::nullopt;
}

// Who the control plane's writes are from in managedFields: the kubelet for a pod's status,
// else the controller manager (upstream's manager names).
fake::WriteOptions WrittenBy(const std::string& resource, bool status, Origin origin) {
  fake::WriteOptions o;
  o.status_only = status;
  o.trusted = origin == Origin::kOwn;
  o.field_manager = status && resource == "pods" ? "kubelet" : "kube-controller-manager";
  return o;
}
}  // namespace

std::optional<json> World::Create(const std::string& resource, json object, Origin origin) {
  const auto& res = Resource(resource);
  std::string ns = object["metadata"].value("namespace", "");
  auto out = Attempt(
      "create " + resource, object,
      [&] { return store_.Create(res, ns, object, WrittenBy(resource, false, origin)); }, [] {});
  if (out) Observe(resource, *out, false);
  return out;
}

std::optional<json> World::Update(const std::string& resource, json object, Origin origin) {
  const auto& res = Resource(resource);
  std::string ns = object["metadata"].value("namespace", "");
  std::string name = object["metadata"].value("name", "");
  auto out = Attempt(
      "update " + resource, object,
      [&] { return store_.Update(res, ns, name, object, WrittenBy(resource, false, origin)); },
      [&] { Refresh(resource, object); });
  if (out) Observe(resource, *out, false);
  return out;
}

std::optional<json> World::UpdateStatus(const std::string& resource, json object, Origin origin) {
  const auto& res = Resource(resource);
  std::string ns = object["metadata"].value("namespace", "");
  std::string name = object["metadata"].value("name", "");
  const fake::WriteOptions status = WrittenBy(resource, true, origin);
  auto out = Attempt(
      "update " + resource + "/status", object,
      [&] { return store_.Update(res, ns, name, object, status); },
      [&] { Refresh(resource, object); });
  if (out) Observe(resource, *out, false);
  return out;
}

std::optional<json> World::Put(const std::string& resource, json object, Origin origin) {
  const auto& res = Resource(resource);
  auto out = Attempt(
      "write " + resource, object,
      [&]() -> std::optional<json> {
        if (origin == Origin::kChecked) return store_.Put(res, object);
        const auto& meta = object["metadata"];
        std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
        store_.PutOwn(res, object);
        return store_.Find(res, ns, name);  // nullopt: deleted at once by someone else
      },
      [] {});
  if (out) Observe(resource, *out, false);
  return out;
}

bool World::Delete(const std::string& resource, const json& object,
                   std::optional<int64_t> grace_seconds) {
  const auto& res = Resource(resource);
  const auto& meta = object["metadata"];
  fake::DeleteOptions options;
  options.precondition_uid = meta.value("uid", "");
  options.grace_period_seconds = grace_seconds;
  bool removed = true;
  json last = object;
  try {
    last =
        store_.Delete(res, meta.value("namespace", ""), meta.value("name", ""), options, &removed);
  } catch (const StatusError& e) {
    if (e.code() == 409) Refresh(resource, object);
    if (e.code() != 404 && e.code() != 409) {
      spdlog::warn("controlplane: delete {} {}: {}", resource, KeyOf(object), e.what());
      return false;
    }
    removed = true;
  }
  Observe(resource, removed ? object : last, removed);
  return true;
}

void World::Upsert(const std::string& resource, json object,
                   const std::function<bool(const json& stored)>& differs, Origin origin) {
  const auto& res = Resource(resource);
  const auto& meta = object["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  std::optional<json> stored = store_.Find(res, ns, name);
  if (!stored) {
    Create(resource, std::move(object), origin);
    return;
  }
  if (!differs(*stored)) return;
  for (const char* field : {"resourceVersion", "uid", "creationTimestamp"})
    object["metadata"][field] = (*stored)["metadata"][field];
  Update(resource, std::move(object), origin);
}

void World::Event(const json& regarding, bool warning, const std::string& reason,
                  const std::string& message, const std::string& component, const std::string& host,
                  const std::string& field_path) {
  const auto& meta = regarding["metadata"];
  std::string ns = meta.value("namespace", "");
  std::string name = meta.value("name", "");
  const std::string same = fmt::format("{}\n{}\n{}\n{}\n{}\n{}\n{}", meta.value("uid", ""),
                                       field_path, warning, reason, message, component, host);
  if (auto seen = events_.find(same); seen != events_.end()) {
    try {
      json earlier = store_.Get(Resource("events"), seen->second.first, seen->second.second);
      earlier["count"] = earlier.value("count", 1) + 1;
      earlier["lastTimestamp"] = NowText();
      store_.Update(Resource("events"), seen->second.first, seen->second.second, earlier);
      return;
    } catch (const std::exception&) {
      events_.erase(seen);  // gone (or changed under us): write a new one
    }
  }
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now_.time_since_epoch());
  json involved = {{"kind", regarding.value("kind", "")},
                   {"apiVersion", regarding.value("apiVersion", "")},
                   {"name", name},
                   {"uid", meta.value("uid", "")},
                   {"resourceVersion", meta.value("resourceVersion", "")}};
  if (!ns.empty()) involved["namespace"] = ns;
  if (!field_path.empty()) involved["fieldPath"] = field_path;
  json source = {{"component", component}};
  if (!host.empty()) source["host"] = host;
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata",
                 {{"name", fmt::format("{}.{:x}", name, nanos.count() + int64_t(event_seq_++))},
                  {"namespace", ns.empty() ? "default" : ns}}},
                {"involvedObject", involved},
                {"reason", reason},
                {"message", message},
                {"source", source},
                {"firstTimestamp", NowText()},
                {"lastTimestamp", NowText()},
                {"count", 1},
                {"type", warning ? "Warning" : "Normal"},
                {"eventTime", nullptr},
                {"reportingComponent", component},
                {"reportingInstance", host}};
  try {
    std::string event_ns = event["metadata"]["namespace"];
    std::string event_name = event["metadata"]["name"];
    // Made whole here about a stored object, whose name is valid: the Event's name is too while it
    // fits a DNS subdomain's 253 characters; a longer one is refused by the checks, as upstream.
    fake::WriteOptions options;
    options.trusted = event_name.size() <= 253;
    store_.Create(Resource("events"), event_ns, std::move(event), options);
    if (events_.size() >= 10000) events_.clear();  // bounded: an old repeat makes a new Event
    events_[same] = {event_ns, event_name};
  } catch (const std::exception& e) {
    // An Event that cannot be written (its namespace is going away) is dropped, as upstream.
    spdlog::debug("controlplane: event {} {}: {}", reason, name, e.what());
  }
}

void World::Enqueue(const std::string& controller, const std::string& key) {
  queue_.emplace(controller, key);
}

void World::After(TimePoint due, const std::string& controller, const std::string& key) {
  timers_.emplace(due, std::make_pair(controller, key));
}

void World::AddController(std::unique_ptr<Controller> c) { controllers_.push_back(std::move(c)); }

Controller* World::Find(const std::string& name) {
  for (auto& c : controllers_) {
    if (c->name() == name) return c.get();
  }
  return nullptr;
}

std::optional<std::pair<std::string, std::string>> World::TakeWork() {
  if (queue_.empty()) return std::nullopt;
  auto item = *queue_.begin();
  queue_.erase(queue_.begin());
  return item;
}

std::optional<TimePoint> World::NextTimer() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first;
}

void World::PopDue(TimePoint t) {
  while (!timers_.empty() && timers_.begin()->first <= t) {
    queue_.insert(timers_.begin()->second);
    timers_.erase(timers_.begin());
  }
}

}  // namespace kubedouble::controlplane
