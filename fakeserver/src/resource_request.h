// Reading a resource request (resource_request.cpp): its query's options — a list's, a write's,
// a patch's — and its body, decoded from JSON, YAML or protobuf and checked as its
// fieldValidation asks, refused with kube-apiserver's wording.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kubedouble/fakeserver/store.h"

namespace kubedouble::fake {

// The query parameter `key`; "" when absent.
std::string Param(const httplib::Request& req, const char* key);
// The query parameter `key` as a number >= 0; 0 when absent, 400 `invalid value for KEY: "V"`
// for anything else.
int64_t IntParam(const httplib::Request& req, const char* key);

// A list's or a watch's options (labelSelector, fieldSelector, limit, continue, resourceVersion,
// resourceVersionMatch, allowWatchBookmarks, sendInitialEvents, timeoutSeconds).
ListOptions ParseListOptions(const httplib::Request& req);

// The keys a body repeats, worded for fieldValidation: JSON `duplicate field "spec.paused"`, YAML
// `line 14: key "paused" already set in map`.
struct Repeats {
  std::vector<std::string> keys;
  bool yaml = false;
};

// The body of a create or update of `r`, by its Content-Type (JSON, YAML or protobuf); 400 for
// a body that is not an object, or that names another kind or API version. `repeats`, when
// given, gets the keys the body repeats.
json ParseBody(const httplib::Request& req, const ResourceInfo& r, Repeats* repeats = nullptr);

// fieldValidation (Strict, Warn — the default —, Ignore): the keys a body repeats and the fields
// the kind does not have are a 400 with Strict, one Warning header each with Warn; with Warn and
// Ignore the unknown fields are dropped from `body`, as kube-apiserver never stores them (a
// repeated key keeps its last value). `what` is how the error starts. True when something was
// dropped.
bool ValidateFields(const httplib::Request& req, httplib::Response& res, const Store& store,
                    const ResourceInfo& r, json& body, const std::string& what,
                    const Repeats& repeats = {});

// A server-side apply's body (YAML or JSON) as JSON, checked by fieldValidation like any write's
// body (unknown fields dropped, or a 400 with Strict).
std::string ValidateAppliedFields(const httplib::Request& req, httplib::Response& res,
                                  const Store& store, const ResourceInfo& r);

// The start of a create or update body's decoding error, as kube-apiserver words it.
std::string CannotBeHandled(const ResourceInfo& r);

// The 415 of a PATCH whose Content-Type is not a patch type.
inline constexpr char kPatchTypes[] =
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, "
    "application/apply-patch+yaml, application/strategic-merge-patch+json";

// The options of a write: dryRun, and who writes (?fieldManager=, else the User-Agent's manager),
// refused as `options_kind` ("UpdateOptions") when kube-apiserver refuses them.
WriteOptions ParseWriteOptions(const httplib::Request& req,
                               const char* options_kind = "UpdateOptions");

// The options of a PATCH of `type`: fieldManager is required for a server-side apply (not taken
// from the User-Agent) and force is for apply only.
WriteOptions ParsePatchOptions(const httplib::Request& req, PatchType type);

}  // namespace kubedouble::fake
