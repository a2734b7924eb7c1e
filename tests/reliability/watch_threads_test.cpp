// An open watch costs memory, not a thread (net::StreamWaker): 200 watches open against
// `kubedouble serve` leave it far fewer threads than watches, and a write still reaches every
// one of them.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/temp_dir.h"
#include "raw_tls.h"
#include "serve_process.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kWatches = 200;
// The loop, the pool's workers (32 at most while none waits), and the server's own few.
constexpr int kThreadBound = 64;

std::string Request(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = {}) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                  token + "\r\n";
  if (!body.empty()) {
    r +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

// Reads from `c` until what came holds `text` (a deadline of 20 s, not a timing assertion).
bool ReadUntil(RawConn& c, std::string& got, const std::string& text) {
  char buf[4096];
  for (int i = 0; i < 200 && got.find(text) == std::string::npos; ++i) {
    const int n = c.ReadSome(buf, sizeof buf, milliseconds(100));
    if (n < 0) break;
    got.append(buf, static_cast<size_t>(std::max(n, 0)));
  }
  return got.find(text) != std::string::npos;
}

TEST(WatchThreadsTest, TwoHundredOpenWatchesHoldNoThreadEachAndAllHearAWrite) {
  test::TempDir tmp;
  fs::path dir = tmp / "watches";
  ServeProcess serve(dir, {"--max-watches", std::to_string(kWatches + 10)});
  ASSERT_TRUE(serve.ok()) << serve.log();
  const std::string token = AdminToken(dir);
  const std::string ca = (dir / "pki" / "ca.crt").string();
  // Watches of one name not created yet: no initial event, the first is the write's.
  const std::string watch =
      "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dprobe";
  std::vector<std::unique_ptr<RawConn>> watches;
  std::vector<std::string> got(kWatches);
  for (int i = 0; i < kWatches; ++i) {
    watches.push_back(std::make_unique<RawConn>(serve.port()));
    ASSERT_TRUE(watches.back()->Handshake(ca)) << "watch " << i;
    ASSERT_TRUE(watches.back()->Send(Request("GET", watch, token)));
    ASSERT_TRUE(ReadUntil(*watches.back(), got[i], "\r\n\r\n")) << "watch " << i;
    ASSERT_EQ(got[i].rfind("HTTP/1.1 200", 0), 0u) << got[i];
  }
  // Every watch is open and waiting; a thread each would make over 200.
  EXPECT_LT(serve.Threads(), kThreadBound);

  RawConn writer(serve.port());
  ASSERT_TRUE(writer.Handshake(ca));
  ASSERT_TRUE(writer.Send(Request("POST", "/api/v1/namespaces/default/configmaps", token,
                                  R"({"metadata":{"name":"probe"},"data":{"k":"v"}})")));
  EXPECT_EQ(writer.Read().status, 201);
  for (int i = 0; i < kWatches; ++i) {
    EXPECT_TRUE(ReadUntil(*watches[i], got[i], R"("type":"ADDED")")) << "watch " << i;
  }
  EXPECT_LT(serve.Threads(), kThreadBound);
  watches.clear();
  EXPECT_EQ(serve.Signal(SIGTERM, seconds(10)), 0) << serve.log();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kubedouble::testing
