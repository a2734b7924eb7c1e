// UTF-8 as Go reads it (base/utf8.h).
#include <gtest/gtest.h>
#include <kubedouble/base/utf8.h>

namespace kubedouble::base {
namespace {

TEST(Utf8, SequenceLengths) {
  EXPECT_EQ(Utf8SequenceAt("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceAt("\xc3\xa9", 0), 2u);
  EXPECT_EQ(Utf8SequenceAt("\xe2\x9c\x93", 0), 3u);
  EXPECT_EQ(Utf8SequenceAt("\xf0\x9f\x90\xb3", 0), 4u);
  EXPECT_EQ(Utf8SequenceAt("x\xc3\xa9", 1), 2u);
  for (const char* bad :
       {"\x80", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x28\xa1", "\xff"}) {
    EXPECT_EQ(Utf8SequenceAt(bad, 0), 0u) << bad;
  }
}

TEST(Utf8, InvalidBytesBecomeTheReplacementCharacter) {
  EXPECT_EQ(ToValidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(ToValidUtf8("a\xffz"), "a\xef\xbf\xbdz");
  EXPECT_EQ(ToValidUtf8("\xc3"), "\xef\xbf\xbd");
  EXPECT_EQ(ToValidUtf8(""), "");
}

}  // namespace
}  // namespace kubedouble::base
