// The API server buffers its TLS reads and sends an answer's head and body in one record
// (net/src/connection.h, http1.h). What a client must see: whole answers however its bytes are cut
// into records — a request a byte per record, head and body in one record or apart, several
// answers on one keep-alive connection, HEAD answers without a body — and clients in the same
// process (this test's own TLS connections) untouched.
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/server.h>
#include <nlohmann/json.hpp>

#include <string>

#include "raw_tls.h"

namespace kubedouble::testing {
namespace {

using json = nlohmann::json;

const char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";

std::string Request(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body = "") {
  std::string out = method + " " + target +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n";
  if (!body.empty()) {
    out +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return out + "\r\n";
}

std::string ConfigMap(const std::string& name) {
  return json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"namespace", "default"}}},
              {"data", {{"k", std::string(3000, 'v')}}}}
      .dump();
}

class TlsBuffersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(conn_.ok());
    ASSERT_TRUE(conn_.Handshake(srv_.paths().ca_crt.string()));
  }
  const std::string& token() const { return srv_.paths().admin_token; }

  fake::TestServer srv_;
  RawConn conn_{srv_.port()};
};

TEST_F(TlsBuffersTest, ManyAnswersOnOneConnectionEachWhole) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(conn_.Send(Request("GET", "/api/v1/namespaces/default/pods", token())));
    RawReply r = conn_.Read();
    ASSERT_EQ(r.status, 200) << "answer " << i << ": " << r.head;
    EXPECT_FALSE(r.closed);
    EXPECT_EQ(json::parse(r.body)["kind"], "PodList");
  }
}

TEST_F(TlsBuffersTest, HeadAnswerHasNoBodyAndTheConnectionGoesOn) {
  ASSERT_TRUE(conn_.Send(Request("HEAD", "/api/v1/namespaces/default/pods", token())));
  RawReply head = conn_.ReadHead();
  ASSERT_EQ(head.status, 200) << head.head;
  EXPECT_NE(head.head.find("Content-Length: "), std::string::npos) << head.head;
  // The next answer on the connection starts right after the head: no body bytes in between.
  ASSERT_TRUE(conn_.Send(Request("GET", "/version", token())));
  RawReply next = conn_.Read();
  ASSERT_EQ(next.status, 200) << next.head;
  EXPECT_TRUE(json::parse(next.body).contains("gitVersion"));
}

TEST_F(TlsBuffersTest, RequestSentOneByteARecordIsAnswered) {
  const std::string request = Request("GET", "/api", token());
  for (char c : request) ASSERT_TRUE(conn_.Send(std::string(1, c)));
  RawReply r = conn_.Read();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(json::parse(r.body)["kind"], "APIVersions");
}

TEST_F(TlsBuffersTest, HeadLargerThanTheReadBufferInOneRecordIsReadWhole) {
  // 10 KB of headers in one record: read in parts, the rest counted as pending by OpenSSL.
  std::string request = Request("GET", "/api", token());
  for (int i = 0; i < 5; ++i) {
    request.insert(request.size() - 2,
                   "X-Padding-" + std::to_string(i) + ": " + std::string(2000, 'p') + "\r\n");
  }
  ASSERT_TRUE(conn_.Send(request));
  RawReply r = conn_.Read();
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(json::parse(r.body)["kind"], "APIVersions");
}

TEST_F(TlsBuffersTest, BodyInTheHeadsRecordOrAfterItIsReadWhole) {
  // Head and body in one record: part of the body is read with the head.
  const std::string together = ConfigMap("together");
  ASSERT_TRUE(conn_.Send(Request("POST", kConfigMaps, token(), together) + together));
  RawReply r1 = conn_.Read();
  ASSERT_EQ(r1.status, 201) << r1.head << r1.body;
  // Head, then the body in two later records.
  const std::string apart = ConfigMap("apart");
  ASSERT_TRUE(conn_.Send(Request("POST", kConfigMaps, token(), apart)));
  ASSERT_TRUE(conn_.Send(apart.substr(0, 100)));
  ASSERT_TRUE(conn_.Send(apart.substr(100)));
  RawReply r2 = conn_.Read();
  ASSERT_EQ(r2.status, 201) << r2.head << r2.body;
  for (const char* name : {"together", "apart"}) {
    ASSERT_TRUE(conn_.Send(Request("GET", std::string(kConfigMaps) + "/" + name, token())));
    RawReply got = conn_.Read();
    ASSERT_EQ(got.status, 200) << name;
    EXPECT_EQ(json::parse(got.body)["data"]["k"], std::string(3000, 'v')) << name;
  }
}

TEST_F(TlsBuffersTest, LargeAnswerFollowsItsHeadWhole) {
  // An answer larger than what is joined with its head in one write (256 KiB).
  for (int i = 0; i < 120; ++i) {
    const std::string body = ConfigMap("big-" + std::to_string(i));
    ASSERT_TRUE(conn_.Send(Request("POST", kConfigMaps, token(), body) + body));
    ASSERT_EQ(conn_.Read().status, 201);
  }
  ASSERT_TRUE(conn_.Send(Request("GET", kConfigMaps, token())));
  RawReply r = conn_.Read(30);
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_GT(r.body.size(), 256u * 1024);
  EXPECT_GE(json::parse(r.body)["items"].size(), 120u);
}

}  // namespace
}  // namespace kubedouble::testing
