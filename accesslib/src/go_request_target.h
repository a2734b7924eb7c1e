// How Go's net/http reads a request target and how its ServeMux cleans the path: what
// `kubectl proxy` matches its filters against, so that `kubedouble proxy` sees the same path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::access::detail {

// A request target as Go's url.ParseRequestURI reads it.
struct RequestTarget {
  std::string escaped_path;  // Go's URL.EscapedPath(): percent escapes as sent where valid
  std::string path;          // decoded (URL.Path): what the proxy filters match
  std::string raw_query;     // after the first '?', without it
  bool force_query = false;  // a lone '?' with nothing after it
  std::string host;          // the authority of an absolute-form target ("" otherwise)
  bool absolute = false;     // "http://host/path" rather than "/path"
  bool asterisk = false;     // "*"
};

// Parses a request target; nullopt where Go answers 400 Bad Request (a control character, a
// bad percent escape, a target that is neither "/path", "scheme://authority/path" nor "*").
std::optional<RequestTarget> ParseRequestTarget(std::string_view target);

// Go's ServeMux cleanPath: "." and ".." segments and repeated slashes removed from an escaped
// path (percent escapes are not decoded first, so "%2e%2e" stays), a trailing slash kept.
std::string CleanPath(std::string_view escaped_path);

// Go's url.PathEscape-style escaping of a decoded path (what URL{Path: p}.String() writes).
std::string EscapePath(std::string_view path);

// The Location ServeMux sends when it redirects to `path` (escaped as URL.String() does) with
// the query.
std::string RedirectLocation(std::string_view path, std::string_view raw_query);

// The body http.Redirect writes for a GET: `<a href="LOCATION">Moved Permanently</a>.` and two
// newlines, with the location HTML-escaped.
std::string RedirectBody(std::string_view location);

}  // namespace kubedouble::access::detail
