// What HTTP/1.1 and HTTP/2 do alike to a handler's httplib::Response before it leaves: the
// status (200 when unset), a Content-Type for a body without one, and compression as the client
// accepts it (gzip or br, as cpp-httplib decides from Accept-Encoding and the content type).
#pragma once

#include <httplib.h>

#include <memory>

namespace kubedouble::net {

// Prepares `res` as the answer to `req`. A whole body is compressed in place (Content-Encoding
// set) and gets its Content-Length. A chunked content provider's bytes are to go through the
// compressor returned (Content-Encoding set); nullptr: sent as they are.
std::unique_ptr<httplib::detail::compressor> PrepareAnswer(const httplib::Request& req,
                                                           httplib::Response& res);

}  // namespace kubedouble::net
