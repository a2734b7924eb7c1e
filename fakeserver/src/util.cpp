#include "util.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <random>
#include <stdexcept>
#include <vector>

namespace kubedouble::fake::util {

namespace {
std::vector<unsigned char> RandomBytes(size_t n) {
  std::vector<unsigned char> buf(n);
  if (n > 0 && RAND_bytes(buf.data(), static_cast<int>(n)) != 1) {
    throw std::runtime_error("OpenSSL could not produce random bytes");
  }
  return buf;
}

std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}
}  // namespace

std::string RandomHex(size_t bytes) {
  auto b = RandomBytes(bytes);
  return Hex(b.data(), b.size());
}

std::string RandomSuffix(size_t n) {
  // The alphabet Kubernetes uses for generated names (no vowels, no look-alikes).
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  auto b = RandomBytes(n);
  std::string out;
  for (auto c : b) out += kAlphabet[c % kAlphabet.size()];
  return out;
}

std::string RandomUuid() {
  auto b = RandomBytes(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  std::string h = Hex(b.data(), b.size());
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string UuidFromBits(uint64_t high, uint64_t low) {
  static constexpr char kDigits[] = "0123456789abcdef";
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // variant 1
  std::string out(36, '-');
  size_t at = 0;
  for (uint64_t half : {high, low}) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      if (at == 8 || at == 13 || at == 18 || at == 23) ++at;  // the dashes
      out[at++] = kDigits[(half >> shift) & 15];
    }
  }
  return out;
}

std::string FastUuid() {
  // Seeded by the system (not OpenSSL: a thread that has not used OpenSSL's generator yet does
  // not set it up here), as the store's generator of object uids is.
  thread_local std::mt19937_64 rng = [] {
    std::random_device system;
    return std::mt19937_64((uint64_t{system()} << 32) | system());
  }();
  const uint64_t high = rng();
  return UuidFromBits(high, rng());
}

std::string Sha256Hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return Hex(md, sizeof md);
}

}  // namespace kubedouble::fake::util
