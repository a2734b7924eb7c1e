// A GoogleMock Transport and helpers to build answers.
#pragma once

#include <gmock/gmock.h>

#include <string>

#include "kubedouble/accesslib/transport.h"

namespace kubedouble::access::testing {

class MockTransport : public Transport {
 public:
  MOCK_METHOD(Response, Send, (const Request& request), (override));
};

inline Response Answer(int status, std::string body = "{}", Headers headers = {}) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// Plays a streamed answer through the request's callbacks, as the network transport does.
inline Response Stream(const Request& req, int status, const std::string& body) {
  Response head;
  head.status = status;
  if (req.on_head && !req.on_head(head)) return head;
  if (req.on_body) {
    req.on_body(body);
  } else {
    head.body = body;
  }
  return head;
}

}  // namespace kubedouble::access::testing
