// The UUIDs the server makes: object uids (the store's generator) and Audit-Ids (a per-thread
// generator), both RFC 4122 version 4 laid out from 128 bits.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "util.h"

namespace kubedouble::fake::util {
namespace {

const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

TEST(Uuid, FromBitsLaysOutTheHighThenTheLowHalfWithVersionAndVariant) {
  EXPECT_EQ(UuidFromBits(0x0123456789abcdefULL, 0xfedcba9876543210ULL),
            "01234567-89ab-4def-bedc-ba9876543210");
  EXPECT_EQ(UuidFromBits(0, 0), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(UuidFromBits(~0ULL, ~0ULL), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

TEST(Uuid, FastUuidsAreVersion4AndDistinctAcrossThreads) {
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 1000; ++i) out.push_back(FastUuid());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (const auto& out : made) {
    for (const auto& id : out) {
      EXPECT_TRUE(std::regex_match(id, kUuid)) << id;
      distinct.insert(id);
    }
  }
  EXPECT_EQ(distinct.size(), 4000u);
}

}  // namespace
}  // namespace kubedouble::fake::util
