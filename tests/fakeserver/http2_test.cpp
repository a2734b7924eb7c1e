// The fake server over HTTP/2, as client-go's informers use it: a list and watches of two
// resources multiplexed on ONE connection, each watch getting its own events; the journal
// records the protocol; an Upgrade asked for over HTTP/2 is Go's 400; with ServerOptions::http2
// off ALPN chooses HTTP/1.1.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "client.h"
#include "common/h2_client.h"

namespace kubedouble::testing {
namespace {

std::vector<std::pair<std::string, std::string>> Bearer(const fake::TestServer& srv) {
  return {{"authorization", "Bearer " + srv.paths().admin_token}};
}

TEST(Http2Server, AnInformersListAndWatchesShareOneConnection) {
  fake::TestServer srv;
  H2Client c(srv.port(), srv.paths().ca_crt.string());
  ASSERT_TRUE(c.ok()) << "ALPN chose '" << c.alpn() << "'";
  const int32_t pods = c.Request("GET", "/api/v1/namespaces/default/pods?watch=1", {}, Bearer(srv));
  const int32_t cms =
      c.Request("GET", "/api/v1/namespaces/default/configmaps?watch=1", {}, Bearer(srv));
  const int32_t list = c.Request("GET", "/api/v1/namespaces/default/pods", {}, Bearer(srv));
  ASSERT_TRUE(c.RunUntil([&] {
    return c.reply(list).done && c.reply(pods).status == 200 && c.reply(cms).status == 200;
  }));
  EXPECT_EQ(c.reply(list).status, 200);
  EXPECT_NE(c.reply(list).body.find("\"kind\":\"PodList\""), std::string::npos);
  // A change to each resource reaches its own watch on the shared connection.
  auto admin = Client(srv, AdminToken(srv));
  ASSERT_EQ(admin
                ->Post("/api/v1/namespaces/default/configmaps",
                       R"({"metadata":{"name":"over-h2"},"data":{"a":"b"}})", "application/json")
                ->status,
            201);
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(cms).body.find("over-h2") != std::string::npos; }));
  EXPECT_EQ(c.reply(pods).body.find("over-h2"), std::string::npos);
  EXPECT_FALSE(c.reply(pods).done);
  EXPECT_FALSE(c.reply(cms).done);

  bool http2_list = false;
  for (const auto& e : srv.journal().Entries()) {
    if (e.path == "/api/v1/namespaces/default/pods" && e.query.empty()) {
      http2_list = e.protocol == "HTTP/2.0";
    }
  }
  EXPECT_TRUE(http2_list);
  c.Reset(pods);  // the watch's handler ends: its client reset the stream
  c.Reset(cms);
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(pods).done && c.reply(cms).done; }));
}

// Lists sent together on one connection are answered together (one worker, one write); a fault
// rule's delay on one of them holds none of the others back.
TEST(Http2Server, ListsSentTogetherAreAnsweredAndADelayedOneHoldsNoneBack) {
  fake::TestServer srv;
  H2Client c(srv.port(), srv.paths().ca_crt.string());
  ASSERT_TRUE(c.ok());
  std::vector<int32_t> lists;
  c.Hold();
  for (int i = 0; i < 20; ++i) {
    lists.push_back(c.Request("GET", "/api/v1/namespaces/default/pods", {}, Bearer(srv)));
  }
  c.Release();
  const auto all_done = [&] {
    return std::all_of(lists.begin(), lists.end(), [&](int32_t id) { return c.reply(id).done; });
  };
  ASSERT_TRUE(c.RunUntil(all_done));
  for (int32_t id : lists) {
    EXPECT_EQ(c.reply(id).status, 200);
    EXPECT_NE(c.reply(id).body.find("\"kind\":\"PodList\""), std::string::npos);
  }

  fake::FaultRule slow;
  slow.match.resource = "configmaps";
  slow.delay.kind = fake::FaultDelay::Kind::kFixed;
  slow.delay.fixed = std::chrono::seconds(5);
  srv.server().faults().Add(slow);
  c.Hold();  // the delayed request and the lists are read together
  const int32_t delayed =
      c.Request("GET", "/api/v1/namespaces/default/configmaps", {}, Bearer(srv));
  lists.clear();
  for (int i = 0; i < 20; ++i) {
    lists.push_back(c.Request("GET", "/api/v1/namespaces/default/pods", {}, Bearer(srv)));
  }
  c.Release();
  ASSERT_TRUE(c.RunUntil(all_done));
  EXPECT_FALSE(c.reply(delayed).done);  // still in its delay
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(delayed).done; }));
  EXPECT_EQ(c.reply(delayed).status, 200);
}

// An exec asked for over HTTP/2 with an Upgrade header (exec needs HTTP/1.1's 101): answered as
// kube-apiserver's Go server answers it, 400 with a line naming the header, and journaled.
TEST(Http2Server, AnUpgradeAskedForOverHttp2Is400AsKubeApiserversGoServerAnswers) {
  fake::TestServer srv;
  H2Client c(srv.port(), srv.paths().ca_crt.string());
  ASSERT_TRUE(c.ok());
  auto headers = Bearer(srv);
  headers.push_back({"upgrade", "websocket"});
  headers.push_back({"sec-websocket-protocol", "v5.channel.k8s.io"});
  const std::string exec = "/api/v1/namespaces/default/pods/redis-0/exec";
  const int32_t id = c.Request("GET", exec + "?command=ls&stdout=true", {}, headers);
  ASSERT_TRUE(c.RunUntil([&] { return c.reply(id).done; }));
  EXPECT_EQ(c.reply(id).error, 0u);
  EXPECT_EQ(c.reply(id).status, 400);
  EXPECT_EQ(c.reply(id).body, "request header \"Upgrade\" is not valid in HTTP/2\n");
  ASSERT_FALSE(srv.journal().Entries().empty());
  const fake::JournalEntry e = srv.journal().Entries().back();
  EXPECT_EQ(e.path, exec);
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.protocol, "HTTP/2.0");
}

TEST(Http2Server, OffTheServerSpeaksHttp1Only) {
  fake::TestServer srv({.http2 = false});
  H2Client c(srv.port(), srv.paths().ca_crt.string());
  ASSERT_TRUE(c.handshaken());
  EXPECT_EQ(c.alpn(), "http/1.1");
  auto admin = Client(srv, AdminToken(srv));
  ASSERT_EQ(admin->Get("/api")->status, 200);
  EXPECT_EQ(srv.journal().Entries().back().protocol, "HTTP/1.1");
}

}  // namespace
}  // namespace kubedouble::testing
