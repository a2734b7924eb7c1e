// Simulated container ports and the proxy subresources: what answers on a container's port (the
// default echoing responder, stage rules, the byte stream port-forward reads), and pods/proxy and
// services/proxy resolved, refused, authorized and journaled as kube-apiserver does them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <kubedouble/fakeserver/container_ports.h>
#include <kubedouble/fakeserver/journal.h>

#include <set>

#include "client.h"
#include "proxy_location.h"

namespace kubedouble::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A pod of `containers`, Running with `ip` (null: no IP yet).
json Pod(const std::string& name, json containers, json ip = "10.244.1.5",
         std::string phase = "Running") {
  json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
      {"spec", {{"nodeName", "kubedouble-worker"}, {"containers", containers}}},
      {"status", {{"phase", phase}}}};
  if (!ip.is_null()) {
    pod["status"]["podIP"] = ip;
    pod["status"]["podIPs"] = {{{"ip", ip}}};
  }
  return pod;
}

json Web(json ports = {{{"containerPort", 80}, {"name", "http"}}}) {
  return {{{"name", "web"}, {"image", "nginx:1.27"}, {"ports", ports}}};
}

// --- the container's side -------------------------------------------------------------------

TEST(ContainerPorts, ADeclaredPortOfARunningContainerEchoesTheRequest) {
  fake::PortTarget t = fake::FindPort(Pod("web-0", Web()), 80, {});
  ASSERT_TRUE(t.listening);
  EXPECT_EQ(t.container, "web");
  auto r = fake::RespondHttp(t, {"POST", "/submit?x=1", {{"Accept", "*/*"}}, "hello"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            "kubedouble: pod default/web-0, container web (nginx:1.27), port 80\n"
            "POST /submit?x=1 HTTP/1.1\nAccept: */*\n\nhello");
  EXPECT_THAT(r.headers, ::testing::Contains(std::pair<std::string, std::string>("X-Kubedouble-Pod",
                                                                                 "default/web-0")));
}

TEST(ContainerPorts, NothingListensWhereNothingRunsOrIsDeclared) {
  EXPECT_FALSE(fake::FindPort(Pod("web-0", Web()), 81, {}).listening);  // not declared
  EXPECT_FALSE(fake::FindPort(Pod("web-0", Web(), nullptr, "Pending"), 80, {}).listening);
  json crashing = Pod("web-0", Web());
  crashing["status"]["containerStatuses"] = {
      {{"name", "web"}, {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}}}}}}};
  EXPECT_FALSE(fake::FindPort(crashing, 80, {}).listening);
  // A pod that declares no port at all answers on every port, from its first container.
  auto any = fake::FindPort(Pod("bare", {{{"name", "app"}, {"image", "busybox"}}}), 5000, {});
  EXPECT_TRUE(any.listening);
  EXPECT_EQ(any.container, "app");
}

TEST(ContainerPorts, RulesAnswerPathsCloseOrEchoPortsByNumberOrName) {
  fake::PortRule health;
  health.port = "http";
  health.answers = {{"/healthz", "GET", 503, {{"Retry-After", "5"}}, "not ready"},
                    {"/api/*", "", 201, {{"Content-Type", "application/json"}}, "{}"}};
  fake::PortTarget t = fake::FindPort(Pod("web-0", Web()), 80, {health});
  auto r = fake::RespondHttp(t, {"GET", "/healthz?full=1", {}, ""});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready");
  EXPECT_EQ(fake::RespondHttp(t, {"DELETE", "/api/v1/x", {}, ""}).status, 201);
  EXPECT_EQ(fake::RespondHttp(t, {"POST", "/healthz", {}, ""}).status, 200);  // method differs
  EXPECT_THAT(fake::RespondHttp(t, {"GET", "/other", {}, ""}).body, StartsWith("kubedouble: pod"));

  fake::PortRule closed;
  closed.port = "80";
  closed.mode = fake::PortRule::Mode::kClosed;
  EXPECT_FALSE(fake::FindPort(Pod("web-0", Web()), 80, {closed}).listening);
  EXPECT_EQ(fake::OpenPortConnection(fake::FindPort(Pod("web-0", Web()), 80, {closed})), nullptr);

  fake::PortRule echo;
  echo.mode = fake::PortRule::Mode::kEcho;
  auto conn = fake::OpenPortConnection(fake::FindPort(Pod("web-0", Web()), 80, {echo}));
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->Receive(std::string("raw\0bytes", 9)), std::string("raw\0bytes", 9));
}

TEST(ContainerPorts, AConnectionReadsPipelinedKeepAliveAndChunkedRequests) {
  auto conn = fake::OpenPortConnection(fake::FindPort(Pod("web-0", Web()), 80, {}));
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(conn->Receive("GET /a HTTP/1.1\r\nHost: x\r\n"), "");  // head not whole yet
  std::string out = conn->Receive("\r\nGET /b HTTP/1.1\r\n\r\n");
  EXPECT_THAT(out, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(out, HasSubstr("GET /a HTTP/1.1\nHost: x\n"));
  EXPECT_THAT(out, HasSubstr("GET /b HTTP/1.1\n"));
  EXPECT_FALSE(conn->Closed());
  out = conn->Receive(
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_THAT(out, HasSubstr("\n\nhello"));
  EXPECT_THAT(out, HasSubstr("Connection: close\r\n"));
  EXPECT_TRUE(conn->Closed());

  auto bad = fake::OpenPortConnection(fake::FindPort(Pod("web-0", Web()), 80, {}));
  EXPECT_THAT(bad->Receive("NONSENSE\r\n\r\n"), StartsWith("HTTP/1.1 400 Bad Request\r\n"));
  EXPECT_TRUE(bad->Closed());
}

TEST(ProxyLocation, SplitsSchemeNameAndPortAsUpstream) {
  auto three = fake::SplitSchemeNamePort("https:web:8443");
  ASSERT_TRUE(three);
  EXPECT_EQ(three->scheme, "https");
  EXPECT_EQ(three->name, "web");
  EXPECT_EQ(three->port, "8443");
  EXPECT_EQ(fake::SplitSchemeNamePort("web:http")->port, "http");
  EXPECT_FALSE(fake::SplitSchemeNamePort("ftp:web:21"));
  EXPECT_FALSE(fake::SplitSchemeNamePort(":80"));
  EXPECT_FALSE(fake::SplitSchemeNamePort("a:b:c:d"));
}

// --- through the API server -----------------------------------------------------------------

class PodProxy : public ::testing::Test {
 protected:
  fake::Store& store() { return srv_.server().store(); }
  fake::ResourceInfo Info(const char* plural) {
    return *store().registry()->Find("", "v1", plural);
  }
  void Put(const char* plural, const json& object) { store().Put(Info(plural), object); }

  // Service web (port 8080 → targetPort http) with Endpoints naming `pods` (name → ip).
  void WebService(const std::vector<std::pair<std::string, std::string>>& pods) {
    Put("services", {{"apiVersion", "v1"},
                     {"kind", "Service"},
                     {"metadata", {{"name", "web"}, {"namespace", "default"}}},
                     {"spec",
                      {{"selector", {{"app", "web"}}},
                       {"ports", {{{"name", "main"}, {"port", 8080}, {"targetPort", "http"}}}}}}});
    json addresses = json::array();
    for (const auto& [name, ip] : pods) {
      addresses.push_back(
          {{"ip", ip}, {"targetRef", {{"kind", "Pod"}, {"name", name}, {"namespace", "default"}}}});
    }
    json subsets = json::array();
    if (!pods.empty()) {
      subsets.push_back({{"addresses", addresses}, {"ports", {{{"name", "main"}, {"port", 80}}}}});
    }
    Put("endpoints", {{"apiVersion", "v1"},
                      {"kind", "Endpoints"},
                      {"metadata", {{"name", "web"}, {"namespace", "default"}}},
                      {"subsets", subsets}});
  }

  httplib::Result Call(const std::string& method, const std::string& path,
                       const Credentials& creds = {}) {
    auto c = Client(srv_, creds.token.empty() ? AdminToken(srv_) : creds);
    const std::string url = "/api/v1/namespaces/default/" + path;
    if (method == "POST") return c->Post(url, "payload", "text/plain");
    if (method == "DELETE") return c->Delete(url);
    if (method == "HEAD") return c->Head(url);
    if (method == "OPTIONS") return c->Options(url);
    return c->Get(url);
  }
  std::string Message(const httplib::Result& r) { return Body(r).value("message", r->body); }
  // A GET of `path` answered with a Status of `code` saying `message`.
  void ExpectRefused(const std::string& path, int code, const std::string& message) {
    auto r = Call("GET", path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, code) << path;
    EXPECT_EQ(Body(r)["code"], code) << path;
    EXPECT_EQ(Message(r), message) << path;
  }

  fake::TestServer srv_{{.default_fixtures = false}};
};

TEST_F(PodProxy, APodAnswersOnItsPortWithThePathAfterProxy) {
  Put("pods", Pod("web-0", Web()));
  auto r = Call("GET", "pods/web-0:80/proxy/a/../healthz?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("container web (nginx:1.27), port 80\nGET /healthz?x=1 HTTP/1.1"));
  EXPECT_THAT(r->body,
              HasSubstr("X-Forwarded-Uri: /api/v1/namespaces/default/pods/web-0:80/proxy/healthz"));
  EXPECT_THAT(r->body, ::testing::Not(HasSubstr("Authorization")));  // the token stays behind
  EXPECT_EQ(r->get_header_value("X-Kubedouble-Pod"), "default/web-0");
  // No port: the first declared one. A POST's body reaches the container.
  auto post = Call("POST", "pods/web-0/proxy/");
  EXPECT_EQ(post->status, 200);
  EXPECT_THAT(post->body, HasSubstr("POST / HTTP/1.1"));
  EXPECT_THAT(post->body, HasSubstr("\n\npayload"));
  EXPECT_EQ(Call("DELETE", "pods/web-0/proxy/x")->status, 200);
  EXPECT_EQ(Call("OPTIONS", "pods/web-0/proxy/x")->status, 200);
  // Without the slash after proxy: a redirect to it, as kube-apiserver answers.
  auto bare = Call("GET", "pods/web-0/proxy");
  EXPECT_EQ(bare->status, 301);
  EXPECT_EQ(bare->get_header_value("Location"), "/api/v1/namespaces/default/pods/web-0/proxy/");
}

TEST_F(PodProxy, PodRefusalsAreUpstreams) {
  Put("pods", Pod("web-0", Web()));
  Put("pods", Pod("pending", Web(), nullptr, "Pending"));
  ExpectRefused("pods/a:b:c:d/proxy/", 400, "invalid pod request \"a:b:c:d\"");
  ExpectRefused("pods/gone:80/proxy/", 404, "pods \"gone\" not found");
  ExpectRefused("pods/pending/proxy/", 400, "address not allowed");
  auto refused = Call("GET", "pods/web-0:81/proxy/");
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(Body(refused)["reason"], "ServiceUnavailable");
  EXPECT_EQ(Message(refused),
            "error trying to reach service: dial tcp 10.244.1.5:81: connect: connection refused");
  // A containerPort name is not resolved (Go's dialer looks names up in /etc/services).
  EXPECT_EQ(Message(Call("GET", "pods/web-0:webport/proxy/")),
            "error trying to reach service: dial tcp: lookup tcp/webport: unknown port");
  EXPECT_EQ(Call("GET", "pods/web-0:http/proxy/")->status, 200);  // http is port 80
  EXPECT_EQ(Message(Call("GET", "pods/https:web-0:80/proxy/")),
            "error trying to reach service: tls: first record does not look like a TLS handshake");
}

TEST_F(PodProxy, AServiceGoesToAReadyEndpointPodInTurn) {
  Put("pods", Pod("web-0", Web(), "10.244.1.5"));
  Put("pods", Pod("web-1", Web(), "10.244.1.6"));
  WebService({{"web-0", "10.244.1.5"}, {"web-1", "10.244.1.6"}});
  std::set<std::string> answered;
  for (int i = 0; i < 4; ++i) {
    auto r = Call("GET", "services/web:8080/proxy/index.html");
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_THAT(r->body, HasSubstr("port 80\nGET /index.html HTTP/1.1"));
    answered.insert(r->get_header_value("X-Kubedouble-Pod"));
  }
  EXPECT_EQ(answered, (std::set<std::string>{"default/web-0", "default/web-1"}));
  EXPECT_EQ(Call("GET", "services/web:main/proxy/")->status, 200);  // by the port's name
  EXPECT_EQ(Call("GET", "services/http:web:8080/proxy/")->status, 200);

  auto journal = srv_.server().journal().Find([](const fake::JournalEntry& e) {
    return e.path.find("/services/web:main/") != e.path.npos;
  });
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_THAT(journal[0].proxied_to,
              ::testing::MatchesRegex("10\\.244\\.1\\.[56]:80 \\(pod default/web-[01], "
                                      "container web\\)"));
  EXPECT_EQ(journal[0].ToJson()["proxiedTo"], journal[0].proxied_to);
}

TEST_F(PodProxy, ServiceRefusalsAreUpstreams) {
  Put("pods", Pod("web-0", Web()));
  ExpectRefused("services/nope:80/proxy/", 404, "services \"nope\" not found");
  // Without a numeric port the Endpoints are read first.
  ExpectRefused("services/nope/proxy/", 404, "endpoints \"nope\" not found");
  WebService({});
  ExpectRefused("services/web:99/proxy/", 503, "no service port 99 found for service \"web\"");
  ExpectRefused("services/web:8080/proxy/", 503, "no endpoints available for service \"web\"");
  // An address whose pod is gone, or a port name the endpoints lack: the whole id is named.
  WebService({{"gone", "10.244.1.9"}});
  EXPECT_EQ(Message(Call("GET", "services/web:8080/proxy/")),
            "no endpoints available for service \"web:8080\"");
  WebService({{"web-0", "10.244.1.5"}});
  EXPECT_EQ(Message(Call("GET", "services/web:other/proxy/")),
            "no endpoints available for service \"web:other\"");
  EXPECT_EQ(Message(Call("GET", "services/ftp:web:21/proxy/")),
            "invalid service request \"ftp:web:21\"");
}

TEST_F(PodProxy, PortRulesShapeTheAnswersThroughTheProxy) {
  Put("pods", Pod("web-0", Web()));
  fake::PortRule rule;
  rule.answers = {
      {"/login", "", 302, {{"Location", "/home"}, {"Access-Control-Allow-Origin", "*"}}, ""},
      {"/ready", "GET", 503, {}, "warming up"}};
  srv_.server().SetPortRules([rule](const json&) { return std::vector<fake::PortRule>{rule}; });
  auto ready = Call("GET", "pods/web-0/proxy/ready");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "warming up");  // the container's answer, not a Status
  auto login = Call("GET", "pods/web-0/proxy/login");
  EXPECT_EQ(login->status, 302);
  EXPECT_EQ(login->get_header_value("Location"),
            "/api/v1/namespaces/default/pods/web-0/proxy/home");
  EXPECT_FALSE(login->has_header("Access-Control-Allow-Origin"));  // removed, as upstream

  fake::PortRule echo;
  echo.mode = fake::PortRule::Mode::kEcho;
  srv_.server().SetPortRules([echo](const json&) { return std::vector<fake::PortRule>{echo}; });
  EXPECT_EQ(Message(Call("GET", "pods/web-0/proxy/x")),
            "error trying to reach service: net/http: HTTP/1.x transport connection broken: "
            "malformed HTTP response \"GET /x HTTP/1.1\"");

  fake::PortRule tls;
  tls.tls = true;
  srv_.server().SetPortRules([tls](const json&) { return std::vector<fake::PortRule>{tls}; });
  EXPECT_EQ(Call("GET", "pods/https:web-0:80/proxy/")->status, 200);
  auto plain = Call("GET", "pods/web-0:80/proxy/");
  EXPECT_EQ(plain->status, 400);
  EXPECT_EQ(plain->body, "Client sent an HTTP request to an HTTPS server.\n");
}

TEST_F(PodProxy, ProxyIsAuthorizedByVerbOnTheSubresource) {
  Put("pods", Pod("web-0", Web()));
  auto denied = Call("GET", "pods/web-0/proxy/", UserToken(srv_));
  EXPECT_EQ(denied->status, 403);
  EXPECT_THAT(Message(denied),
              HasSubstr("cannot get resource \"pods/proxy\" in API group \"\" in the namespace "
                        "\"default\""));
  const auto rbac = [&](const char* plural) {
    return *store().registry()->Find("rbac.authorization.k8s.io", "v1", plural);
  };
  store().Put(
      rbac("roles"),
      {{"apiVersion", "rbac.authorization.k8s.io/v1"},
       {"kind", "Role"},
       {"metadata", {{"name", "proxy"}, {"namespace", "default"}}},
       {"rules", {{{"apiGroups", {""}}, {"resources", {"pods/proxy"}}, {"verbs", {"get"}}}}}});
  store().Put(rbac("rolebindings"),
              {{"apiVersion", "rbac.authorization.k8s.io/v1"},
               {"kind", "RoleBinding"},
               {"metadata", {{"name", "proxy"}, {"namespace", "default"}}},
               {"roleRef",
                {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "proxy"}}},
               {"subjects", {{{"kind", "User"}, {"name", srv_.paths().user_name}}}}});
  EXPECT_EQ(Call("GET", "pods/web-0/proxy/", UserToken(srv_))->status, 200);
  auto post = Call("POST", "pods/web-0/proxy/", UserToken(srv_));
  EXPECT_EQ(post->status, 403);
  EXPECT_THAT(Message(post), HasSubstr("cannot create resource \"pods/proxy\""));
}

TEST_F(PodProxy, ANodesProxyReachesItsSimulatedKubelet) {
  Put("pods", Pod("web-0", Web()));
  store().Put(Info("nodes"),
              {{"apiVersion", "v1"},
               {"kind", "Node"},
               {"metadata", {{"name", "kubedouble-worker"}}},
               {"status", {{"addresses", {{{"type", "InternalIP"}, {"address", "172.18.0.3"}}}}}}});
  auto c = Client(srv_, AdminToken(srv_));
  auto health = c->Get("/api/v1/nodes/kubedouble-worker/proxy/healthz");
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok");
  auto pods = c->Get("/api/v1/nodes/kubedouble-worker:10250/proxy/pods");
  ASSERT_EQ(pods->status, 200);
  EXPECT_EQ(Body(pods)["kind"], "PodList");
  ASSERT_EQ(Body(pods)["items"].size(), 1u);
  EXPECT_EQ(Body(pods)["items"][0]["metadata"]["name"], "web-0");
  EXPECT_EQ(c->Get("/api/v1/nodes/kubedouble-worker/proxy/stats/summary")->status, 404);
  auto other = c->Get("/api/v1/nodes/kubedouble-worker:22/proxy/");
  EXPECT_EQ(Message(other),
            "error trying to reach service: dial tcp 172.18.0.3:22: connect: connection refused");
  EXPECT_EQ(Message(c->Get("/api/v1/nodes/gone/proxy/healthz")), "nodes \"gone\" not found");
}

}  // namespace
}  // namespace kubedouble::testing
