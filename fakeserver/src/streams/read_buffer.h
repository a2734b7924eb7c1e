// Reading an upgraded stream into a parse buffer: the frame readers of websocket.h and spdy.h.
#pragma once

#include <kubedouble/net/upgraded_stream.h>

#include <string>

namespace kubedouble::fake {

// Reads from `stream` onto the end of `buffer` until it holds at least `n` bytes; false when the
// stream ends (or fails) first.
inline bool ReadAtLeast(net::UpgradedStream& stream, std::string& buffer, size_t n) {
  char chunk[16384];
  while (buffer.size() < n) {
    ssize_t got = stream.Read(chunk, sizeof chunk);
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

}  // namespace kubedouble::fake
