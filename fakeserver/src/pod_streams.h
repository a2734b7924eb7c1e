// pods/exec, pods/attach and pods/portforward: the handler's side. Without a protocol upgrade
// kubedouble answers as kube-apiserver answers a request that cannot be upgraded: the pod and
// the container are checked first (404, 400 with upstream's wording), then 400 BadRequest
// "Upgrade request required"; with one, the checks and the plan of the upgraded session.
#pragma once

#include <httplib.h>
#include <kubedouble/fakeserver/store.h>

#include <optional>
#include <string>
#include <vector>

#include "authz.h"
#include "streams/pod_stream.h"
#include "streams/port_forward.h"

namespace kubedouble::fake {

// The spec of the container of `pod` that `subresource` ("exec" or "attach") asked for as
// `container` ("" for none: the pod's only container). Throws StatusError 400:
//   a container name must be specified for pod p, choose one of: [a b]
//   container c is not valid for pod p
//   pod p does not have a host assigned
const json& StreamContainer(const json& pod, const std::string& subresource,
                            const std::string& container);

// Throws the StatusError kube-apiserver answers for `subresource` ("exec", "attach" or
// "portforward") of pod `pod` asked for container `container` ("" for none):
//   400 a container name must be specified for pod p, choose one of: [a b]
//   400 container c is not valid for pod p
//   400 pod p does not have a host assigned
//   400 Upgrade request required
[[noreturn]] void RefuseStreamWithoutUpgrade(const json& pod, const std::string& subresource,
                                             const std::string& container);

// Whether `req` asks for a WebSocket upgrade (Upgrade: websocket, any case).
bool IsWebSocketUpgrade(const httplib::Request& req);
// Whether `req` asks for an upgrade exec, attach and portforward take: WebSocket or SPDY/3.1.
bool IsStreamUpgrade(const httplib::Request& req);

// The checks of a port-forward before its upgrade: 400 pod p does not have a host assigned.
void CheckPortForward(const json& pod);

// Every value of the query parameter `name`, in order.
std::vector<std::string> QueryValues(const httplib::Request& req, const char* name);

// The upgrade headers of `req` (repeated ones joined with ", ").
UpgradeHeaders UpgradeHeadersOf(const httplib::Request& req);

// PlanPodStream (streams/pod_stream.h) for request `req` of `subresource` ("exec" or "attach")
// of `pod`: its Upgrade, Sec-WebSocket-* and X-Stream-Protocol-Version headers (repeated ones
// joined) and its query. What the handler calls once the connection layer can take a connection
// over:
//   if (IsStreamUpgrade(req) && <the connection can be upgraded>) {
//     PodStreamPlan plan = PlanUpgradePodStream(req, pod, sub, trees, clock);  // 400s throw
//     if (plan.answer.status != 101) answer plan.answer.status/headers/body;
//     else upgrade with plan.answer.headers, then RunPodStream(stream, plan) on its thread.
//   }
PodStreamPlan PlanUpgradePodStream(const httplib::Request& req, const json& pod,
                                   const std::string& subresource, FileTrees& trees,
                                   const ServerClock& clock);

// A WebSocket upgrade (a GET) of pods/exec, attach or portforward needs `create` on the
// subresource as well as `get`, as kube-apiserver 1.32 authorizes it: the attributes of that
// second check, or nullopt when `req` needs none.
std::optional<Attributes> UpgradeCreateCheck(const httplib::Request& req, const Attributes& asked);

}  // namespace kubedouble::fake
