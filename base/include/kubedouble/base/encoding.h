// Base64 as Go's encoding/base64 writes and reads it: the standard alphabet with padding
// (StdEncoding: Secret data, []byte fields, kubeconfig *-data, HTTP Basic credentials) and the
// URL-safe alphabet without padding (RawURLEncoding: JWT parts, list continue tokens).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kubedouble::base {

// StdEncoding: "aGk=" for "hi".
std::string Base64Encode(std::string_view data);
// RawURLEncoding: '-' and '_' for '+' and '/', no '=' padding.
std::string Base64UrlEncode(std::string_view data);

// StdEncoding.DecodeString: padding is required and line ends (\r, \n) anywhere are skipped.
// nullopt for anything else; then `*bad_at`, when given, is the offset Go's CorruptInputError
// names ("illegal base64 data at input byte N").
std::optional<std::string> Base64Decode(std::string_view text, size_t* bad_at = nullptr);
// The URL-safe alphabet, with or without padding (RawURLEncoding, or URLEncoding when the text
// ends in '='); nullopt when it does not decode.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace kubedouble::base
