// Small text helpers every component wants: ASCII trimming and lower case, header names in
// their canonical form, and whether a host is an IP address.
#pragma once

#include <string>
#include <string_view>

namespace kubedouble::base {

// `s` without the spaces, tabs, line ends, form feeds and vertical tabs at either end.
std::string Trim(std::string_view s);
// `s` with A-Z made a-z; other bytes (UTF-8 included) unchanged.
std::string Lower(std::string_view s);
// A header name in the form Go's servers give every name they read ("content-type" →
// "Content-Type", "x-forwarded-uri" → "X-Forwarded-Uri"): a letter at the start or after a '-'
// upper case, every other letter lower case. A name holding a byte that is not an HTTP token
// character is returned unchanged, as Go leaves it.
std::string CanonicalHeaderKey(std::string_view name);

// `path` as Go's path.Clean cleans a rooted path: "." and empty segments dropped, ".." taking
// the segment before (never above the root), no trailing slash; "/" for nothing. The path is
// taken as rooted whether or not it starts with '/'.
std::string CleanRootedPath(std::string_view path);

// Whether `host` is an IPv4 address in dotted-quad form ("10.0.0.1").
bool IsIpv4Address(std::string_view host);
// Whether `host` is an IPv6 address ("::1", "fe80::1"); brackets are not part of one.
bool IsIpv6Address(std::string_view host);
// Either of the two. A name ("localhost"), a bracketed address ("[::1]") or an address with a
// port is not one.
bool IsIpAddress(std::string_view host);

}  // namespace kubedouble::base
