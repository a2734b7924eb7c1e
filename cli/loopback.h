// Listening beyond this machine: `serve` and `mitm` refuse a non-loopback address unless
// --allow-non-loopback is given, with the same wording.
#pragma once

#include <fmt/core.h>

#include <string>

#include "command.h"

namespace kubedouble::cli {

// "localhost", "::1" and 127.0.0.0/8.
inline bool IsLoopbackAddress(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

// "0.0.0.0" and "::": every interface, an address no client can be pointed at.
inline bool ListensEverywhere(const std::string& address) {
  return address == "0.0.0.0" || address == "::" || address == "[::]";
}

// Exits 2 with "kubedouble COMMAND: FLAG VALUE: not a loopback address; WHY, so listening beyond
// this machine needs --allow-non-loopback" when `address` is not loopback and `allowed` is false.
// Returns whether the address is loopback.
inline bool CheckLoopback(const std::string& command, const std::string& flag,
                          const std::string& value, const std::string& address, bool allowed,
                          const std::string& why) {
  if (IsLoopbackAddress(address)) return true;
  if (allowed) return false;
  fmt::print(stderr,
             "kubedouble {}: {} {}: not a loopback address; {}, so listening beyond this machine "
             "needs --allow-non-loopback\n",
             command, flag, value, why);
  throw Exit{2};
}

}  // namespace kubedouble::cli
