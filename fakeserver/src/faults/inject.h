// Carrying out a fault on a live request and its connection (net::Exchange): statuses, delays, and
// the socket-level misbehaviour (reset, close without answering, garbage, dribbled bodies, closed
// watches).
#pragma once

#include <httplib.h>

#include "../request_info.h"
#include "kubedouble/fakeserver/faults.h"
#include "kubedouble/net/exchange.h"

namespace kubedouble::fake {

// Sleeps the drawn delay, then carries out the actions that replace the answer (status,
// connection-reset, empty-response, malformed-chunk, random-data-then-close). Returns true when
// the request is answered (or its connection gone) and must not be routed. A response whose
// connection was severed keeps status 0 ("nothing answered").
// What a rule sees of a request: method, path, verb, resource ("pods/log" for a subresource),
// namespace, user, headers.
FaultRequest FaultRequestOf(const httplib::Request& req, const RequestInfo& info,
                            const std::string& user);

bool InjectBefore(const FaultSet::Fired& fault, const httplib::Request& req, httplib::Response& res,
                  net::Exchange& ex);

// Reshapes the real answer: slowBody dribbles it, closeWatchAfterEvents ends a watch stream.
void InjectAfter(const FaultSet::Fired& fault, const httplib::Request& req, httplib::Response& res,
                 net::Exchange& ex);

}  // namespace kubedouble::fake
