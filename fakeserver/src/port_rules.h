// The stage rules for the pods' ports (Server::SetPortRules), which port-forward and the proxy
// subresources dial with: set by the control plane while requests read them.
#pragma once

#include <kubedouble/fakeserver/container_ports.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <utility>
#include <vector>

namespace kubedouble::fake {

class PortRules {
 public:
  void Set(PortRulesFor rules) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_ = std::move(rules);
  }

  // The rules for `pod`'s ports; none when unset. The function is called outside the lock.
  std::vector<PortRule> Of(const nlohmann::json& pod) const {
    PortRulesFor rules;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rules = rules_;
    }
    return rules ? rules(pod) : std::vector<PortRule>{};
  }

 private:
  mutable std::mutex mu_;
  PortRulesFor rules_;
};

}  // namespace kubedouble::fake
