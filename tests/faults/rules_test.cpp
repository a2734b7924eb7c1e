#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/faults.h>

namespace kubedouble::fake {
namespace {

using ::testing::HasSubstr;

TEST(FaultRules, ParsesEveryField) {
  auto rules = ParseFaultRules(R"(
faults:
- name: throttle
  match: {method: get, path: "/api/v1/namespaces/[^/]+/pods", verb: list, resource: pods,
          namespace: default, user: alice, headers: {User-Agent: "kubectl/.*"}}
  delay: {uniform: {min: 10ms, max: 20ms}}
  status: 429
  retryAfterSeconds: 3
  times: 2
  probability: 0.5
- action: connection-reset
- delay: {logNormal: {median: 80ms, sigma: 0.4}}
- slowBody: 2s
- closeWatchAfterEvents: 3
)",
                               "f.yaml");
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_EQ(rules[0].name, "throttle");
  EXPECT_EQ(rules[0].match.method, "GET");
  EXPECT_EQ(rules[0].status, 429);
  EXPECT_EQ(rules[0].retry_after_seconds, 3);
  EXPECT_EQ(rules[0].times, 2);
  EXPECT_EQ(rules[0].delay.kind, FaultDelay::Kind::kUniform);
  EXPECT_EQ(rules[1].action, FaultAction::kConnectionReset);
  EXPECT_EQ(rules[2].delay.kind, FaultDelay::Kind::kLogNormal);
  EXPECT_EQ(rules[3].slow_body, std::chrono::seconds(2));
  EXPECT_EQ(rules[4].close_watch_after, 3);
  // Round trip through the admin API's JSON form.
  auto again = ParseFaultRule(rules[0].ToJson());
  EXPECT_EQ(again.ToJson(), rules[0].ToJson());
}

TEST(FaultRules, ErrorsNameTheFileAndTheRule) {
  auto message = [](const std::string& text) {
    try {
      ParseFaultRules(text, "faults.yaml");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("- status: 503\n- action: explode\n"),
            "faults.yaml: rule 2: unknown action \"explode\" (expected connection-reset, "
            "empty-response, malformed-chunk or random-data-then-close)");
  EXPECT_THAT(message("- match: {path: \"(\"}\n  status: 500\n"),
              HasSubstr("faults.yaml: rule 1: match.path: invalid regular expression \"(\""));
  EXPECT_EQ(message("- status: 200\n"),
            "faults.yaml: rule 1: status must be from 400 to 599, not 200");
  EXPECT_EQ(message("- status: 500\n  action: empty-response\n"),
            "faults.yaml: rule 1: a rule has at most one of status, action, slowBody and "
            "closeWatchAfterEvents");
  EXPECT_EQ(message("- match: {verb: get}\n"),
            "faults.yaml: rule 1: a rule needs a delay or one of status, action, slowBody and "
            "closeWatchAfterEvents");
  EXPECT_EQ(message("- status: 500\n  probability: 2\n"),
            "faults.yaml: rule 1: probability must be a number from 0 to 1");
  EXPECT_EQ(
      message("- delay: 5 parsecs\n"),
      "faults.yaml: rule 1: delay: time: unknown unit \" parsecs\" in duration \"5 parsecs\"");
  // A number of seconds past int64 nanoseconds was an undefined cast (found by the fuzzer).
  EXPECT_EQ(message("- delay: 1e74\n"), "faults.yaml: rule 1: delay of 1e+74 seconds is too long");
  EXPECT_EQ(message("- delay: -1\n"), "faults.yaml: rule 1: delay must not be negative");
  EXPECT_EQ(message("- status: 500\n  match: {colour: red}\n"),
            "faults.yaml: rule 1: unknown field \"colour\" in match (expected method, path, verb, "
            "resource, namespace, user, headers)");
  EXPECT_EQ(message("rules: []\n"),
            "faults.yaml: expected a list of rules or a map with one key, faults");
}

TEST(FaultSet, TimesLimitsHowOftenARuleFires) {
  FaultSet set;
  auto r = ParseFaultRule({{"status", 503}, {"times", 2}, {"match", {{"verb", "list"}}}});
  set.Add(r);
  FaultRequest list{"GET", "/api/v1/pods", "list", "pods", "", "alice", nullptr};
  FaultRequest get{"GET", "/api/v1/pods/x", "get", "pods", "", "alice", nullptr};
  EXPECT_FALSE(set.Pick(get));
  EXPECT_TRUE(set.Pick(list));
  auto second = set.Pick(list);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->description, "rule rule-1: status 503");
  EXPECT_FALSE(set.Pick(list));
  EXPECT_EQ(set.List()[0].fired, 2);
}

// A rule built in code names its path and header patterns only: Add compiles them, so the rule
// fires for the paths and values they match and no others; a bad pattern is refused by name.
TEST(FaultSet, ARuleBuiltInCodeMatchesOnlyItsPathAndHeaders) {
  FaultSet set;
  FaultRule r;
  r.match.path = "/api";
  r.match.headers["User-Agent"] = "kubectl/.*";
  r.action = FaultAction::kConnectionReset;
  set.Add(r);
  auto agent = [](std::string value) {
    return [value](const std::string& name) { return name == "User-Agent" ? value : ""; };
  };
  EXPECT_TRUE(set.Pick({"GET", "/api", "get", "", "", "alice", agent("kubectl/v1.32.0")}));
  EXPECT_FALSE(set.Pick({"GET", "/apis", "get", "", "", "alice", agent("kubectl/v1.32.0")}));
  EXPECT_FALSE(set.Pick({"GET", "/api", "get", "", "", "alice", agent("curl/7.88.1")}));

  FaultRule bad;
  bad.match.path = "/api/(";
  try {
    set.Add(bad);
    ADD_FAILURE() << "a bad path pattern was added";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(),
                ::testing::StartsWith("match.path: invalid regular expression \"/api/(\""));
  }
}

TEST(FaultSet, ProbabilityZeroNeverFiresAndOneAlwaysDoes) {
  FaultSet set;
  set.Add(ParseFaultRule({{"name", "never"}, {"status", 500}, {"probability", 0.0}}));
  set.Add(ParseFaultRule({{"name", "always"}, {"delay", "5ms"}}));
  for (int i = 0; i < 50; ++i) {
    auto f = set.Pick({"GET", "/api", "get", "", "", "bob", nullptr});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->rule.name, "always");
    EXPECT_EQ(f->description, "rule always: delay 5ms");
  }
}

TEST(FaultSet, HeadersAndPathAreMatchedAsWholeRegularExpressions) {
  FaultSet set;
  set.Add(ParseFaultRule({{"status", 500},
                          {"match",
                           {{"path", "/api/v1/namespaces/[^/]+/pods"},
                            {"headers", {{"User-Agent", "kubectl/.*"}}}}}}));
  auto ua = [](std::string v) { return [v](const std::string&) { return v; }; };
  EXPECT_TRUE(
      set.Pick({"GET", "/api/v1/namespaces/a/pods", "list", "pods", "a", "", ua("kubectl/v1.32")}));
  EXPECT_FALSE(set.Pick(
      {"GET", "/api/v1/namespaces/a/pods/x", "get", "pods", "a", "", ua("kubectl/v1.32")}));
  EXPECT_FALSE(
      set.Pick({"GET", "/api/v1/namespaces/a/pods", "list", "pods", "a", "", ua("curl/8")}));
}

TEST(Durations, ParseAndFormat) {
  using namespace std::chrono;
  EXPECT_EQ(ParseDuration("1h30m"), minutes(90));
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("1.5h"), minutes(90));
  EXPECT_EQ(ParseDuration("42"), seconds(42));
  EXPECT_THROW(ParseDuration("2 h"), std::invalid_argument);
  EXPECT_THROW(ParseDuration("h"), std::invalid_argument);
  EXPECT_EQ(FormatDuration(minutes(90)), "1h30m");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
}

TEST(ServerClock, AFakeClockMovesOnlyWhenTold) {
  ServerClock fake(true);
  auto t0 = fake.Now();
  EXPECT_EQ(fake.Now(), t0);
  int advanced = 0;
  fake.OnAdvance([&] { ++advanced; });
  EXPECT_EQ(fake.Advance(std::chrono::hours(2)), t0 + std::chrono::hours(2));
  EXPECT_EQ(advanced, 1);
  ServerClock real(false);
  EXPECT_THROW(real.Advance(std::chrono::seconds(1)), std::logic_error);
  EXPECT_THROW(fake.Advance(std::chrono::seconds(-1)), std::invalid_argument);
  EXPECT_THROW(ServerClock::FromName("sundial"), std::invalid_argument);
}

}  // namespace
}  // namespace kubedouble::fake
