// Status reasons, codes and bodies (base/status.h).
#include <gtest/gtest.h>
#include <kubedouble/base/status.h>

namespace kubedouble::base {
namespace {

using json = nlohmann::json;

TEST(StatusReasons, CodesAndReasonsBothWays) {
  EXPECT_EQ(ReasonForCode(404), "NotFound");
  EXPECT_EQ(ReasonForCode(409), "Conflict");
  EXPECT_EQ(ReasonForCode(410), "Expired");  // what kube-apiserver sends for a 410
  EXPECT_EQ(ReasonForCode(429), "TooManyRequests");
  EXPECT_EQ(ReasonForCode(503), "ServiceUnavailable");
  EXPECT_EQ(ReasonForCode(418), "");
  EXPECT_EQ(ReasonForCode(0), "");
  EXPECT_EQ(CodeForReason("Forbidden"), 403);
  EXPECT_EQ(CodeForReason("AlreadyExists"), 409);
  EXPECT_EQ(CodeForReason("Gone"), 410);
  EXPECT_EQ(CodeForReason("Expired"), 410);
  EXPECT_EQ(CodeForReason("Timeout"), 504);
  EXPECT_EQ(CodeForReason("notfound"), 0);  // reasons are case-sensitive
  EXPECT_EQ(CodeForReason(""), 0);
}

TEST(StatusReasons, GenericWordsAreClientGos) {
  EXPECT_EQ(GenericFailure(404).reason, "NotFound");
  EXPECT_EQ(GenericFailure(404).message, "the server could not find the requested resource");
  EXPECT_EQ(GenericFailure(410).reason, "Gone");
  EXPECT_EQ(GenericFailure(409).reason, "Conflict");
  EXPECT_EQ(GenericFailure(401).message,
            "the server has asked for the client to provide credentials");
  EXPECT_EQ(GenericFailure(418).reason, "Unknown");
  EXPECT_EQ(GenericFailure(418).message,
            "an error on the server has prevented the request from succeeding");
}

TEST(StatusBody, BuiltAsTheServerSendsIt) {
  EXPECT_EQ(MakeStatus(404, "NotFound", "pods \"x\" not found", {{"name", "x"}, {"kind", "pods"}}),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
              "message":"pods \"x\" not found","reason":"NotFound",
              "details":{"name":"x","kind":"pods"},"code":404})"));
  json bare = MakeStatus(400, "BadRequest", "bad");
  EXPECT_FALSE(bare.contains("details"));
  EXPECT_EQ(MakeStatus(Status{401, "Unauthorized", "Unauthorized", nullptr}),
            MakeStatus(401, "Unauthorized", "Unauthorized"));
  EXPECT_EQ(MakeSuccessStatus(),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"})"));
  EXPECT_EQ(MakeSuccessStatus(nullptr, 201)["code"], 201);
  EXPECT_EQ(MakeSuccessStatus({{"name", "a"}})["details"]["name"], "a");
}

TEST(StatusBody, ParsedBackAndOtherBodiesRefused) {
  auto s = ParseStatus(MakeStatus(409, "AlreadyExists", "exists", {{"name", "a"}}).dump());
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, 409);
  EXPECT_EQ(s->reason, "AlreadyExists");
  EXPECT_EQ(s->message, "exists");
  EXPECT_EQ(s->details["name"], "a");

  EXPECT_FALSE(ParseStatus(std::string_view("not json")));
  EXPECT_FALSE(ParseStatus(std::string_view("")));
  EXPECT_FALSE(ParseStatus(json::array()));
  EXPECT_FALSE(ParseStatus(json{{"kind", "Pod"}, {"status", "Failure"}}));
  EXPECT_FALSE(ParseStatus(MakeSuccessStatus()));
  // Mistyped fields read as empty rather than throwing.
  auto odd = ParseStatus(json{{"kind", "Status"},
                              {"status", "Failure"},
                              {"code", "404"},
                              {"reason", 7},
                              {"message", nullptr}});
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->code, 0);
  EXPECT_EQ(odd->reason, "");
  EXPECT_EQ(odd->message, "");
  EXPECT_TRUE(odd->details.is_null());
}

}  // namespace
}  // namespace kubedouble::base
