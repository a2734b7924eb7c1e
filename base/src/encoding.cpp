// Base64 both ways. Encoding goes through OpenSSL; decoding is written out because Go's rules
// (where padding may stand, skipped line ends, the offset of the first bad byte) are the point.
#include "kubedouble/base/encoding.h"

#include <openssl/evp.h>

#include <cstdint>

namespace kubedouble::base {
namespace {

// The value of `c` in the standard (or, with `url`, the URL-safe) alphabet; -1 when none.
int Sextet(unsigned char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (url ? '-' : '+')) return 62;
  if (c == (url ? '_' : '/')) return 63;
  return -1;
}

bool LineEnd(char c) { return c == '\n' || c == '\r'; }

// encoding/base64's decode loop, one quantum of four characters at a time.
std::optional<std::string> Decode(std::string_view s, bool url, bool padded, size_t* bad_at) {
  auto fail = [bad_at](size_t at) -> std::optional<std::string> {
    if (bad_at) *bad_at = at;
    return std::nullopt;
  };
  std::string out;
  out.reserve(s.size() / 4 * 3 + 3);
  const size_t n = s.size();
  size_t si = 0;
  while (si < n) {
    uint32_t bits = 0;
    int have = 0;  // characters of this quantum read
    bool last = false;
    for (; have < 4; ++have) {
      if (si == n) {
        if (have == 0) return out;
        if (have == 1 || padded) return fail(si - static_cast<size_t>(have));
        last = true;
        break;
      }
      const unsigned char in = static_cast<unsigned char>(s[si++]);
      if (int v = Sextet(in, url); v >= 0) {
        bits = bits << 6 | static_cast<uint32_t>(v);
        continue;
      }
      if (LineEnd(static_cast<char>(in))) {
        --have;
        continue;
      }
      if (!padded || in != '=' || have < 2) return fail(si - 1);
      if (have == 2) {  // a second '=' must follow
        while (si < n && LineEnd(s[si])) ++si;
        if (si == n) return fail(n);
        if (s[si] != '=') return fail(si - 1);
        ++si;
      }
      while (si < n && LineEnd(s[si])) ++si;
      if (si < n) return fail(si);  // text after the padding
      last = true;
      break;
    }
    bits <<= 6 * (4 - have);
    for (int k = 0; k < have - 1; ++k) out.push_back(static_cast<char>(bits >> (16 - 8 * k)));
    if (last) return out;
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');  // + the NUL EVP writes
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Base64UrlEncode(std::string_view data) {
  std::string s = Base64Encode(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

std::optional<std::string> Base64Decode(std::string_view text, size_t* bad_at) {
  return Decode(text, /*url=*/false, /*padded=*/true, bad_at);
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  const bool padded = !text.empty() && text.back() == '=';
  return Decode(text, /*url=*/true, padded, nullptr);
}

}  // namespace kubedouble::base
