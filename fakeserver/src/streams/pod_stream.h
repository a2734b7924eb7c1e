// An exec or attach request that asks for a WebSocket (or SPDY/3.1) upgrade, from the request to
// the close:
// what the handler checks and answers before the upgrade, and what runs on the connection after
// the connection layer has sent the 101 and handed over the stream.
//
// The connection layer's part (a handler that can take a connection over):
//   PodStreamPlan plan = PlanPodStream(pod, "exec", headers, query, trees, clock);  // may throw
//   if (plan.answer.status != 101) -> answer plan.answer.status, headers and body, done
//   else -> send 101 with plan.answer.headers, then on the stream's own thread:
//           RunPodStream(stream, plan);
#pragma once

#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/net/upgraded_stream.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "channel_stream.h"
#include "exec_session.h"
#include "file_tree.h"

namespace kubedouble::fake {

struct PodStreamPlan {
  std::string subresource;  // "exec" or "attach"
  HandshakeAnswer answer;   // 101, or the refusal to send instead
  ExecOptions options;
  StreamTarget target;
};

// Checks the request as kube-apiserver and the kubelet check it before the upgrade and
// negotiates the protocol. Throws StatusError 400: the options (exec_session.h), the container
// (pod_streams.h's wording), a pod without a node, and a container that is not running
// (`container not found ("c")`, the kubelet's words). The container's file tree comes from
// `trees`, made on the pod's first exec.
PodStreamPlan PlanPodStream(const nlohmann::json& pod, const std::string& subresource,
                            const UpgradeHeaders& headers,
                            const std::function<std::vector<std::string>(const char*)>& query,
                            FileTrees& trees, const ServerClock& clock);

// Runs the planned exec or attach on `stream` (the 101 sent) until it ends, and closes it. The
// exec's exit code; none for attach or a stream that ended before the command ran.
std::optional<int> RunPodStream(net::UpgradedStream& stream, const PodStreamPlan& plan);

}  // namespace kubedouble::fake
