// The `as=` transforms of an answer (negotiate.h): a Table for kubectl get (with
// `includeObject=None|Metadata|Object`), PartialObjectMetadata for metadata-only clients
// (garbage collectors, metadata informers), in meta.k8s.io v1 or v1beta1, as kube-apiserver
// makes them. A Status is never transformed.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "kubedouble/fakeserver/store.h"
#include "negotiate.h"

namespace kubedouble::fake {

// The query options of a transform; checked when read.
struct TransformOptions {
  // Table rows carry: "None" nothing, "Metadata" (or "") PartialObjectMetadata, "Object" the
  // whole object.
  std::string include_object;
  // For watch streams: only the first Table event carries the column definitions.
  bool column_definitions = true;
  // What a Table's ages count to: the server's clock (ServerClock::Now), not the system's.
  std::chrono::system_clock::time_point now{};
};

// From the request's query. A bad includeObject of a Table request is a 400 BadRequest
// "Unable to convert to Table as requested: includeObject: Invalid value: ...".
// `now` is the server's clock.
TransformOptions TransformOptionsOf(const httplib::Request& req, const OutputFormat& format,
                                    std::chrono::system_clock::time_point now);

// `body` (an object or a list of `r`) as `format.transform` says. A list asked for as
// PartialObjectMetadata, or an object as PartialObjectMetadataList, is a 406 NotAcceptable
// ("you requested PartialObjectMetadata, but the requested object is a list (*core.PodList)").
nlohmann::json TransformAnswer(const ResourceInfo& r, nlohmann::json body,
                               const OutputFormat& format, const TransformOptions& options);

}  // namespace kubedouble::fake
