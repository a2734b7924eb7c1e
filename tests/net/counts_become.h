// Test helper: waits until a net::HttpServer's counts (connections, streams, workers) satisfy a
// condition — a deadline of 10 s, not a timing assertion.
#pragma once

#include <kubedouble/net/http_server.h>

#include <chrono>
#include <functional>
#include <thread>

namespace kubedouble::testing {

inline bool CountsBecome(const net::HttpServer& server,
                         const std::function<bool(const net::HttpServer::Counts&)>& pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred(server.counts())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace kubedouble::testing
