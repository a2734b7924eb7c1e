// The fake server's limits on what a request may carry (README.md, "Reliability").
#pragma once

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "status.h"

namespace kubedouble::fake {

// The largest request body the server reads (kube-apiserver's 3 MiB): 413 RequestEntityTooLarge
// beyond it, said before reading for a larger Content-Length and while reading a chunked body.
// A body is read only once its request is authenticated (server.cpp).
inline constexpr size_t kMaxRequestBody = 3 * 1024 * 1024;

// kube-apiserver's message for a body over the limit.
inline std::string TooLargeMessage() {
  return fmt::format("Request entity too large: limit is {}", kMaxRequestBody);
}

// The request's Content-Length (0 when absent). The framing (request_framing.h) has refused any
// value that is not plain digits.
inline uint64_t ContentLength(const httplib::Request& req) {
  const std::string v = req.get_header_value("Content-Length");
  return v.empty() ? 0 : std::strtoull(v.c_str(), nullptr, 10);
}

// Request bodies nested deeper than this are refused with 400, as kube-apiserver does:
// nlohmann::json copies and prints recursively, so a deeper body would overflow the stack.
inline constexpr size_t kMaxJsonNesting = 10000;

// How deeply arrays and objects nest in JSON (or YAML flow) text: the most '[' and '{' open at
// once outside strings. Linear, without parsing.
inline size_t JsonNesting(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// Seconds a client is asked to wait (Retry-After) when a limit is reached.
inline constexpr int kRetryAfterSeconds = 1;

// 429 TooManyRequests, as kube-apiserver answers when it is overloaded: a Status with
// details.retryAfterSeconds, and Retry-After, which client-go and kubectl honour.
inline void TooManyRequests(httplib::Response& res, const std::string& message) {
  SendError(res, StatusError(429, "TooManyRequests", message,
                             {{"retryAfterSeconds", kRetryAfterSeconds}}));
}

// One of at most `max` places (e.g. open watches), held until the returned handle goes away;
// nullptr when all are taken.
inline std::shared_ptr<std::atomic<size_t>> TakePlace(std::atomic<size_t>& used, size_t max) {
  size_t n = used.load();
  do {
    if (n >= max) return nullptr;
  } while (!used.compare_exchange_weak(n, n + 1));
  return {&used, [](std::atomic<size_t>* u) { --*u; }};
}

}  // namespace kubedouble::fake
