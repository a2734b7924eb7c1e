// What a request asks for, in the terms authorization and routing use — the same split as
// kube-apiserver's RequestInfoFactory: resource requests under /api/v1 and /apis/G/V, and
// non-resource requests for every other path (including /api, /apis, /api/v1 themselves).
#pragma once

#include <string>
#include <vector>

namespace kubedouble::fake {

struct RequestInfo {
  bool is_resource = false;
  std::string path;
  // get, list, watch, create, update, patch, delete, deletecollection for resources;
  // the lowercase HTTP method (get, post, put, patch, delete, head) for non-resource paths.
  std::string verb;
  std::string api_prefix;  // "api" or "apis" (resource requests)
  std::string api_group;   // "" for the core group
  std::string api_version;
  std::string ns;
  std::string resource;
  std::string subresource;
  std::string name;
  std::vector<std::string> parts;  // the path's segments after the group/version
};

// `watch` is the value of the watch query parameter being true.
RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch);

// True unless empty, "0" or "false" in any case (the Kubernetes rule for query booleans).
bool QueryBool(const std::string& value);

}  // namespace kubedouble::fake
