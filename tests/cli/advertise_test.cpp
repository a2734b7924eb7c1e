// Where clients are told to go (fakeserver/src/advertise.h), without listening anywhere: a
// server on every interface (0.0.0.0, ::) advertises loopback, never https://0.0.0.0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "advertise.h"

namespace kubedouble::fake {
namespace {

TEST(Advertise, EveryInterfaceAdvertisesLoopbackNeverTheWildcard) {
  EXPECT_EQ(Advertise({.address = "0.0.0.0"}, 6443).url, "https://127.0.0.1:6443");
  EXPECT_EQ(Advertise({.address = "::"}, 6443).url, "https://[::1]:6443");
  EXPECT_EQ(Advertise({.address = "::1"}, 7).url, "https://[::1]:7");
  EXPECT_EQ(Advertise({.address = "127.0.0.2"}, 7).url, "https://127.0.0.2:7");
}

TEST(Advertise, TheAdvertisedPlaceWins) {
  Advertised a = Advertise({.address = "0.0.0.0", .advertise_address = "10.0.0.5"}, 6443);
  EXPECT_EQ(a.url, "https://10.0.0.5:6443");
  EXPECT_EQ(a.host, "10.0.0.5");
  a = Advertise({.address = "0.0.0.0", .advertise_url = "https://kubedouble.ci"}, 6443);
  EXPECT_EQ(a.url, "https://kubedouble.ci:443");  // the URL's own port
  EXPECT_EQ(a.port, 443);
  a = Advertise({.advertise_url = "https://[fd00::5]:8443/"}, 1);
  EXPECT_EQ(a.host, "fd00::5");
  EXPECT_EQ(a.url, "https://[fd00::5]:8443");
  EXPECT_EQ(AdvertisedHost({.advertise_address = "[fd00::5]"}), "fd00::5");
}

TEST(Advertise, BadValuesNameTheFlag) {
  for (const char* url : {"http://x", "https://", "https://x:0", "https://x:99999", "https://a b",
                          "https://x/path", "https://user@x"}) {
    EXPECT_THROW(AdvertisedHost({.advertise_url = url}), std::runtime_error) << url;
  }
  EXPECT_THROW(AdvertisedHost({.advertise_url = "https://x", .advertise_address = "y"}),
               std::runtime_error);
}

}  // namespace
}  // namespace kubedouble::fake
