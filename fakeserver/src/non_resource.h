// The handler of the non-resource paths (non_resource.cpp), built from exactly what it reads:
// discovery (/api, /apis and below), /version, the health checks (/healthz, /livez, /readyz and
// their single checks) and the OpenAPI documents (openapi_endpoints.h).
#pragma once

#include <string>

#include "call.h"
#include "discovery.h"
#include "openapi.h"

namespace kubedouble::fake {

struct NonResourceHandler {
  const Discovery& discovery;         // the API groups, versions and resources
  OpenApi& openapi;                   // /openapi/v2 and /openapi/v3
  const std::string& server_address;  // HOST:PORT, as /api names it (serverAddressByClientCIDRs)

  // A request that is not for a resource (!call.info.is_resource), authorized: 404 (text, as
  // Go's mux words it) for a path the server does not serve, 405 for a method other than GET.
  void Serve(Call& call) const;
};

}  // namespace kubedouble::fake
