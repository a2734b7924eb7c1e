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

namespace {
using UidMap = std::map<std::string, std::string, std::less<>>;

// Uids for `names`, made once (thread-safe static initialization), read without a lock after.
UidMap MakeUids(std::initializer_list<const char*> names) {
  UidMap m;
  for (const char* name : names) m.emplace(name, util::RandomUuid());
  return m;
}

const std::string& Find(const UidMap& uids, std::string_view name) {
  static const std::string kNone;
  auto it = uids.find(name);
  return it == uids.end() ? kNone : it->second;
}
}  // namespace

const std::string& FlowSchemaUid(std::string_view name) {
  static const UidMap kUids =
      MakeUids({"exempt", "probes", "kube-controller-manager", "kube-scheduler", "system-nodes",
                "kube-system-service-accounts", "service-accounts", "global-default"});
  return Find(kUids, name);
}

const std::string& PriorityLevelUid(std::string_view name) {
  static const UidMap kUids =
      MakeUids({"exempt", "workload-high", "system", "workload-low", "global-default"});
  return Find(kUids, name);
}

}  // namespace kubedouble::fake
