// Listening beyond this machine: `serve` and `mitm` refuse a non-loopback address unless
// --allow-non-loopback is given, with the same wording.
#pragma once

#include <fmt/core.h>

#include <string>

namespace kubedouble::cli {

// "localhost", "::1" and 127.0.0.0/8.
inline bool IsLoopbackAddress(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

// "0.0.0.0" and "::": every interface, an address no client can be pointed at.
inline bool ListensEverywhere(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address == "[::]";
}

// Whether listening on `address` may go ahead: it is loopback, or `allowed`. Otherwise prints
// "kubedouble COMMAND: FLAG VALUE: not a loopback address; WHY, so listening beyond this machine
// needs --allow-non-loopback" and returns false: the command exits 2.
inline bool LoopbackAllowed(const std::string& command, const std::string& flag,
                            const std::string& value, const std::string& address, bool allowed,
                            const std::string& why) {
  if (allowed || IsLoopbackAddress(address)) return true;
  fmt::print(stderr,
             "kubedouble {}: {} {}: not a loopback address; {}, so listening beyond this machine "
             "needs --allow-non-loopback\n",
             command, flag, value, why);
  return false;
}

}  // namespace kubedouble::cli
