// Small helpers shared by the fake server's files: randomness, encodings, time.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace kubedouble::fake::util {

using json = nlohmann::json;

// `bytes` random bytes from OpenSSL's CSPRNG, as lowercase hex.
std::string RandomHex(size_t bytes);
// `n` random characters from [a-z0-9] (Kubernetes name suffixes use bcdfghjklmnpqrstvwxz2456789).
std::string RandomSuffix(size_t n);
// A random RFC 4122 version-4 UUID.
std::string RandomUuid();
// A version-4 UUID from a per-thread generator seeded once by the system: unique, not secret,
// about a tenth of RandomUuid's cost. For identifiers (Audit-Id, uids), never for credentials.
std::string FastUuid();
// The version-4 UUID made of 128 bits (`high` then `low`; the version and variant bits are set).
std::string UuidFromBits(uint64_t high, uint64_t low);

std::string Base64(std::string_view data);
// Unpadded base64url (RFC 4648 section 5), as JWTs and continue tokens use it.
std::string Base64Url(std::string_view data);
std::string Sha256Hex(std::string_view data);

// "2026-01-02T03:04:05Z"
std::string Rfc3339(std::chrono::system_clock::time_point t);

// Trims spaces, tabs and line ends on both sides.
std::string Trim(std::string_view s);

}  // namespace kubedouble::fake::util
