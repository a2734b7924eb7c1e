// The Kubernetes release the fake server stands in for: what GET /version answers and what
// `kubedouble version` prints beside its own version.
#pragma once

#include <string_view>

namespace kubedouble::fake {

inline constexpr std::string_view kKubernetesMajor = "1";
inline constexpr std::string_view kKubernetesMinor = "32";
inline constexpr std::string_view kKubernetesGitVersion = "v1.32.0";

}  // namespace kubedouble::fake
