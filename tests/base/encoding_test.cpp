// Base64 as Go's encoding/base64 (base/encoding.h).
#include <gtest/gtest.h>
#include <kubedouble/base/encoding.h>

namespace kubedouble::base {
namespace {

std::optional<size_t> BadAt(std::string_view text) {
  size_t at = 12345;
  if (Base64Decode(text, &at)) return std::nullopt;
  return at;
}

TEST(Base64, EncodesStdAndRawUrl) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("h"), "aA==");
  EXPECT_EQ(Base64Encode("hi"), "aGk=");
  EXPECT_EQ(Base64Encode("hi!"), "aGkh");
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64UrlEncode(""), "");
}

TEST(Base64, DecodesWhatItEncodes) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (size_t n : {0, 1, 2, 3, 4, 5, 255, 256}) {
    std::string data = all.substr(0, n);
    EXPECT_EQ(Base64Decode(Base64Encode(data)), data) << n;
    EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(data)), data) << n;
  }
  EXPECT_EQ(Base64Decode("aG\r\nk=\n"), "hi");  // line ends are skipped, as Go does
  EXPECT_EQ(Base64UrlDecode("aGk="), "hi");     // padding is optional in the URL form
  EXPECT_EQ(Base64UrlDecode("aGk"), "hi");
}

TEST(Base64, BadInputNamesTheOffsetGoNames) {
  EXPECT_EQ(BadAt("aGk"), 0u);  // padding is required
  EXPECT_EQ(BadAt("a"), 0u);
  EXPECT_EQ(BadAt("aGk*"), 3u);   // not in the alphabet
  EXPECT_EQ(BadAt("aG k="), 2u);  // nor is a space
  EXPECT_EQ(BadAt("=aGk"), 0u);   // padding too early
  EXPECT_EQ(BadAt("aG="), 3u);    // one '=' where two belong
  EXPECT_EQ(BadAt("aG=x"), 2u);
  EXPECT_EQ(BadAt("aGk=aGk="), 4u);  // text after the padding
  EXPECT_EQ(BadAt("-_8="), 0u);      // the URL alphabet is not the standard one
  EXPECT_EQ(BadAt("YWJj-A=="), 4u);
  EXPECT_EQ(BadAt("YWJjZA="), 7u);  // the second '=' is missing at the end
  EXPECT_EQ(BadAt("YWJjZA"), 4u);
  EXPECT_FALSE(BadAt("YWJj\r\nZA==\n"));
  EXPECT_FALSE(BadAt(""));
  EXPECT_FALSE(BadAt("aGk="));
  EXPECT_FALSE(Base64Decode("aGk=", nullptr) == std::nullopt);
  EXPECT_FALSE(Base64UrlDecode("+/8"));  // nor the other way round
  EXPECT_FALSE(Base64UrlDecode("a"));
  EXPECT_FALSE(Base64UrlDecode("aGk=="));
}

}  // namespace
}  // namespace kubedouble::base
