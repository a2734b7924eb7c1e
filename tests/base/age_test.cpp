// Ages as kubectl prints them (base/age.h).
#include <gtest/gtest.h>
#include <kubedouble/base/age.h>

namespace kubedouble::base {
namespace {

using namespace std::chrono;

TEST(HumanAge, TwoUnitsAtMostCoarserWithAge) {
  EXPECT_EQ(HumanAge(seconds(0)), "0s");
  EXPECT_EQ(HumanAge(seconds(119)), "119s");
  EXPECT_EQ(HumanAge(seconds(125)), "2m5s");
  EXPECT_EQ(HumanAge(minutes(3)), "3m");
  EXPECT_EQ(HumanAge(minutes(15)), "15m");
  EXPECT_EQ(HumanAge(hours(5) + minutes(30)), "5h30m");
  EXPECT_EQ(HumanAge(hours(5)), "5h");
  EXPECT_EQ(HumanAge(hours(20)), "20h");
  EXPECT_EQ(HumanAge(hours(76)), "3d4h");
  EXPECT_EQ(HumanAge(hours(24 * 30)), "30d");
  EXPECT_EQ(HumanAge(hours(24 * (365 * 2 + 100))), "2y100d");
  EXPECT_EQ(HumanAge(hours(24 * 365 * 10)), "10y");
  EXPECT_EQ(HumanAge(seconds(180)), "3m");
  EXPECT_EQ(HumanAge(seconds(200)), "3m20s");
  EXPECT_EQ(HumanAge(minutes(179)), "179m");
  EXPECT_EQ(HumanAge(hours(5) + minutes(3)), "5h3m");
  EXPECT_EQ(HumanAge(hours(48)), "2d");
  EXPECT_EQ(HumanAge(hours(50)), "2d2h");
  EXPECT_EQ(HumanAge(hours(24 * 365 * 3)), "3y");
  EXPECT_EQ(HumanAge(hours(24 * 365 * 3 + 24 * 10)), "3y10d");
}

TEST(HumanAge, TheFutureIsZeroThenInvalid) {
  EXPECT_EQ(HumanAge(seconds(-1)), "0s");
  EXPECT_EQ(HumanAge(seconds(-2)), "<invalid>");
  const auto t = system_clock::time_point(seconds(1'800'000'000));
  EXPECT_EQ(HumanAge(t, t + seconds(90)), "90s");
  EXPECT_EQ(HumanAge(t + hours(1), t), "<invalid>");
}

}  // namespace
}  // namespace kubedouble::base
