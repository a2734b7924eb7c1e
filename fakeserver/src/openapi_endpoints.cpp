// /openapi/v2, /openapi/v3 and /openapi/v3/<group-version>, answered as kube-apiserver's OpenAPI
// handlers answer them: JSON (v2 also in its protobuf form; v3 406 to a client that takes only
// protobuf), an ETag, 304 to a matching If-None-Match, and for a v3 document asked for with its
// ?hash=: immutable caching headers, or a 301 to the current hash when the asked one is stale.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>

#include "openapi_endpoints.h"

#include "call.h"
#include "negotiate.h"
#include "status.h"

namespace kubedouble::fake {

namespace {

// Sends `doc` with its ETag; 304 when the client has it already.
void SendDocument(const httplib::Request& req, httplib::Response& res, const OpenApi::Document& doc,
                  const std::string& content_type = "application/json") {
  const std::string etag = "\"" + doc.etag + "\"";
  res.set_header("Etag", etag);
  if (req.get_header_value("If-None-Match") == etag) {
    res.status = 304;
    return;
  }
  SendBody(res, 200, doc.body, content_type.c_str());
}

// Go's time.RFC1123 of a UTC time: "Mon, 02 Jan 2006 15:04:05 UTC".
std::string Rfc1123(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%a, %d %b %Y %H:%M:%S} UTC",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(t)));
}

}  // namespace

void ServeOpenApi(OpenApi& openapi, const httplib::Request& req, httplib::Response& res) {
  if (req.method != "GET" && req.method != "HEAD") return SendError(res, MethodNotAllowedError());
  std::string path = req.path;
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/openapi/v3") return SendDocument(req, res, *openapi.V3Discovery());
  res.set_header("Vary", "Accept");
  if (path == "/openapi/v2") {
    const std::string type = NegotiateOpenApiV2(req.get_header_value("Accept"));
    if (type.empty()) {
      res.status = 406;
      return;
    }
    return SendDocument(req, res,
                        type == "application/json" ? *openapi.V2() : *openapi.V2Protobuf(), type);
  }
  const std::string key = path.substr(std::string("/openapi/v3/").size());
  std::shared_ptr<const OpenApi::Document> doc = openapi.V3(key);
  if (!doc) return SendText(res, 404, "404 page not found\n");
  if (!AcceptsJson(req.get_header_value("Accept"))) {
    res.status = 406;
    return;
  }
  if (req.has_param("hash")) {
    if (req.get_param_value("hash") != doc->etag) {
      res.set_header("Location", "/openapi/v3/" + key + "?hash=" + doc->etag);
      res.status = 301;
      return;
    }
    res.set_header("Cache-Control", "public, immutable");
    res.set_header("Expires",
                   Rfc1123(std::chrono::system_clock::now() + std::chrono::hours(24 * 365)));
  }
  SendDocument(req, res, *doc);
}

}  // namespace kubedouble::fake
