// Text helpers (base/strings.h).
#include <gtest/gtest.h>
#include <kubedouble/base/strings.h>

#include <utility>

namespace kubedouble::base {
namespace {

TEST(Strings, TrimAndLower) {
  EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(Trim("\f\va\v"), "a");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Lower("Hello-WORLD_9"), "hello-world_9");
  EXPECT_EQ(Lower("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9");  // only ASCII changes
  EXPECT_EQ(Lower(""), "");
}

// The names Go's servers hand their handlers, whatever case the client wrote (HTTP/2 sends them
// in lower case).
TEST(Strings, CanonicalHeaderKeyAsGoWritesIt) {
  EXPECT_EQ(CanonicalHeaderKey("user-agent"), "User-Agent");
  EXPECT_EQ(CanonicalHeaderKey("x-forwarded-uri"), "X-Forwarded-Uri");
  EXPECT_EQ(CanonicalHeaderKey("ACCEPT-ENCODING"), "Accept-Encoding");
  EXPECT_EQ(CanonicalHeaderKey("www-authenticate"), "Www-Authenticate");
  EXPECT_EQ(CanonicalHeaderKey("x-1a"), "X-1a");
  EXPECT_EQ(CanonicalHeaderKey("-x"), "-X");
  EXPECT_EQ(CanonicalHeaderKey(""), "");
  // Not a token: left as it is.
  EXPECT_EQ(CanonicalHeaderKey("bad header"), "bad header");
  EXPECT_EQ(CanonicalHeaderKey("caf\xc3\xa9"), "caf\xc3\xa9");
}

TEST(Strings, IpAddresses) {
  EXPECT_TRUE(IsIpAddress("127.0.0.1"));
  EXPECT_TRUE(IsIpAddress("::1"));
  EXPECT_TRUE(IsIpAddress("fe80::1"));
  EXPECT_TRUE(IsIpv4Address("10.0.0.1"));
  EXPECT_FALSE(IsIpv4Address("::1"));
  EXPECT_TRUE(IsIpv6Address("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsIpv6Address("10.0.0.1"));
  for (const char* not_ip : {"localhost", "[::1]", "127.0.0.1:6443", "256.0.0.1", "1.2.3", "",
                             " 127.0.0.1", "kubernetes.default.svc", ":::"}) {
    EXPECT_FALSE(IsIpAddress(not_ip)) << not_ip;
  }
  EXPECT_FALSE(IsIpAddress(std::string_view("127.0.0.1\0x", 11)));
}

TEST(Strings, CleanRootedPathAsGoCleansOne) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "/"}, {"/", "/"}, {"//a/./b/", "/a/b"}, {"/a/b/../../../c", "/c"}, {"tmp/x/..", "/tmp"}};
  for (const auto& [path, clean] : cases) EXPECT_EQ(CleanRootedPath(path), clean) << path;
}

}  // namespace
}  // namespace kubedouble::base
