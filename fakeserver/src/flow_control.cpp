#include "flow_control.h"

#include <map>

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
  // Every name MatchFlow gives, made once (thread-safe static initialization), read without a
  // lock after.
  static const std::map<std::string, std::string, std::less<>> kUids = [] {
    std::map<std::string, std::string, std::less<>> m;
    for (const char* name :
         {"exempt", "probes", "kube-controller-manager", "kube-scheduler", "system-nodes",
          "kube-system-service-accounts", "service-accounts", "global-default"}) {
      m.emplace(std::string("flowschema/") + name, util::RandomUuid());
    }
    for (const char* name :
         {"exempt", "workload-high", "system", "workload-low", "global-default"}) {
      m.emplace(std::string("prioritylevel/") + name, util::RandomUuid());
    }
    return m;
  }();
  static const std::string kNone;
  auto it = kUids.find(kind_and_name);
  return it == kUids.end() ? kNone : it->second;
}

}  // namespace kubedouble::fake
