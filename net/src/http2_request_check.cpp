// An HTTP/2 request checked as Go's server checks it (see http2_request_check.h).
#include "http2_request_check.h"

#include <nghttp2/nghttp2.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <iterator>

namespace kubedouble::net::http2 {

namespace {

// HTTP/1.1's connection headers, in the order Go's server looks for them.
constexpr std::string_view kConnectionHeaders[] = {"Connection", "Keep-Alive", "Proxy-Connection",
                                                   "Transfer-Encoding", "Upgrade"};

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

bool SameLetters(std::string_view lower, std::string_view name) {
  return lower.size() == name.size() &&
         std::equal(lower.begin(), lower.end(), name.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

bool RegularFieldValid(std::string_view name, std::string_view value) {
  return !name.empty() && nghttp2_check_header_name(Bytes(name), name.size()) != 0 &&
         nghttp2_check_header_value(Bytes(value), value.size()) != 0;
}

}  // namespace

bool RequestCheck::Field(std::string_view name, std::string_view value) {
  if (!name.empty() && name.front() == ':') {
    if (regular_seen_) return false;  // pseudo-header fields come first
    bool* seen = nullptr;
    bool valid = true;
    if (name == ":method") {
      seen = &has_method_;
      valid = nghttp2_check_method(Bytes(value), value.size()) != 0;
      method_ = value;
    } else if (name == ":scheme") {
      seen = &has_scheme_;
      scheme_ = value;
    } else if (name == ":path") {
      seen = &has_path_;
      valid = nghttp2_check_path(Bytes(value), value.size()) != 0;
      path_ = value;
    } else if (name == ":authority") {
      seen = &has_authority_;
      valid = nghttp2_check_authority(Bytes(value), value.size()) != 0;
    } else {
      return false;  // not a request's pseudo-header field
    }
    if (*seen || !valid) return false;
    *seen = true;
    return true;
  }
  regular_seen_ = true;
  if (!RegularFieldValid(name, value)) return false;
  for (size_t i = 0; i < std::size(kConnectionHeaders); ++i) {
    if (SameLetters(name, kConnectionHeaders[i])) connection_headers_ |= 1u << i;
  }
  if (name == "te") {
    bad_te_ = bad_te_ || te_seen_ || (value != "trailers" && !value.empty());
    te_seen_ = true;
  } else if (name == "host") {
    if (has_host_ || nghttp2_check_authority(Bytes(value), value.size()) == 0) return false;
    has_host_ = true;
  } else if (name == "content-length") {
    if (content_length_ >= 0 || value.empty() || value.size() > 18 ||
        !std::all_of(value.begin(), value.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      return false;
    }
    content_length_ = std::stoll(std::string(value));
  }
  return true;
}

bool RequestCheck::HeadEnd() {
  if (!has_method_) return false;
  if (method_ == "CONNECT") {
    if (has_scheme_ || has_path_ || !has_authority_) return false;
  } else {
    if (!has_scheme_ || !has_path_ || path_.empty() || (!has_authority_ && !has_host_)) {
      return false;
    }
    if (scheme_ != "http" && scheme_ != "https") return false;
    if (path_.front() != '/' && !(method_ == "OPTIONS" && path_ == "*")) return false;
  }
  for (size_t i = 0; i < std::size(kConnectionHeaders); ++i) {
    if ((connection_headers_ & (1u << i)) != 0) {
      bad_request_ =
          fmt::format("request header \"{}\" is not valid in HTTP/2", kConnectionHeaders[i]);
      return true;
    }
  }
  if (bad_te_) bad_request_ = "request header \"TE\" may only be \"trailers\" in HTTP/2";
  return true;
}

bool RequestCheck::Data(size_t n) {
  received_ += n;
  return content_length_ < 0 || received_ <= static_cast<uint64_t>(content_length_);
}

bool RequestCheck::BodyEnd() const {
  return content_length_ < 0 || received_ == static_cast<uint64_t>(content_length_);
}

bool RequestCheck::TrailerField(std::string_view name, std::string_view value) {
  return (name.empty() || name.front() != ':') && RegularFieldValid(name, value);
}

}  // namespace kubedouble::net::http2
