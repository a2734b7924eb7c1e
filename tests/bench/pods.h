// The pods the benchmarks load: a Deployment-made pod with labels, one container (port, env,
// requests) and a running status.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace kubedouble::bench {

inline nlohmann::json MakePod(int i) {
  std::string name = "pod-" + std::to_string(i);
  return {
      {"metadata",
       {{"name", name},
        {"labels", {{"app", "app-" + std::to_string(i % 50)}, {"tier", i % 2 ? "front" : "back"}}},
        {"annotations", {{"kubernetes.io/created-by", "bench"}}}}},
      {"spec",
       {{"nodeName", "node-" + std::to_string(i % 20)},
        {"serviceAccountName", "default"},
        {"restartPolicy", "Always"},
        {"containers",
         {{{"name", "main"},
           {"image", "registry.example/app:1.2.3"},
           {"ports", {{{"containerPort", 8080}, {"protocol", "TCP"}}}},
           {"env", {{{"name", "MODE"}, {"value", "production"}}}},
           {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "128Mi"}}}}}}}}}},
      {"status",
       {{"phase", "Running"},
        {"podIP", "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250)},
        {"hostIP", "192.168.0." + std::to_string(i % 20)},
        {"startTime", "2026-01-02T03:04:05Z"},
        {"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
        {"containerStatuses",
         {{{"name", "main"},
           {"ready", true},
           {"restartCount", 0},
           {"image", "registry.example/app:1.2.3"},
           {"state", {{"running", {{"startedAt", "2026-01-02T03:04:06Z"}}}}}}}}}}};
}

}  // namespace kubedouble::bench
