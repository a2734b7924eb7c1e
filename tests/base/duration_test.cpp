// Go durations (base/duration.h).
#include <gtest/gtest.h>
#include <kubedouble/base/duration.h>

namespace kubedouble::base {
namespace {

using namespace std::chrono;

std::string Why(std::string_view text) {
  std::string why;
  EXPECT_FALSE(ParseGoDuration(text, &why)) << text;
  return why;
}

TEST(GoDuration, Parses) {
  EXPECT_EQ(ParseGoDuration("0"), nanoseconds(0));
  EXPECT_EQ(ParseGoDuration("-0"), nanoseconds(0));
  EXPECT_EQ(ParseGoDuration("90s"), seconds(90));
  EXPECT_EQ(ParseGoDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseGoDuration("1.5h"), minutes(90));
  EXPECT_EQ(ParseGoDuration("+250ms"), milliseconds(250));
  EXPECT_EQ(ParseGoDuration("-2m3.5s"), -milliseconds(123500));
  EXPECT_EQ(ParseGoDuration("10us"), microseconds(10));
  EXPECT_EQ(ParseGoDuration("10\u00b5s"), microseconds(10));
  EXPECT_EQ(ParseGoDuration("1ns"), nanoseconds(1));
  EXPECT_EQ(ParseGoDuration(".5s"), milliseconds(500));
  EXPECT_EQ(ParseGoDuration("1.s"), seconds(1));
  EXPECT_EQ(ParseGoDuration("1.000000001s"), nanoseconds(1000000001));
  EXPECT_EQ(ParseGoDuration("2562047h47m16.854775807s"), nanoseconds(INT64_MAX));
  EXPECT_EQ(ParseGoDuration("-2562047h47m16.854775808s"), nanoseconds(INT64_MIN));
}

TEST(GoDuration, BadInputSaysWhyInGosWords) {
  EXPECT_EQ(Why(""), "time: invalid duration \"\"");
  EXPECT_EQ(Why("-"), "time: invalid duration \"-\"");
  EXPECT_EQ(Why("h"), "time: invalid duration \"h\"");
  EXPECT_EQ(Why("."), "time: invalid duration \".\"");
  EXPECT_EQ(Why("5"), "time: missing unit in duration \"5\"");
  EXPECT_EQ(Why("1h5"), "time: missing unit in duration \"1h5\"");
  EXPECT_EQ(Why("5d"), "time: unknown unit \"d\" in duration \"5d\"");
  EXPECT_EQ(Why("2 h"), "time: unknown unit \" h\" in duration \"2 h\"");
  EXPECT_EQ(Why("2562047h47m16.854775808s"), "time: invalid duration \"2562047h47m16.854775808s\"");
  EXPECT_EQ(Why("99999999999999999999h"), "time: invalid duration \"99999999999999999999h\"");
  EXPECT_FALSE(ParseGoDuration("1x"));  // no error wanted: still nullopt
}

TEST(GoDuration, FormatsAsGoDoes) {
  EXPECT_EQ(FormatGoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(999)), "999ns");
  EXPECT_EQ(FormatGoDuration(microseconds(10)), "10\u00b5s");
  EXPECT_EQ(FormatGoDuration(microseconds(1500)), "1.5ms");
  EXPECT_EQ(FormatGoDuration(seconds(45)), "45s");
  EXPECT_EQ(FormatGoDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(minutes(90)), "1h30m0s");
  EXPECT_EQ(FormatGoDuration(-minutes(2)), "-2m0s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(INT64_MIN)), "-2562047h47m16.854775808s");
  for (auto d : {nanoseconds(1), nanoseconds(123456789), nanoseconds(INT64_MAX),
                 -nanoseconds(3723000000001)}) {
    EXPECT_EQ(ParseGoDuration(FormatGoDuration(d)), d);
  }
}

}  // namespace
}  // namespace kubedouble::base
