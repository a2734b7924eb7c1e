// pods/portforward on an upgraded connection: the client's connections to the pod's ports, each
// carried to a simulated container port (container_ports.h's PortConnection).
//
// Two ways in, as kubectl 1.32 and client-go speak them:
// - SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`): for every
//   connection the client opens two SPDY streams with the headers `streamType` (`error` or
//   `data`), `port` and `requestID` (the pair's shared id). The data stream carries the bytes both
//   ways; when nothing listens on the port the server writes the kubelet's message on the error
//   stream and ends the pair, and the session goes on.
// - The same SPDY session tunnelled through a WebSocket (`Sec-WebSocket-Protocol:
//   SPDY/3.1+portforward.k8s.io`, kubectl's default since 1.31): every binary message carries
//   SPDY frame bytes.
// - Kubernetes' channel protocols over WebSocket (channel_stream.h; v4.channel.k8s.io, as the
//   Python client's portforward() speaks it), the ports named up front in the query (`?ports=80`
//   or `?ports=80,9000`, repeatable): the i-th port has data channel 2i and error channel 2i+1,
//   and the server's first message on each is the port as 2 bytes little-endian. Without ports
//   the answer is 400 `query parameter "port" is required` (the kubelet's words).
// Unknown protocols are refused before the upgrade (403 with the kubelet's negotiation message
// for SPDY, 403 with no body for WebSocket); kubectl then falls back from WebSocket to SPDY.
#pragma once

#include <kubedouble/fakeserver/container_ports.h>
#include <kubedouble/net/upgraded_stream.h>
#include <nlohmann/json.hpp>

#include <vector>

#include "channel_stream.h"

namespace kubedouble::fake {

struct PortForwardPlan {
  HandshakeAnswer answer;  // 101, or the refusal to send instead
  bool tunnel = false;     // SPDY frames inside WebSocket binary messages
  std::vector<int> ports;  // the WebSocket channel protocols' ports, in channel order
  nlohmann::json pod;
  std::vector<PortRule> rules;  // the pod's stage port rules
};

// Negotiates the protocol (the pod's checks are the caller's, before this). `ports`: every
// value of the query's `ports`.
PortForwardPlan PlanPortForward(const nlohmann::json& pod, const UpgradeHeaders& headers,
                                const std::vector<std::string>& ports, std::vector<PortRule> rules);

// What a session did: the client's connections carried to a container port, and those refused
// (nothing listens on the port, or it is no port).
struct PortForwardTally {
  int forwarded = 0;
  int refused = 0;
};

// Serves the planned session on `stream` (the 101 sent) until the client ends it, and closes it.
PortForwardTally RunPortForward(net::UpgradedStream& stream, const PortForwardPlan& plan);

// What the kubelet writes on the error stream of a connection to a port nothing listens on.
std::string PortForwardRefusedMessage(const nlohmann::json& pod, int port);

}  // namespace kubedouble::fake
