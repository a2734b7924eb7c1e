// The OpenAPI endpoints' handler (openapi_endpoints.cpp), built from the one thing it reads: the
// server's OpenAPI documents.
#pragma once

#include <httplib.h>

#include "openapi.h"

namespace kubedouble::fake {

// GET or HEAD /openapi/v2, /openapi/v3 and /openapi/v3/<group-version>; 405 for another method.
void ServeOpenApi(OpenApi& openapi, const httplib::Request& req, httplib::Response& res);

}  // namespace kubedouble::fake
