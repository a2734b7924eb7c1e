// TokenReview: a webhook asks who a bearer token is — every kind of token the server knows, the
// review's audiences, and the answers for tokens that are unknown, expired or revoked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

constexpr char kTokenReviews[] = "/apis/authentication.k8s.io/v1/tokenreviews";
constexpr char kApi[] = "https://kubernetes.default.svc.cluster.local";

json Review(httplib::SSLClient& c, const std::string& token, json audiences = nullptr) {
  json body = {{"apiVersion", "authentication.k8s.io/v1"},
               {"kind", "TokenReview"},
               {"spec", {{"token", token}}}};
  if (!audiences.is_null()) body["spec"]["audiences"] = audiences;
  auto r = c.Post(kTokenReviews, body.dump(), "application/json");
  if (!r) return {{"error", httplib::to_string(r.error())}};
  if (r->status != 201) return {{"code", r->status}, {"body", Body(r)}};
  return Body(r);
}

std::string RequestToken(httplib::SSLClient& admin, const json& spec) {
  auto r = admin.Post("/api/v1/namespaces/default/serviceaccounts/default/token",
                      json{{"spec", spec}}.dump(), "application/json");
  return r && r->status == 201 ? Body(r)["status"]["token"].get<std::string>() : "";
}

TEST(TokenReview, StaticTokensAreReviewedForTheApiAudience) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  json r = Review(*admin, srv.paths().user_token);
  EXPECT_EQ(r["kind"], "TokenReview");
  EXPECT_EQ(r["apiVersion"], "authentication.k8s.io/v1");
  EXPECT_EQ(r["spec"]["token"], srv.paths().user_token);
  EXPECT_EQ(r["status"]["authenticated"], true) << r.dump();
  EXPECT_EQ(r["status"]["user"]["username"], "kubedouble-user");
  EXPECT_THAT(r["status"]["user"]["groups"], ::testing::Contains("system:authenticated"));
  EXPECT_EQ(r["status"]["audiences"], json({kApi}));
  // A static token is no good for another audience.
  r = Review(*admin, srv.paths().user_token, {"vault"});
  EXPECT_EQ(r["status"]["authenticated"], false);
  EXPECT_EQ(r["status"]["error"], "invalid bearer token");
}

TEST(TokenReview, ServiceAccountTokensLegacyAndBound) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  json legacy = Review(*admin, srv.paths().serviceaccount_token);
  EXPECT_EQ(legacy["status"]["authenticated"], true) << legacy.dump();
  EXPECT_EQ(legacy["status"]["user"]["username"], "system:serviceaccount:default:default");
  EXPECT_EQ(
      legacy["status"]["user"]["groups"],
      json({"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}));
  EXPECT_FALSE(legacy["status"]["user"].value("uid", "").empty());
  EXPECT_EQ(legacy["status"]["audiences"], json({kApi}));

  std::string vault = RequestToken(*admin, {{"audiences", {"vault", "other"}}});
  ASSERT_FALSE(vault.empty());
  json ok = Review(*admin, vault, {"vault"});
  EXPECT_EQ(ok["status"]["authenticated"], true) << ok.dump();
  EXPECT_EQ(ok["status"]["audiences"], json({"vault"}));
  EXPECT_TRUE(ok["status"]["user"]["extra"].contains("authentication.kubernetes.io/credential-id"));
  // Reviewed for the API server (no audiences given), it does not intersect.
  json wrong = Review(*admin, vault);
  EXPECT_EQ(wrong["status"]["authenticated"], false);
  EXPECT_EQ(wrong["status"]["error"],
            "[invalid bearer token, token audiences [\"vault\" \"other\"] is invalid for the "
            "target audiences [\"https://kubernetes.default.svc.cluster.local\"]]");
  EXPECT_FALSE(wrong["status"].contains("audiences"));
}

TEST(TokenReview, UnknownExpiredAndRevokedTokensAreNotAuthenticated) {
  fake::ServerOptions o;
  o.clock = fake::ClockMode::kFake;
  fake::TestServer srv(o);
  auto admin = Client(srv, AdminToken(srv));
  json unknown = Review(*admin, "not-a-token");
  EXPECT_EQ(unknown["status"], json::parse(R"({"authenticated":false,"user":{},
                                               "error":"invalid bearer token"})"));

  std::string hour = RequestToken(*admin, {{"expirationSeconds", 3600}});
  ASSERT_FALSE(hour.empty());
  EXPECT_EQ(Review(*admin, hour)["status"]["authenticated"], true);
  auto moved = admin->Post("/__kubedouble/clock", R"({"advance":"2h"})", "application/json");
  ASSERT_TRUE(moved);
  ASSERT_EQ(moved->status, 200) << moved->body;
  json expired = Review(*admin, hour);
  EXPECT_EQ(expired["status"]["authenticated"], false);
  EXPECT_EQ(expired["status"]["error"],
            "[invalid bearer token, service account token has expired]");

  // Deleting the service account revokes its tokens.
  std::string legacy = srv.paths().serviceaccount_token;
  auto del = admin->Delete("/api/v1/namespaces/default/serviceaccounts/default");
  ASSERT_TRUE(del);
  ASSERT_EQ(del->status, 200) << del->body;
  json revoked = Review(*admin, legacy);
  EXPECT_EQ(revoked["status"]["authenticated"], false);
  EXPECT_EQ(revoked["status"]["error"],
            "[invalid bearer token, service account token has been invalidated]");
}

TEST(TokenReview, BadReviewsAndCallersWithoutTheRight) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  json empty = Review(*admin, "");
  EXPECT_EQ(empty["code"], 400);
  EXPECT_EQ(empty["body"]["message"], "token is required for TokenReview in authentication");
  auto bad = admin->Post(kTokenReviews, R"({"spec":{"token":"t","audiences":"vault"}})",
                         "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  json denied = Review(*Client(srv, UserToken(srv)), srv.paths().admin_token);
  EXPECT_EQ(denied["code"], 403);
  EXPECT_EQ(denied["body"]["message"],
            "tokenreviews.authentication.k8s.io is forbidden: User \"kubedouble-user\" cannot "
            "create resource \"tokenreviews\" in API group \"authentication.k8s.io\" at the "
            "cluster scope");
}

}  // namespace
}  // namespace kubedouble::testing
