#include "request_info.h"

#include <string_view>

#include "kubedouble/base/strings.h"

namespace kubedouble::fake {

namespace {
// The path's non-empty segments, viewing `path`.
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  parts.reserve(8);
  size_t i = 0;
  while (i < path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > i) parts.push_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return parts;
}

// The verb of a resource request by its method, before list, watch and deletecollection.
const char* ResourceVerb(const std::string& method) {
  if (method == "GET" || method == "HEAD") return "get";
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

}  // namespace

bool QueryBool(const std::string& value) {
  // As apimachinery converts query booleans: "0" and any case of "false" are false (the Python
  // client sends watch=False).
  return !(value.empty() || value == "0" || base::Lower(value) == "false");
}

RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch) {
  RequestInfo info;
  info.path = path;
  const std::vector<std::string_view> parts = Split(path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) {
    info.verb = base::Lower(method);
    return info;
  }
  info.api_prefix = parts[0];
  size_t i = 1;
  if (info.api_prefix == "apis") {
    if (parts.size() < 3) {  // /apis, /apis/G
      info.verb = base::Lower(method);
      return info;
    }
    info.api_group = parts[1];
    info.api_version = parts[2];
    i = 3;
  } else {
    if (parts.size() < 2) {  // /api
      info.verb = base::Lower(method);
      return info;
    }
    info.api_version = parts[1];
    i = 2;
  }
  // What follows the group and version: [watch/][namespaces/NS/]RESOURCE[/NAME[/SUB...]].
  bool watch_prefix = false;
  if (i < parts.size() && parts[i] == "watch") {
    watch_prefix = true;
    ++i;
  }
  if (i >= parts.size()) {  // /api/v1, /apis/G/V: discovery; /api/v1/watch: non-resource
    info.verb = base::Lower(method);
    return info;
  }
  info.is_resource = true;
  info.verb = ResourceVerb(method);

  if (parts[i] == "namespaces" && parts.size() - i > 1) {
    info.ns = parts[i + 1];
    // namespaces/NAME/{status,finalize} are subresources of the namespace itself.
    if (parts.size() - i > 2 && parts[i + 2] != "status" && parts[i + 2] != "finalize") i += 2;
  }
  info.parts.assign(parts.begin() + static_cast<long>(i), parts.end());
  info.resource = info.parts[0];
  if (info.parts.size() >= 2) info.name = info.parts[1];
  if (info.parts.size() >= 3) info.subresource = info.parts[2];

  if (info.name.empty()) {
    if (info.verb == "get") info.verb = "list";
    if (info.verb == "delete") info.verb = "deletecollection";
  }
  if (watch_prefix || (watch && (info.verb == "list" || info.verb == "get"))) info.verb = "watch";
  return info;
}

}  // namespace kubedouble::fake
