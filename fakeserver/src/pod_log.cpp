#include "pod_log.h"

#include <fmt/format.h>
#include <kubedouble/base/rfc3339.h>

#include <atomic>
#include <charconv>
#include <thread>

#include "call.h"
#include "request_info.h"
#include "request_limits.h"
#include "status.h"

namespace kubedouble::fake {

namespace {

using json = nlohmann::json;

std::optional<int64_t> Integer(const char* name, const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  int64_t n = 0;
  const std::string& v = *value;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
    throw StatusError::BadRequest(
        fmt::format("invalid value for {}: \"{}\" is not an integer", name, v));
  }
  return n;
}

json InvalidValue(const char* field, int64_t value, const char* why) {
  return {{"reason", "FieldValueInvalid"},
          {"message", fmt::format("Invalid value: {}: {}", value, why)},
          {"field", field}};
}

const json& Array(const json& object, const char* key) {
  static const json kNone = json::array();
  if (!object.is_object() || !object.contains(key) || !object[key].is_array()) return kNone;
  return object[key];
}

std::string Names(const json& containers) {
  std::string out;
  for (const auto& c : containers) {
    if (!out.empty()) out += ' ';
    out += c.value("name", "");
  }
  return out;
}

const json* Named(const json& list, const std::string& name) {
  for (const auto& c : list) {
    if (c.is_object() && c.value("name", "") == name) return &c;
  }
  return nullptr;
}

std::optional<TimePoint> TimeAt(const json& state, const char* key) {
  if (!state.is_object() || !state.contains(key) || !state[key].is_string()) return std::nullopt;
  return base::ParseRfc3339(state[key].get<std::string>());
}

StatusError KubeletRefusal(const std::string& message) { return StatusError::BadRequest(message); }

}  // namespace

PodLogOptions ParsePodLogOptions(
    const std::string& pod_name,
    const std::function<std::optional<std::string>(const char* name)>& get) {
  PodLogOptions o;
  o.container = get("container").value_or("");
  o.follow = QueryBool(get("follow").value_or(""));
  o.previous = QueryBool(get("previous").value_or(""));
  o.timestamps = QueryBool(get("timestamps").value_or(""));
  o.tail_lines = Integer("tailLines", get("tailLines"));
  o.since_seconds = Integer("sinceSeconds", get("sinceSeconds"));
  o.limit_bytes = Integer("limitBytes", get("limitBytes"));
  if (auto t = get("sinceTime")) {
    o.since_time = base::ParseRfc3339(*t);
    if (!o.since_time) {
      throw StatusError::BadRequest(fmt::format(
          "invalid value for sinceTime: \"{}\" is not an RFC 3339 time (2006-01-02T15:04:05Z)",
          *t));
    }
  }
  json causes = json::array();
  if (o.tail_lines && *o.tail_lines < 0) {
    causes.push_back(
        InvalidValue("tailLines", *o.tail_lines, "must be greater than or equal to 0"));
  }
  if (o.limit_bytes && *o.limit_bytes < 1) {
    causes.push_back(InvalidValue("limitBytes", *o.limit_bytes, "must be greater than 0"));
  }
  if (o.since_seconds && o.since_time) {
    causes.push_back(
        {{"reason", "FieldValueForbidden"},
         {"message", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"},
         {"field", ""}});
  } else if (o.since_seconds && *o.since_seconds < 1) {
    causes.push_back(InvalidValue("sinceSeconds", *o.since_seconds, "must be greater than 0"));
  }
  if (!causes.empty()) throw StatusError::Invalid("PodLogOptions", pod_name, std::move(causes));
  return o;
}

std::optional<ContainerInstance> ResolveLogInstance(const json& pod, const PodLogOptions& options) {
  const std::string pod_name = pod["metadata"].value("name", "");
  const json spec = pod.value("spec", json::object());
  const json& containers = Array(spec, "containers");
  const json& init = Array(spec, "initContainers");
  const json& ephemeral = Array(spec, "ephemeralContainers");
  // The apiserver's part: which container.
  std::string name = options.container;
  if (name.empty()) {
    if (containers.size() == 1) {
      name = containers[0].value("name", "");
    } else if (containers.empty()) {
      throw StatusError::BadRequest(
          fmt::format("a container name must be specified for pod {}", pod_name));
    } else {
      std::string message =
          fmt::format("a container name must be specified for pod {}, choose one of: [{}]",
                      pod_name, Names(containers));
      if (!init.empty())
        message += fmt::format(" or one of the init containers: [{}]", Names(init));
      throw StatusError::BadRequest(message);
    }
  }
  const json* container = Named(containers, name);
  if (!container) container = Named(init, name);
  if (!container) container = Named(ephemeral, name);
  if (!container) {
    throw StatusError::BadRequest(
        fmt::format("container {} is not valid for pod {}", name, pod_name));
  }
  if (spec.value("nodeName", "").empty()) return std::nullopt;

  // The kubelet's part: which instance of it.
  const json status = pod.value("status", json::object());
  const json* cs = nullptr;
  for (const char* list :
       {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    if (!cs) cs = Named(Array(status, list), name);
  }
  const std::string quoted = fmt::format("container \"{}\" in pod \"{}\"", name, pod_name);
  if (!cs) throw KubeletRefusal(quoted + " is waiting to start: ContainerCreating");
  const json state = cs->value("state", json::object());
  const json last = cs->value("lastState", json::object());
  auto instance_of = [&](const json& terminated_or_running,
                         const std::string& id) -> ContainerInstance {
    ContainerInstance out;
    out.container = *container;
    out.container_id = id;
    out.started = TimeAt(terminated_or_running, "startedAt").value_or(TimePoint{});
    out.finished = TimeAt(terminated_or_running, "finishedAt");
    return out;
  };
  const json last_terminated = last.value("terminated", json());
  const bool has_last =
      last_terminated.is_object() && !last_terminated.value("containerID", "").empty();
  if (options.previous) {
    if (!has_last) {
      throw KubeletRefusal(fmt::format(
          "previous terminated container \"{}\" in pod \"{}\" not found", name, pod_name));
    }
    return instance_of(last_terminated, last_terminated.value("containerID", ""));
  }
  if (state.contains("running") && state["running"].is_object()) {
    return instance_of(state["running"], cs->value("containerID", ""));
  }
  if (state.contains("terminated") && state["terminated"].is_object()) {
    const json& t = state["terminated"];
    std::string id = t.value("containerID", "");
    if (!id.empty()) return instance_of(t, id);
    if (has_last) return instance_of(last_terminated, last_terminated.value("containerID", ""));
    throw KubeletRefusal(quoted + " is terminated");
  }
  if (has_last) return instance_of(last_terminated, last_terminated.value("containerID", ""));
  if (state.contains("waiting") && state["waiting"].is_object()) {
    std::string reason = state["waiting"].value("reason", "");
    if (reason == "ErrImagePull") reason = "image can't be pulled";
    if (reason == "ImagePullBackOff") reason = "trying and failing to pull image";
    throw KubeletRefusal(quoted + " is waiting to start: " + reason);
  }
  throw KubeletRefusal(quoted + " is waiting to start - no logs yet");
}

std::string LogText(const std::vector<LogLine>& lines, bool timestamps) {
  std::string out;
  for (const auto& l : lines) {
    if (timestamps) out += LogTimestamp(l.at) + " ";
    out += l.text;
    out += '\n';
  }
  return out;
}

std::string RenderLog(const json& pod, const ContainerInstance& instance,
                      const PodLogOptions& options, TimePoint now) {
  TimePoint until = instance.finished ? std::min(*instance.finished, now) : now;
  std::optional<TimePoint> since = options.since_time;
  if (options.since_seconds) since = now - std::chrono::seconds(*options.since_seconds);
  // The lines at `since` or later.
  std::optional<TimePoint> after;
  if (since) after = *since - TimePoint::duration(1);
  auto lines = ContainerLogLines(pod, instance.container, instance.started, until, after);
  if (options.tail_lines && static_cast<size_t>(*options.tail_lines) < lines.size()) {
    lines.erase(lines.begin(), lines.end() - *options.tail_lines);
  }
  std::string text = LogText(lines, options.timestamps);
  if (options.limit_bytes && static_cast<size_t>(*options.limit_bytes) < text.size()) {
    text.resize(static_cast<size_t>(*options.limit_bytes));
  }
  return text;
}

void PodLogEndpoint::Serve(Call& call, const ResourceInfo& pods, const std::string& ns) const {
  const auto& req = call.req;
  const std::string& name = call.info.name;
  PodLogOptions options = ParsePodLogOptions(name, [&](const char* key) {
    return req.has_param(key) ? std::optional<std::string>(req.get_param_value(key)) : std::nullopt;
  });
  json pod = store.Get(pods, ns, name);
  auto instance = ResolveLogInstance(pod, options);
  if (!instance) {
    call.res.status = 204;
    return;
  }
  std::string text = RenderLog(pod, *instance, options, clock.Now());
  if (!options.follow) return SendBody(call.res, 200, std::move(text), "text/plain");

  auto place = TakePlace(watches, max_watches);
  if (!place) {
    return TooManyRequests(call.res, fmt::format("too many watches and followed logs: this "
                                                 "server serves {} at once (--max-watches); "
                                                 "retry later",
                                                 max_watches));
  }
  struct Follow {
    json pod;
    ContainerInstance instance;
    PodLogOptions options;
    TimePoint sent_until;  // every line at or before it has been sent
    std::string first;     // the text of the lines before the follow began
    size_t budget = SIZE_MAX;
  };
  auto state = std::make_shared<Follow>();
  state->sent_until = instance->finished ? std::min(*instance->finished, clock.Now()) : clock.Now();
  state->pod = std::move(pod);
  state->instance = std::move(*instance);
  state->options = options;
  state->first = std::move(text);
  if (options.limit_bytes) state->budget = static_cast<size_t>(*options.limit_bytes);
  auto gone = std::make_shared<std::atomic<bool>>(false);  // the client hung up
  call.exchange->OnHangUp([gone] { *gone = true; });
  const_cast<httplib::Request&>(req).headers.erase(
      "Accept-Encoding");  // as a watch (resource_handler.cpp)
  call.res.status = 200;
  call.res.set_chunked_content_provider(
      "text/plain", [&store = store, &clock = clock, &stopping = stopping, state, place, gone, pods,
                     ns, name](size_t, httplib::DataSink& sink) {
        auto send = [&](std::string chunk) {
          if (chunk.size() > state->budget) chunk.resize(state->budget);
          state->budget -= chunk.size();
          return chunk.empty() || sink.write(chunk.data(), chunk.size());
        };
        if (!state->first.empty()) {
          bool ok = send(std::move(state->first));
          state->first.clear();
          if (!ok) return false;
        }
        while (!stopping.load() && state->budget > 0) {
          // Has the container written more, or ended?
          bool ended = false;
          try {
            json pod = store.Get(pods, ns, name);
            auto now_instance = ResolveLogInstance(pod, state->options);
            if (!now_instance || now_instance->container_id != state->instance.container_id) {
              ended = true;
            } else {
              state->instance = std::move(*now_instance);
              state->pod = std::move(pod);
            }
          } catch (const StatusError&) {
            ended = true;  // the pod is gone, or its container no longer readable
          }
          if (ended) break;
          TimePoint now = clock.Now();
          TimePoint until =
              state->instance.finished ? std::min(*state->instance.finished, now) : now;
          if (until > state->sent_until) {
            auto lines = ContainerLogLines(state->pod, state->instance.container,
                                           state->instance.started, until, state->sent_until);
            state->sent_until = until;
            if (!lines.empty()) {
              if (!send(LogText(lines, state->options.timestamps))) return false;
              return true;  // sent: cpp-httplib calls again for more
            }
          }
          if (state->instance.finished && *state->instance.finished <= now) break;
          if (*gone) return false;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        sink.done();
        return true;
      });
}

}  // namespace kubedouble::fake
