// RFC 3339 timestamps (base/rfc3339.h).
#include <gtest/gtest.h>
#include <kubedouble/base/rfc3339.h>

namespace kubedouble::base {
namespace {

using namespace std::chrono;

TEST(Rfc3339, BothWays) {
  const SysTime t = SysTime(seconds(1767323045));  // 2026-01-02T03:04:05Z
  EXPECT_EQ(FormatRfc3339(t), "2026-01-02T03:04:05Z");
  EXPECT_EQ(FormatRfc3339(t + milliseconds(999)), "2026-01-02T03:04:05Z");  // whole seconds
  EXPECT_EQ(ParseRfc3339("2026-01-02T03:04:05Z"), t);
  EXPECT_EQ(ParseRfc3339("2026-01-02T03:04:05.123Z"), t);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z"), SysTime());
}

TEST(Rfc3339, NotATimestamp) {
  EXPECT_FALSE(ParseRfc3339(""));
  EXPECT_FALSE(ParseRfc3339("2026-01-02"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
  EXPECT_FALSE(ParseRfc3339("2026-01-02 03:04:05Z"));
}

}  // namespace
}  // namespace kubedouble::base
