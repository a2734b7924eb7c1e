#include "pod_status.h"

#include <fmt/format.h>

#include "objects.h"

namespace kubedouble::controlplane {

namespace {

// The repository of `image` with docker.io (and library/) spelled out; `*suffix` gets the tag
// (":1.27") or digest ("@sha256:...") that followed it, "" when none.
std::string Repository(const std::string& image, std::string* suffix) {
  std::string repo = image.substr(0, image.find('@'));
  *suffix = image.size() > repo.size() ? image.substr(repo.size()) : "";
  auto slash = repo.rfind('/');
  auto colon = repo.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    if (suffix->empty()) *suffix = repo.substr(colon);
    repo = repo.substr(0, colon);
  }
  auto first = repo.find('/');
  if (first == std::string::npos) {
    repo = "docker.io/library/" + repo;
  } else {
    std::string host = repo.substr(0, first);
    if (host.find('.') == std::string::npos && host.find(':') == std::string::npos &&
        host != "localhost")
      repo = "docker.io/" + repo;
  }
  return repo;
}

}  // namespace

std::string ImageId(const std::string& image) {
  std::string suffix;
  return Repository(image, &suffix) + "@sha256:" + Hex64("image/" + image);
}

std::string ImageReference(const std::string& image) {
  std::string suffix;
  std::string repo = Repository(image, &suffix);
  return repo + (suffix.empty() ? ":latest" : suffix);
}

const json& Containers(const json& pod, const char* which) {
  static const json kNone = json::array();
  const json& c = At(pod, std::string("spec.") + which);
  return c.is_array() ? c : kNone;
}

json WaitingContainer(const json& container, const std::string& reason) {
  return {{"name", Str(container, "name")},
          {"image", Str(container, "image")},
          {"imageID", ""},
          {"ready", false},
          {"started", false},
          {"restartCount", 0},
          {"lastState", json::object()},
          {"state", {{"waiting", {{"reason", reason}}}}}};
}

json Terminated(int code, const std::string& started_at, const std::string& now,
                const std::string& container_id, const std::string& reason,
                const std::string& message) {
  json t = {{"exitCode", code},
            {"reason", !reason.empty() ? reason
                       : code == 0     ? "Completed"
                                       : "Error"},
            {"startedAt", started_at.empty() ? now : started_at},
            {"finishedAt", now},
            {"containerID", container_id}};
  if (!message.empty()) t["message"] = message;
  return t;
}

void SetReadiness(json& status, const std::string& now) {
  std::string unready;
  if (status["containerStatuses"].is_array()) {
    for (const auto& cs : status["containerStatuses"]) {
      if (cs.value("ready", false) == true) continue;
      if (!unready.empty()) unready += ' ';
      unready += Str(cs, "name");
    }
  }
  json& conditions = status["conditions"];
  for (const char* type : {"Ready", "ContainersReady"}) {
    if (unready.empty()) {
      SetCondition(conditions, type, "True", "", "", now);
    } else {
      SetCondition(conditions, type, "False", "ContainersNotReady",
                   fmt::format("containers with unready status: [{}]", unready), now);
    }
  }
}

void SetSandboxConditions(json& status, const std::string& now) {
  json& conditions = status["conditions"];
  SetCondition(conditions, "PodReadyToStartContainers", "True", "", "", now);
  SetCondition(conditions, "Initialized", "True", "", "", now);
  SetReadiness(status, now);
  SetCondition(conditions, "PodScheduled", "True", "", "", now);
}

std::string PodDescription(const json& pod) {
  return fmt::format("{}_{}({})", Str(pod, "metadata.name"), Str(pod, "metadata.namespace"),
                     Str(pod, "metadata.uid"));
}

}  // namespace kubedouble::controlplane
