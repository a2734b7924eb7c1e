// A connection after "101 Switching Protocols": the HTTP exchange is over and what follows is
// raw bytes both ways, in whatever protocol the upgrade named (WebSocket, SPDY/3.1).
//
// The connection layer hands one to the code that accepted the upgrade (exec, attach,
// port-forward) and keeps the socket, the TLS session and their buffers itself; the taker only
// reads and writes. Calls block; a taker runs on its own thread. Read and Write may be called
// from two threads at once (one reading the client, one writing to it); Close from any thread
// wakes a blocked Read.
#pragma once

#include <sys/types.h>
#include <cstddef>

namespace kubedouble::net {

class UpgradedStream {
 public:
  virtual ~UpgradedStream() = default;

  // Up to `size` bytes into `data`: how many arrived, 0 when the peer has closed its side or the
  // stream was closed, -1 when the connection failed.
  virtual ssize_t Read(char* data, size_t size) = 0;
  // All `size` bytes of `data`, or false when the peer has gone (nothing more can be sent).
  virtual bool Write(const char* data, size_t size) = 0;
  // Ends the stream: a blocked Read returns 0, later writes fail, the connection is closed.
  virtual void Close() = 0;
};

}  // namespace kubedouble::net
