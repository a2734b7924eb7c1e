#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include "client.h"

namespace kubedouble::testing {
namespace {

namespace fs = std::filesystem;
constexpr char kWhoami[] = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

json Whoami(httplib::SSLClient& c) {
  auto r =
      c.Post(kWhoami, R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})",
             "application/json");
  if (!r) return {{"error", httplib::to_string(r.error())}};
  if (r->status != 201) return {{"status", r->status}, {"body", Body(r)}};
  return Body(r)["status"]["userInfo"];
}

TEST(Authn, ClientCertificateGivesCnAndOrganizations) {
  fake::TestServer srv;
  auto u = Whoami(*Client(srv, AdminCert(srv)));
  EXPECT_EQ(u["username"], "kubedouble-admin");
  EXPECT_EQ(u["groups"], json({"system:masters", "system:authenticated"}));
  auto entries = srv.journal().Entries();
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().auth_method, "x509");
  EXPECT_EQ(entries.back().client_cert_subject.find("CN=kubedouble-admin") != std::string::npos,
            true);
}

TEST(Authn, ClientCertificateFromAnotherCaIs401) {
  fake::TestServer srv;
  test::TempDir tmp;
  // A client certificate with the admin's name, signed by the rogue CA (same subject as the CA).
  auto rogue = certs::IssueClient(srv.server().bundle().rogue_ca,
                                  {.user = "kubedouble-admin", .groups = {"system:masters"}});
  certs::SavePair(rogue, tmp.path(), "rogue-admin");
  auto c = Client(srv, {"", (tmp.path() / "rogue-admin.crt").string(),
                        (tmp.path() / "rogue-admin.key").string()});
  auto r = c->Get("/api/v1/pods");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(Body(r)["message"], "Unauthorized");
}

TEST(Authn, ExpiredClientCertificateIs401) {
  fake::TestServer srv;
  auto dir = srv.paths().pki_dir;
  auto c =
      Client(srv, {"", (dir / "expired-admin.crt").string(), (dir / "expired-admin.key").string()});
  auto r = c->Get("/api/v1/pods");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 401);
}

TEST(Authn, StaticTokens) {
  fake::TestServer srv;
  auto admin = Whoami(*Client(srv, AdminToken(srv)));
  EXPECT_EQ(admin["username"], "kubedouble-admin");
  EXPECT_EQ(admin["groups"], json({"system:masters", "system:authenticated"}));
  auto user = Whoami(*Client(srv, UserToken(srv)));
  EXPECT_EQ(user["username"], srv.paths().user_name);
  EXPECT_EQ(user["groups"], json({"system:authenticated"}));
}

TEST(Authn, ServiceAccountTokens) {
  fake::TestServer srv;
  auto u = Whoami(*Client(srv, {srv.paths().serviceaccount_token, "", ""}));
  EXPECT_EQ(u["username"], "system:serviceaccount:default:default");
  EXPECT_EQ(u["groups"], json({"system:serviceaccounts", "system:serviceaccounts:default",
                               "system:authenticated"}));
  EXPECT_FALSE(u.value("uid", "").empty());
}

TEST(Authn, LegacySecretTokenAuthenticatesAndDiesWithItsSecret) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto list = Body(admin->Get("/api/v1/namespaces/default/secrets"));
  std::string name, token_b64;
  for (const auto& s : list["items"]) {
    if (s["type"] == "kubernetes.io/service-account-token") {
      name = s["metadata"]["name"];
      token_b64 = s["data"]["token"];
    }
  }
  ASSERT_THAT(name, ::testing::StartsWith("default-token-"));
  EXPECT_EQ(name.size(), std::string("default-token-").size() + 5);
  std::string token(token_b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(token.data()),
                          reinterpret_cast<const unsigned char*>(token_b64.data()),
                          static_cast<int>(token_b64.size()));
  token.resize(n);
  while (!token.empty() && token.back() == '\0') token.pop_back();
  auto& store = srv.server().store();
  auto secrets = store.registry()->Find("", "v1", "secrets");
  auto u = Whoami(*Client(srv, {token, "", ""}));
  EXPECT_EQ(u["username"], "system:serviceaccount:default:default");
  store.Delete(*secrets, "default", name);
  auto r = Client(srv, {token, "", ""})->Get("/api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST(Authn, InvalidTokenIs401EvenWithAnonymous) {
  fake::TestServer srv({.anonymous = true});
  for (const std::string& bad :
       std::vector<std::string>{"not-a-token", "a.b.c", srv.paths().admin_token + "x"}) {
    auto r = Client(srv, {bad, "", ""})->Get("/api");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << bad;
    EXPECT_EQ(Body(r), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
        "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));
  }
}

TEST(Authn, NoCredentialsIs401WithoutAnonymous) {
  fake::TestServer srv;
  auto r = Client(srv)->Get("/api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
}

TEST(Authn, AnonymousWhenEnabled) {
  fake::TestServer srv({.anonymous = true});
  auto c = Client(srv);
  auto r = c->Get("/api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto pods = c->Get("/api/v1/pods");
  ASSERT_TRUE(pods);
  EXPECT_EQ(pods->status, 403);
  EXPECT_EQ(Body(pods)["message"],
            "pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API "
            "group \"\" at the cluster scope");
  auto u = Whoami(*c);  // anonymous is not authenticated: no self review
  EXPECT_EQ(u["status"], 403);
}

TEST(Authn, TokenRequestTokensAuthenticateForTheApiAudienceOnly) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto r = admin->Post("/api/v1/namespaces/default/serviceaccounts/default/token",
                       R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",
                           "spec":{"expirationSeconds":600}})",
                       "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  json tr = Body(r);
  EXPECT_EQ(tr["kind"], "TokenRequest");
  EXPECT_EQ(tr["spec"]["expirationSeconds"], 600);
  EXPECT_FALSE(tr["status"]["expirationTimestamp"].get<std::string>().empty());
  std::string token = tr["status"]["token"];
  auto u = Whoami(*Client(srv, {token, "", ""}));
  EXPECT_EQ(u["username"], "system:serviceaccount:default:default");
  EXPECT_TRUE(u["extra"].contains("authentication.kubernetes.io/credential-id"));

  auto vault = Body(admin->Post("/api/v1/namespaces/default/serviceaccounts/default/token",
                                R"({"spec":{"audiences":["vault"]}})", "application/json"));
  auto denied = Client(srv, {vault["status"]["token"], "", ""})->Get("/api");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);

  auto short_ttl = admin->Post("/api/v1/namespaces/default/serviceaccounts/default/token",
                               R"({"spec":{"expirationSeconds":60}})", "application/json");
  ASSERT_TRUE(short_ttl);
  EXPECT_EQ(short_ttl->status, 422);
  auto missing = admin->Post("/api/v1/namespaces/default/serviceaccounts/nobody/token", "{}",
                             "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["message"], "serviceaccounts \"nobody\" not found");
}

}  // namespace
}  // namespace kubedouble::testing
