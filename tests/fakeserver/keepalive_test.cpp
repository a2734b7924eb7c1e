#include <gtest/gtest.h>

#include <vector>

#include "client.h"

namespace kubedouble::testing {
namespace {

// cpp-httplib gives each open connection a worker; 256 idle keep-alive clients must not leave a
// new client waiting.
TEST(KeepAlive, IdleConnectionsDoNotStarveNewClients) {
  fake::TestServer srv;
  std::vector<std::unique_ptr<httplib::SSLClient>> idle;
  for (int i = 0; i < 256; ++i) {
    auto c = Client(srv, AdminToken(srv));
    c->set_keep_alive(true);
    auto r = c->Get("/healthz");
    ASSERT_TRUE(r) << "connection " << i << ": " << httplib::to_string(r.error());
    ASSERT_EQ(r->status, 200);
    idle.push_back(std::move(c));
  }
  auto fresh = Client(srv, AdminToken(srv));
  auto r = fresh->Get("/api/v1/namespaces/default/pods");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  // The idle ones are still usable too.
  auto again = idle.front()->Get("/readyz");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

}  // namespace
}  // namespace kubedouble::testing
