// The pieces of a pod's status as a kubelet writes them: container states (waiting, running,
// terminated), image ids, and the readiness conditions that follow from the containers.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace kubedouble::controlplane {

using json = nlohmann::json;

// docker.io/library/nginx@sha256:... for "nginx:1.27", as containerd reports image ids.
std::string ImageId(const std::string& image);
// docker.io/library/nginx:1.27 for "nginx:1.27" (":latest" when no tag or digest is given), as
// containerd names the image it pulls.
std::string ImageReference(const std::string& image);

// The spec's containers of one kind ("containers" or "initContainers"); [] when none.
const json& Containers(const json& pod, const char* which);

// A container that is not running yet: state.waiting with `reason` (ContainerCreating,
// PodInitializing), no imageID, not ready, not started.
json WaitingContainer(const json& container, const std::string& reason);

// state.terminated of a container that ran from `started_at` and exited with `code` now
// (`reason`, or Completed for 0 and Error otherwise; `message` when given).
json Terminated(int code, const std::string& started_at, const std::string& now,
                const std::string& container_id, const std::string& reason = "",
                const std::string& message = "");

// Ready and ContainersReady from status.containerStatuses: True when every container is
// ready, else False with ContainersNotReady and "containers with unready status: [a b]".
void SetReadiness(json& status, const std::string& now);

// The conditions of a scheduled pod whose sandbox is up and init containers done:
// PodReadyToStartContainers, Initialized and PodScheduled True, readiness as SetReadiness.
void SetSandboxConditions(json& status, const std::string& now);

// "NAME_NAMESPACE(UID)", as the kubelet names a pod in messages.
std::string PodDescription(const json& pod);

}  // namespace kubedouble::controlplane
