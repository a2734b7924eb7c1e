// Whether a listen address stays on this machine: `serve` and `mitm` refuse any other address
// unless --allow-non-loopback is given.
#pragma once

#include <string>

namespace kubedouble::cli {

// "localhost", "::1" and 127.0.0.0/8.
inline bool IsLoopbackAddress(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

}  // namespace kubedouble::cli
