// API Priority and Fairness as a client sees it: kube-apiserver answers every request it
// classified (authenticated ones: authentication runs first, so a 401 has none) with the uids of
// the FlowSchema and PriorityLevelConfiguration that matched, in `X-Kubernetes-Pf-Flowschema-Uid`
// and `X-Kubernetes-Pf-Prioritylevel-Uid`. kubedouble matches a 1.32 server's default
// configuration by the user (no request is ever queued or rejected):
//
//   system:masters                          exempt / exempt
//   /healthz, /livez, /readyz (and below)   probes / exempt
//   system:kube-controller-manager          kube-controller-manager / workload-high
//   system:kube-scheduler                   kube-scheduler / workload-high
//   group system:nodes                      system-nodes / system
//   a service account of kube-system        kube-system-service-accounts / workload-high
//   another service account                 service-accounts / workload-low
//   everyone else                           global-default / global-default
//
// The uids are random, made once per process, and stable while it runs, as the objects' uids
// of a real cluster are.
#pragma once

#include <string>
#include <string_view>

#include "identity.h"

namespace kubedouble::fake {

struct FlowMatch {
  std::string_view flow_schema;     // "global-default"
  std::string_view priority_level;  // "global-default"
};

FlowMatch MatchFlow(const UserInfo& user, std::string_view path);

// The uid of the default FlowSchema or PriorityLevelConfiguration named `name`.
const std::string& FlowUid(std::string_view kind_and_name);

}  // namespace kubedouble::fake
