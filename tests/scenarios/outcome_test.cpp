// Outcomes: comparison with expectations and the TLS message classifier.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kubedouble/scenarios/outcome.h"

namespace kubedouble::scenarios {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(Outcome, AgreesWhenEveryGivenFieldMatches) {
  Expectation e;
  e.kind = OutcomeKind::kOk;
  e.items = 3;
  e.user = "kubedouble-admin";
  Outcome o;
  o.kind = OutcomeKind::kOk;
  o.code = 200;
  o.items = 3;
  o.user = "kubedouble-admin";
  EXPECT_THAT(Compare(e, o), IsEmpty());
  o.items = 2;
  o.user = "system:anonymous";
  EXPECT_THAT(Compare(e, o), ElementsAre("expected 3 items, got 2",
                                         "expected user kubedouble-admin, got system:anonymous"));
}

// A request the client sent to another namespace than meant is a failure, not a quiet pass.
TEST(Outcome, ThePathTheServerSawIsCompared) {
  Expectation e;
  e.path = "/api/v1/namespaces/kube-system/pods";
  Outcome o;
  o.kind = OutcomeKind::kOk;
  o.path = "/api/v1/namespaces/default/pods";
  EXPECT_THAT(Compare(e, o), ElementsAre("expected path /api/v1/namespaces/kube-system/pods, got "
                                         "/api/v1/namespaces/default/pods"));
  o.path.clear();
  EXPECT_THAT(Compare(e, o), ElementsAre(HasSubstr("got none seen")));
}

TEST(Outcome, ADifferentKindSaysWhatHappened) {
  Expectation e;
  e.kind = OutcomeKind::kTlsError;
  e.tls = "unknown_authority";
  Outcome o;
  o.kind = OutcomeKind::kOk;
  o.code = 200;
  auto diffs = Compare(e, o);
  ASSERT_EQ(diffs.size(), 1u);
  EXPECT_THAT(diffs[0], HasSubstr("expected tls_error, got ok 200"));
}

TEST(Outcome, EvidenceIsCompared) {
  Expectation e;
  e.kind = OutcomeKind::kOk;
  e.evidence["token_leaked"] = true;
  Outcome o;
  o.kind = OutcomeKind::kOk;
  EXPECT_THAT(Compare(e, o), ElementsAre("expected token_leaked true, got false"));
  o.evidence["token_leaked"] = true;
  EXPECT_THAT(Compare(e, o), IsEmpty());
}

TEST(Outcome, TheMessageMustContainTheExpectedWords) {
  Expectation e;
  e.kind = OutcomeKind::kHttpError;
  e.message = R"(conflict with "manager-a")";
  Outcome a;
  a.kind = OutcomeKind::kHttpError;
  a.message = R"(error: Apply failed with 1 conflict: conflict with "manager-a" using v1: .data.a)";
  EXPECT_TRUE(Compare(e, a).empty());
  a.message = "Apply failed with 1 conflict: conflict with \"manager-b\"";
  ASSERT_EQ(Compare(e, a).size(), 1u);
  EXPECT_THAT(Compare(e, a)[0], HasSubstr("expected a message containing"));
}

TEST(Outcome, FromDriverJson) {
  Outcome o = Outcome::FromJson(nlohmann::json::parse(
      R"j({"outcome":"tls_error","message":"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)"})j"));
  EXPECT_EQ(o.kind, OutcomeKind::kTlsError);
  EXPECT_EQ(o.tls, "expired");
  EXPECT_THROW(Outcome::FromJson(nlohmann::json::parse(R"({"outcome":"fine"})")),
               std::runtime_error);
}

TEST(Outcome, ATokenReviewsAnswerIsCompared) {
  Outcome o = Outcome::FromJson(
      nlohmann::json::parse(R"({"outcome":"ok","code":201,"authenticated":false})"));
  ASSERT_TRUE(o.authenticated.has_value());
  EXPECT_FALSE(*o.authenticated);
  Expectation e;
  e.kind = OutcomeKind::kOk;
  e.authenticated = true;
  EXPECT_THAT(Compare(e, o),
              ::testing::ElementsAre("expected a TokenReview answering authenticated=true, got "
                                     "false"));
  o.authenticated.reset();  // no TokenReview in the answer
  EXPECT_THAT(Compare(e, o), ::testing::ElementsAre(::testing::HasSubstr("got none")));
  o.authenticated = true;
  EXPECT_TRUE(Compare(e, o).empty());
}

TEST(Outcome, ClassifiesEachClientsTlsWording) {
  // Go (kubectl)
  EXPECT_EQ(ClassifyTlsMessage(
                "tls: failed to verify certificate: x509: certificate signed by unknown authority"),
            "unknown_authority");
  EXPECT_EQ(ClassifyTlsMessage("x509: certificate has expired or is not yet valid: current time "
                               "2026-01-02 is after 2026-01-01"),
            "expired");
  EXPECT_EQ(ClassifyTlsMessage("x509: certificate has expired or is not yet valid: current time "
                               "2026-01-01 is before 2026-01-02"),
            "not_yet_valid");
  EXPECT_EQ(
      ClassifyTlsMessage(
          "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
      "hostname_mismatch");
  EXPECT_EQ(ClassifyTlsMessage("x509: certificate is valid for a, b, not c"), "hostname_mismatch");
  // OpenSSL (curl, Python)
  EXPECT_EQ(ClassifyTlsMessage("SSL certificate problem: unable to get local issuer certificate"),
            "unknown_authority");
  EXPECT_EQ(ClassifyTlsMessage("SSL certificate problem: certificate is not yet valid"),
            "not_yet_valid");
  EXPECT_EQ(ClassifyTlsMessage(
                "SSL: no alternative certificate subject name matches target host name 'x'"),
            "hostname_mismatch");
  EXPECT_EQ(ClassifyTlsMessage("IP address mismatch, certificate is not valid for '127.0.0.1'"),
            "hostname_mismatch");
  EXPECT_EQ(ClassifyTlsMessage("connection reset"), "");
}

}  // namespace
}  // namespace kubedouble::scenarios
