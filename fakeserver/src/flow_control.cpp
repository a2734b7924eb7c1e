#include "flow_control.h"

#include <map>
#include <mutex>

#include "util.h"

namespace kubedouble::fake {

namespace {
bool UnderPath(std::string_view path, std::string_view base) {
  return path == base || (path.starts_with(base) && path[base.size()] == '/');
}
}  // namespace

FlowMatch MatchFlow(const UserInfo& user, std::string_view path) {
  if (user.InGroup(kGroupMasters)) return {"exempt", "exempt"};
  if (UnderPath(path, "/healthz") || UnderPath(path, "/livez") || UnderPath(path, "/readyz")) {
    return {"probes", "exempt"};
  }
  if (user.name == "system:kube-controller-manager") {
    return {"kube-controller-manager", "workload-high"};
  }
  if (user.name == "system:kube-scheduler") return {"kube-scheduler", "workload-high"};
  if (user.InGroup("system:nodes")) return {"system-nodes", "system"};
  if (user.InGroup("system:serviceaccounts:kube-system")) {
    return {"kube-system-service-accounts", "workload-high"};
  }
  if (user.InGroup(kGroupServiceAccounts)) return {"service-accounts", "workload-low"};
  return {"global-default", "global-default"};
}

const std::string& FlowUid(std::string_view kind_and_name) {
  static std::mutex mu;
  static std::map<std::string, std::string, std::less<>> uids;
  std::lock_guard lock(mu);
  auto it = uids.find(kind_and_name);
  if (it == uids.end()) it = uids.emplace(std::string(kind_and_name), util::RandomUuid()).first;
  return it->second;
}

}  // namespace kubedouble::fake
