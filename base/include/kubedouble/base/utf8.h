// UTF-8 as Go reads it: what is a valid sequence, and text made valid the way Go's JSON encoder
// makes it (U+FFFD for every byte that starts no valid sequence).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kubedouble::base {

// The length in bytes (1 to 4) of the valid UTF-8 sequence that starts at s[at], or 0 when none
// does: a stray continuation byte, a truncated sequence, an overlong form, a surrogate
// (U+D800..U+DFFF) or a code point past U+10FFFF.
size_t Utf8SequenceAt(std::string_view s, size_t at);

// `s` with each byte that starts no valid sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

}  // namespace kubedouble::base
