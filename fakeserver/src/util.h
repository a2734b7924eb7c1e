// Small helpers shared by the fake server's files: randomness and hashes.
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

std::string Sha256Hex(std::string_view data);

}  // namespace kubedouble::fake::util
