#include "request_info.h"

#include <algorithm>
#include <cctype>

#include "kubedouble/base/strings.h"

namespace kubedouble::fake {

namespace {
std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '/') {
      if (!cur.empty()) parts.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(std::move(cur));
  return parts;
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
  info.verb = base::Lower(method);
  auto parts = Split(path);
  if (parts.empty() || (parts[0] != "api" && parts[0] != "apis")) return info;
  info.api_prefix = parts[0];
  size_t i = 1;
  if (info.api_prefix == "apis") {
    if (parts.size() < 3) return info;  // /apis, /apis/G
    info.api_group = parts[1];
    info.api_version = parts[2];
    i = 3;
  } else {
    if (parts.size() < 2) return info;  // /api
    info.api_version = parts[1];
    i = 2;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
  if (rest.empty()) return info;  // /api/v1, /apis/G/V: discovery, non-resource
  info.is_resource = true;

  bool watch_prefix = false;
  if (rest[0] == "watch") {
    watch_prefix = true;
    rest.erase(rest.begin());
    if (rest.empty()) {
      info.is_resource = false;
      return info;
    }
  }

  if (method == "GET" || method == "HEAD") {
    info.verb = "get";
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = "delete";
  } else {
    info.verb = "";
  }

  if (rest[0] == "namespaces" && rest.size() > 1) {
    info.ns = rest[1];
    // namespaces/NAME/{status,finalize} are subresources of the namespace itself.
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  info.parts = rest;
  info.resource = rest[0];
  if (rest.size() >= 2) info.name = rest[1];
  if (rest.size() >= 3) info.subresource = rest[2];

  if (info.name.empty()) {
    if (info.verb == "get") info.verb = "list";
    if (info.verb == "delete") info.verb = "deletecollection";
  }
  if (watch_prefix || (watch && (info.verb == "list" || info.verb == "get"))) info.verb = "watch";
  return info;
}

}  // namespace kubedouble::fake
