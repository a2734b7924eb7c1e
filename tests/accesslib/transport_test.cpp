// The transport layers (retries, credentials, token files) and the client logic (paging,
// errors, watch) against a mock transport: no network.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/temp_dir.h"
#include "kubedouble/accesslib/client.h"
#include "mock_transport.h"

namespace kubedouble::access {
namespace {

using ::testing::_;
using testing::Answer;
using ::testing::HasSubstr;
using testing::MockTransport;
using ::testing::Return;
using ::testing::Truly;

using ms = std::chrono::milliseconds;

struct Sleeps {
  std::vector<ms> waits;
  RetryOptions Options(int max = 10, ms backoff = ms(0)) {
    RetryOptions o;
    o.max_retries = max;
    o.backoff = backoff;
    o.sleep = [this](ms d) { waits.push_back(d); };
    return o;
  }
};

Request Get(const std::string& path) {
  Request r;
  r.path = path;
  return r;
}

TEST(Retries, RetriesA429WithRetryAfterAndWaitsThatLong) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_))
      .WillOnce(Return(Answer(429, "{}", {{"Retry-After", "2"}})))
      .WillOnce(Return(Answer(200, "ok")));
  auto t = WithRetries(mock, s.Options());
  EXPECT_EQ(t->Send(Get("/api")).body, "ok");
  EXPECT_EQ(s.waits, std::vector<ms>{ms(2000)});
}

TEST(Retries, WaitIsMaxOfBackoffAndRetryAfter) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_))
      .WillOnce(Return(Answer(503, "", {{"Retry-After", "1"}})))
      .WillOnce(Return(Answer(500, "", {{"Retry-After", "7"}})))
      .WillOnce(Return(Answer(200)));
  WithRetries(mock, s.Options(10, ms(3000)))->Send(Get("/api"));
  EXPECT_EQ(s.waits, (std::vector<ms>{ms(3000), ms(7000)}));
}

TEST(Retries, AtMostTenThenTheLastAnswer) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_))
      .Times(11)
      .WillRepeatedly(Return(Answer(503, "busy", {{"Retry-After", "0"}})));
  Response r = WithRetries(mock, s.Options())->Send(Get("/api"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(s.waits.size(), 10u);
}

TEST(Retries, NoRetryWithoutAnIntegerRetryAfter) {
  for (std::string header : {"", "soon", "Wed, 21 Oct 2015 07:28:00 GMT", "-1"}) {
    auto mock = std::make_shared<MockTransport>();
    Sleeps s;
    Headers h;
    if (!header.empty()) h.emplace("Retry-After", header);
    EXPECT_CALL(*mock, Send(_)).WillOnce(Return(Answer(429, "{}", h)));
    EXPECT_EQ(WithRetries(mock, s.Options())->Send(Get("/api")).status, 429) << header;
    EXPECT_TRUE(s.waits.empty());
  }
}

TEST(Retries, NotForOtherErrors) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_)).WillOnce(Return(Answer(404, "{}", {{"Retry-After", "1"}})));
  EXPECT_EQ(WithRetries(mock, s.Options())->Send(Get("/api")).status, 404);
}

TEST(Retries, NeverANonIdempotentRequestWithAConsumedBody) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_)).WillOnce(Return(Answer(503, "", {{"Retry-After", "1"}})));
  Request post;
  post.method = "POST";
  post.path = "/api/v1/namespaces/default/pods";
  post.body = "{}";
  post.body_replayable = false;
  EXPECT_EQ(WithRetries(mock, s.Options())->Send(post).status, 503);
  // A replayable POST body is retried.
  post.body_replayable = true;
  EXPECT_CALL(*mock, Send(_))
      .WillOnce(Return(Answer(503, "", {{"Retry-After", "1"}})))
      .WillOnce(Return(Answer(201)));
  EXPECT_EQ(WithRetries(mock, s.Options())->Send(post).status, 201);
}

TEST(Retries, ConfigurableCount) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_))
      .Times(3)
      .WillRepeatedly(Return(Answer(429, "", {{"Retry-After", "0"}})));
  WithRetries(mock, s.Options(2))->Send(Get("/api"));
}

TEST(Retries, StreamedRequestsSeeOnlyTheFinalHead) {
  auto mock = std::make_shared<MockTransport>();
  Sleeps s;
  EXPECT_CALL(*mock, Send(_))
      .WillOnce([](const Request& r) {
        Response h = Answer(429, "", {{"Retry-After", "1"}});
        if (r.on_head && !r.on_head(h)) return h;
        ADD_FAILURE() << "the retry layer should have stopped the 429 stream";
        return h;
      })
      .WillOnce([](const Request& r) { return testing::Stream(r, 200, "data"); });
  std::vector<int> heads;
  std::string body;
  Request req = Get("/api/v1/pods?watch=true");
  req.on_head = [&](const Response& h) {
    heads.push_back(h.status);
    return true;
  };
  req.on_body = [&](std::string_view p) {
    body.append(p);
    return true;
  };
  WithRetries(mock, s.Options())->Send(req);
  EXPECT_EQ(heads, std::vector<int>{200});
  EXPECT_EQ(body, "data");
}

// ---- credentials ----
auto HasAuth(const std::string& value) {
  return Truly([value](const Request& r) { return r.Header("Authorization") == value; });
}

TEST(Credentials, AddsBearerToken) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(HasAuth("Bearer abc"))).WillOnce(Return(Answer(200)));
  WithCredentials(mock, std::make_shared<TokenSource>("abc", ""))->Send(Get("/api"));
}

TEST(Credentials, KeepsAnAuthorizationTheRequestAlreadyHas) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(HasAuth("Bearer mine"))).WillOnce(Return(Answer(200)));
  Request r = Get("/api");
  r.headers.emplace("Authorization", "Bearer mine");
  WithCredentials(mock, std::make_shared<TokenSource>("abc", ""))->Send(r);
}

TEST(Credentials, BasicAuth) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(HasAuth("Basic YWRtaW46c2VjcmV0"))).WillOnce(Return(Answer(200)));
  WithCredentials(mock, nullptr, "admin", "secret")->Send(Get("/api"));
}

TEST(Impersonation, AddsTheHeadersClientGoSends) {
  auto mock = std::make_shared<MockTransport>();
  Headers seen;
  EXPECT_CALL(*mock, Send(_)).WillOnce([&](const Request& r) {
    seen = r.headers;
    return Answer(200);
  });
  Config c;
  c.impersonate_user = "jane";
  c.impersonate_uid = "42";
  c.impersonate_groups = {"devs", "ops"};
  c.impersonate_extra = {{"acme.com/team", {"blue", "green"}}};
  WithImpersonation(mock, c)->Send(Get("/api"));
  EXPECT_EQ(seen.count("Impersonate-User"), 1u);
  EXPECT_EQ(seen.find("Impersonate-User")->second, "jane");
  EXPECT_EQ(seen.find("Impersonate-Uid")->second, "42");
  std::vector<std::string> groups, extras;
  for (auto [it, end] = seen.equal_range("Impersonate-Group"); it != end; ++it)
    groups.push_back(it->second);
  for (auto [it, end] = seen.equal_range("Impersonate-Extra-acme.com%2Fteam"); it != end; ++it)
    extras.push_back(it->second);
  EXPECT_THAT(groups, ::testing::ElementsAre("devs", "ops"));
  EXPECT_THAT(extras, ::testing::ElementsAre("blue", "green"));
}

TEST(Impersonation, KeepsTheImpersonationARequestAlreadyHas) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(Truly([](const Request& r) {
    return r.Header("Impersonate-User") == "bob" && r.headers.size() == 1;
  }))).WillOnce(Return(Answer(200)));
  Config c;
  c.impersonate_user = "jane";
  c.impersonate_groups = {"devs"};
  Request r = Get("/api");
  r.headers.emplace("impersonate-user", "bob");
  WithImpersonation(mock, c)->Send(r);
}

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  SteadyClock Fn() {
    return [this] { return now; };
  }
};

TEST(TokenFile, ReReadAfterTheRefreshPeriodAndLastGoodKept) {
  test::TempDir dir;
  auto file = dir.Write("token", "one\n");
  FakeClock clock;
  TokenSource ts("static", file.string(), std::chrono::minutes(1), clock.Fn());
  EXPECT_EQ(ts.Token(), "one");  // the file wins over the static token
  dir.Write("token", "two");
  clock.now += std::chrono::seconds(30);
  EXPECT_EQ(ts.Token(), "one");  // not yet re-read
  clock.now += std::chrono::seconds(31);
  EXPECT_EQ(ts.Token(), "two");
  std::filesystem::remove(file);
  clock.now += std::chrono::minutes(2);
  EXPECT_EQ(ts.Token(), "two");  // a failed re-read keeps the last good token
  dir.Write("token", "   ");
  clock.now += std::chrono::minutes(2);
  EXPECT_EQ(ts.Token(), "two");  // so does an empty file
}

TEST(TokenFile, ConfigurablePeriod) {
  test::TempDir dir;
  auto file = dir.Write("token", "one");
  FakeClock clock;
  TokenSource ts("", file.string(), std::chrono::seconds(5), clock.Fn());
  EXPECT_EQ(ts.Token(), "one");
  dir.Write("token", "two");
  clock.now += std::chrono::seconds(5);
  EXPECT_EQ(ts.Token(), "two");
}

TEST(TokenFile, UnreadableFromTheStartFallsBackToTheStaticToken) {
  TokenSource ts("static", "/nonexistent/token");
  EXPECT_EQ(ts.Token(), "static");
}

TEST(TokenFile, A401ForcesAReReadAndOneRetry) {
  test::TempDir dir;
  auto file = dir.Write("token", "old");
  auto tokens = std::make_shared<TokenSource>("", file.string(), std::chrono::hours(1));
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(HasAuth("Bearer old"))).WillOnce([&](const Request&) {
    dir.Write("token", "rotated");  // the kubelet rotated the token meanwhile
    return Answer(401);
  });
  EXPECT_CALL(*mock, Send(HasAuth("Bearer rotated"))).WillOnce(Return(Answer(200, "ok")));
  EXPECT_EQ(WithCredentials(mock, tokens)->Send(Get("/api")).body, "ok");
}

TEST(TokenFile, A401WithAnUnchangedTokenIsNotRetried) {
  test::TempDir dir;
  auto file = dir.Write("token", "same");
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(_)).Times(1).WillOnce(Return(Answer(401)));
  EXPECT_EQ(WithCredentials(mock, std::make_shared<TokenSource>("", file.string()))
                ->Send(Get("/api"))
                .status,
            401);
}

TEST(TokenFile, ThreadSafe) {
  test::TempDir dir;
  auto file = dir.Write("token", "t");
  TokenSource ts("", file.string(), ms(0));
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++)
    threads.emplace_back([&] {
      for (int j = 0; j < 200; j++) EXPECT_EQ(ts.Token(), "t");
    });
  for (auto& t : threads) t.join();
}

// ---- the client ----
TEST(ClientLogic, ListAllFollowsContinue) {
  auto mock = std::make_shared<MockTransport>();
  auto path_is = [](std::string p) { return Truly([p](const Request& r) { return r.path == p; }); };
  EXPECT_CALL(*mock,
              Send(path_is("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=2")))
      .WillOnce(Return(Answer(
          200,
          R"({"kind":"PodList","metadata":{"continue":"c1","remainingItemCount":1},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})")));
  EXPECT_CALL(
      *mock,
      Send(path_is("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb&limit=2&continue=c1")))
      .WillOnce(Return(Answer(
          200,
          R"({"kind":"PodList","metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"c"}}]})")));
  Client c(mock);
  ListOptions o;
  o.limit = 2;
  o.label_selector = "app=web";
  json all = c.ListAll(Resource::Core("pods"), "default", o);
  ASSERT_EQ(all["items"].size(), 3u);
  EXPECT_EQ(all["items"][2]["metadata"]["name"], "c");
  EXPECT_FALSE(all["metadata"].contains("continue"));
  EXPECT_EQ(all["metadata"]["resourceVersion"], "9");
}

TEST(ClientLogic, AllNamespacesAndGroups) {
  EXPECT_EQ(Resource::Core("pods").Path(""), "/api/v1/pods");
  EXPECT_EQ((Resource{"apps", "v1", "deployments"}.Path("ns", "d")),
            "/apis/apps/v1/namespaces/ns/deployments/d");
}

TEST(ClientLogic, StatusErrorsAreDecoded) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(_))
      .WillOnce(Return(Answer(
          404,
          R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})")));
  Client c(mock);
  try {
    c.GetObject(Resource::Core("pods"), "default", "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kHttp);
    EXPECT_EQ(e.http().code, 404);
    EXPECT_EQ(e.http().reason, "NotFound");
    EXPECT_EQ(e.KubectlMessage(), "Error from server (NotFound): pods \"x\" not found");
  }
}

TEST(ClientLogic, ABodyThatIsNotJsonIsAProtocolError) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(_)).WillOnce(Return(Answer(200, "<html>")));
  Client c(mock);
  try {
    c.ServerVersion();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kProtocol);
    EXPECT_THAT(e.what(), HasSubstr("not JSON"));
  }
}

TEST(ClientLogic, ReviewsAndTokens) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(Truly([](const Request& r) {
    return r.method == "POST" && r.path == "/apis/authentication.k8s.io/v1/selfsubjectreviews" &&
           json::parse(r.body)["kind"] == "SelfSubjectReview";
  })))
      .WillOnce(
          Return(Answer(201, R"({"status":{"userInfo":{"username":"alice","groups":["dev"]}}})")));
  EXPECT_CALL(*mock, Send(Truly([](const Request& r) {
    if (r.path != "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") return false;
    auto a = json::parse(r.body)["spec"]["resourceAttributes"];
    return a["verb"] == "list" && a["resource"] == "pods" && a["namespace"] == "ns";
  }))).WillOnce(Return(Answer(201, R"({"status":{"allowed":true}})")));
  EXPECT_CALL(*mock, Send(Truly([](const Request& r) {
    return r.path == "/api/v1/namespaces/ns/serviceaccounts/default/token" &&
           json::parse(r.body)["spec"]["expirationSeconds"] == 600;
  }))).WillOnce(Return(Answer(201, R"({"status":{"token":"jwt","expirationTimestamp":"x"}})")));
  Client c(mock);
  EXPECT_EQ(c.WhoAmI()["username"], "alice");
  EXPECT_TRUE(c.CanI("list", "pods", "ns"));
  EXPECT_EQ(c.CreateToken("ns", "default", {}, 600)["status"]["token"], "jwt");
}

TEST(ClientLogic, WatchResumesFromTheLastResourceVersionAndReListsOn410) {
  auto mock = std::make_shared<MockTransport>();
  std::vector<std::string> paths;
  int call = 0;
  EXPECT_CALL(*mock, Send(_)).WillRepeatedly([&](const Request& r) {
    paths.push_back(r.path);
    switch (call++) {
      case 0:  // the initial list
        return Answer(
            200,
            R"({"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"name":"a","resourceVersion":"5"}}]})");
      case 1:  // a watch that ends after two events (the server's timeout)
        return testing::Stream(r, 200,
                               "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\","
                               "\"resourceVersion\":\"11\"}}}\n"
                               "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\","
                               "\"resourceVersion\":\"12\"}}}\n");
      case 2:  // resumed from 12: too old
        return testing::Stream(r, 200,
                               "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
                               "\"reason\":\"Expired\"}}\n");
      case 3:  // the re-list
        return Answer(
            200,
            R"({"metadata":{"resourceVersion":"20"},"items":[{"metadata":{"name":"c","resourceVersion":"19"}}]})");
      default:
        return testing::Stream(r, 200,
                               "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"c\","
                               "\"resourceVersion\":\"21\"}}}\n");
    }
  });
  Client c(mock);
  std::vector<std::string> seen;
  c.Watch(Resource::Core("pods"), "default", {}, [&](const WatchEvent& e) {
    seen.push_back(e.type + " " + e.object["metadata"]["name"].get<std::string>());
    return e.type != "DELETED";
  });
  EXPECT_EQ(seen,
            (std::vector<std::string>{"ADDED a", "ADDED b", "MODIFIED b", "ADDED c", "DELETED c"}));
  ASSERT_EQ(paths.size(), 5u);
  EXPECT_THAT(paths[1], HasSubstr("watch=true"));
  EXPECT_THAT(paths[1], HasSubstr("resourceVersion=10"));
  EXPECT_THAT(paths[2], HasSubstr("resourceVersion=12"));
  EXPECT_THAT(paths[4], HasSubstr("resourceVersion=20"));
}

TEST(ClientLogic, WatchErrorStatusIsThrown) {
  auto mock = std::make_shared<MockTransport>();
  EXPECT_CALL(*mock, Send(_)).WillOnce([](const Request& r) {
    return testing::Stream(
        r, 403,
        R"({"kind":"Status","status":"Failure","reason":"Forbidden","message":"pods is forbidden","code":403})");
  });
  Client c(mock);
  WatchOptions o;
  o.resource_version = "1";
  try {
    c.Watch(Resource::Core("pods"), "default", o, [](const WatchEvent&) { return true; });
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.http().reason, "Forbidden");
  }
}

}  // namespace
}  // namespace kubedouble::access
