// The server's request handler (handler.cpp), built from exactly what it reads and changes:
// every request the listener hands over is authenticated, read, classified, faulted,
// authorized and routed to the admin API, the resource handler or the non-resource paths, and
// journaled with what it was answered.
#pragma once

#include <httplib.h>

#include <cstddef>

#include "admin/admin.h"
#include "authn.h"
#include "authz.h"
#include "call.h"
#include "kubedouble/fakeserver/clock.h"
#include "kubedouble/fakeserver/faults.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/net/http_server.h"
#include "non_resource.h"
#include "resource_handler.h"

namespace kubedouble::fake {

struct RequestHandler {
  const Authenticator& authn;
  const Authorizer& authz;  // every request's attributes, and who it may impersonate
  FaultSet& faults;         // --faults and the admin API's rules
  Journal& journal;         // every answer
  const ServerClock& clock;
  bool log_requests;                 // --log-requests: a line on stderr for each answer
  size_t max_connections;            // --max-connections, for the 429's message
  AdminApi admin;                    // /__kubedouble/...
  ResourceHandler resources;         // call.info.is_resource
  NonResourceHandler non_resources;  // the other paths

  // A request the listener hands over. Its body (POST, PUT, PATCH, DELETE with a
  // Content-Length or chunked) is read only after it is authenticated. Over --max-connections
  // (ex.over_limit()): 429, journaled.
  void Handle(net::Exchange& ex) const;
  // A request the listener answered itself (a head it could not parse, framing Go refuses):
  // journaled like any other answer.
  void Refused(const httplib::Request& req, int status) const;

 private:
  // Whether the authorizer allows `call` (its upgrade's create included, pod_streams.h); when it
  // does not, the 403 is in call.res.
  bool Authorized(Call& call) const;
  // An upgraded request's entry (`call.upgrade`, `call.stream_outcome`) is recorded when its
  // stream ends, with the stream's duration and outcome.
  void JournalAfterStream(net::Exchange& ex, Call& call, JournalEntry& entry) const;
};

}  // namespace kubedouble::fake
