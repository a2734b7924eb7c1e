// Go's request-target reading (url.ParseRequestURI) and ServeMux path cleaning, for the proxy.
#include "go_request_target.h"

#include <cctype>
#include <cstring>
#include <vector>

namespace kubedouble::access::detail {

namespace {

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
}

// Go's shouldEscape(c, encodePath): everything but the unreserved characters and $&+,/:;=@.
bool ShouldEscapeInPath(unsigned char c) {
  if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') return false;
  return std::strchr("$&+,/:;=@", c) == nullptr || c == '\0';
}

// Go's validEncoded(s, encodePath): may `s` be sent as it is?
bool ValidEncoded(std::string_view s) {
  for (unsigned char c : s) {
    if (c != '\0' && std::strchr("!$&'()*+,;=:@[]%", c) != nullptr) continue;
    if (ShouldEscapeInPath(c)) return false;
  }
  return true;
}

// Percent-decoding; nullopt on a '%' not followed by two hex digits.
std::optional<std::string> Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2])) return std::nullopt;
    out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
    i += 2;
  }
  return out;
}

// Go's getScheme: the scheme before the first ':' when the target starts with one; "" when it
// does not; nullopt for a target starting with ':'.
std::optional<std::string_view> Scheme(std::string_view t) {
  for (size_t i = 0; i < t.size(); i++) {
    unsigned char c = static_cast<unsigned char>(t[i]);
    if (std::isalpha(c)) continue;
    if (std::isdigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) return std::string_view();
      continue;
    }
    if (c == ':') {
      if (i == 0) return std::nullopt;
      return t.substr(0, i);
    }
    return std::string_view();
  }
  return std::string_view();
}

// Go's validOptionalPort on the authority's host part: "" or ":digits" after the host.
bool ValidAuthorityHost(std::string_view host) {
  size_t colon;
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    colon = close + 1;
    if (colon == host.size()) return true;
    if (host[colon] != ':') return false;
  } else {
    colon = host.rfind(':');
    if (colon == std::string_view::npos) return true;
  }
  for (char c : host.substr(colon + 1))
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::optional<RequestTarget> ParseRequestTarget(std::string_view target) {
  for (unsigned char c : target)
    if (c < 0x20 || c == 0x7f) return std::nullopt;
  RequestTarget t;
  if (target == "*") {
    t.asterisk = true;
    t.path = t.escaped_path = "*";
    return t;
  }
  auto scheme = Scheme(target);
  if (!scheme) return std::nullopt;
  std::string_view rest = target.substr(scheme->empty() ? 0 : scheme->size() + 1);
  size_t q = rest.find('?');
  if (q != std::string_view::npos && q + 1 == rest.size()) {
    t.force_query = true;
    rest = rest.substr(0, q);
  } else if (q != std::string_view::npos) {
    t.raw_query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  if (rest.empty() || rest[0] != '/') {
    if (scheme->empty()) return std::nullopt;
    t.absolute = true;  // an opaque URL ("http:x"): no path
    return t;
  }
  if (!scheme->empty() && rest.rfind("//", 0) == 0) {
    t.absolute = true;
    size_t end = rest.find('/', 2);
    std::string_view authority = rest.substr(2, end == std::string_view::npos ? end : end - 2);
    size_t at = authority.rfind('@');
    std::string_view host = at == std::string_view::npos ? authority : authority.substr(at + 1);
    if (!ValidAuthorityHost(host)) return std::nullopt;
    auto decoded_host = Unescape(host);
    if (!decoded_host) return std::nullopt;
    t.host = *decoded_host;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  auto decoded = Unescape(rest);
  if (!decoded) return std::nullopt;
  t.path = *decoded;
  t.escaped_path = ValidEncoded(rest) ? std::string(rest) : EscapePath(t.path);
  return t;
}

std::string CleanPath(std::string_view escaped_path) {
  std::string p(escaped_path);
  if (p.empty()) return "/";
  if (p[0] != '/') p.insert(p.begin(), '/');
  std::vector<std::string_view> segments;
  std::string_view rest(p);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  std::string out;
  for (auto seg : segments) {
    out += '/';
    out += seg;
  }
  if (out.empty()) return "/";
  if (p.back() == '/') out += '/';
  return out;
}

std::string EscapePath(std::string_view path) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (!ShouldEscapeInPath(c)) {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string RedirectLocation(std::string_view path, std::string_view raw_query) {
  std::string location = EscapePath(path);
  if (!raw_query.empty()) {
    location += '?';
    location += raw_query;
  }
  return location;
}

std::string RedirectBody(std::string_view location) {
  std::string href;
  for (char c : location) {
    switch (c) {
      case '&':
        href += "&amp;";
        break;
      case '<':
        href += "&lt;";
        break;
      case '>':
        href += "&gt;";
        break;
      case '"':
        href += "&#34;";
        break;
      case '\'':
        href += "&#39;";
        break;
      default:
        href += c;
    }
  }
  return "<a href=\"" + href + "\">Moved Permanently</a>.\n\n";
}

}  // namespace kubedouble::access::detail
