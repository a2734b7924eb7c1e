// What HTTP/1.1 and HTTP/2 do alike to a handler's httplib::Response before it leaves: the
// status (200 when unset), a Content-Type for a body without one, and compression as the client
// accepts it (gzip or br, as cpp-httplib decides from Accept-Encoding and the content type).
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <string_view>

namespace kubedouble::net {

// Prepares `res` as the answer to `req`. A whole body is compressed in place (Content-Encoding
// set) and gets its Content-Length. A chunked content provider's bytes are to go through the
// compressor returned (Content-Encoding set); nullptr: sent as they are.
// `shared` (optional): the exchange's shared body (Exchange::ShareBody), the whole body unless
// res.body or a content provider is set; it is dropped (reset) when it does not count, and when
// it is compressed (the compressed bytes are res.body then).
std::unique_ptr<httplib::detail::compressor> PrepareAnswer(
    const httplib::Request& req, httplib::Response& res,
    std::shared_ptr<const std::string>* shared = nullptr);

// The bytes of a whole answer's body after PrepareAnswer: the shared body when one is left, else
// res.body.
inline std::string_view WholeBody(const httplib::Response& res,
                                  const std::shared_ptr<const std::string>& shared) {
  return shared ? std::string_view(*shared) : std::string_view(res.body);
}

}  // namespace kubedouble::net
