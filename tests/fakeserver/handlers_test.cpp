// The request handlers are built from exactly what they read (handler.h, resource_handler.h,
// non_resource.h): each answers a request with nothing of a running server around it — no
// listener, no state folder, no TLS.
#include <gtest/gtest.h>
#include <kubedouble/certs/certs.h>
#include <kubedouble/fakeserver/store.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "authn.h"
#include "authz.h"
#include "call.h"
#include "discovery.h"
#include "non_resource.h"
#include "openapi.h"
#include "request_info.h"
#include "resource_handler.h"
#include "sa_tokens.h"
#include "streams/file_tree.h"

namespace kubedouble::fake {
namespace {

using nlohmann::json;

// What `handler` answers to `method` `path` (with a JSON `body`), asked as it is once the
// request is authenticated and authorized.
template <typename Handler>
httplib::Response Ask(const Handler& handler, const ServerClock& clock, const std::string& method,
                      const std::string& path, const std::string& body = "") {
  httplib::Request req;
  req.method = method;
  req.path = path;
  if (!body.empty()) {
    req.set_header("Content-Type", "application/json");
    req.body = body;
  }
  httplib::Response res;
  Call call{req, res, {}, ParseRequestInfo(method, path, false), {}};
  call.clock = &clock;
  handler.Serve(call);
  return res;
}

TEST(NonResourceHandler, AnswersFromDiscoveryOpenApiAndTheAddressItIsGiven) {
  auto registry = std::make_shared<Registry>();
  Store store(registry);
  Discovery discovery(registry);
  OpenApi openapi(store);
  const std::string address = "192.0.2.7:6443";
  const NonResourceHandler handler{discovery, openapi, address};
  const ServerClock clock;

  httplib::Response api = Ask(handler, clock, "GET", "/api");
  ASSERT_EQ(api.status, 200);
  EXPECT_EQ(json::parse(api.body)["serverAddressByClientCIDRs"][0]["serverAddress"], address);

  httplib::Response check = Ask(handler, clock, "GET", "/readyz/informer-sync");
  EXPECT_EQ(check.status, 200);
  EXPECT_EQ(check.body, "ok");

  // A readiness check only.
  httplib::Response unknown = Ask(handler, clock, "GET", "/livez/informer-sync");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body, "404 page not found\n");
}

TEST(ResourceHandler, ReadsAndWritesTheStoreItIsGiven) {
  auto clock = std::make_shared<ServerClock>(true);
  auto registry = std::make_shared<Registry>();
  Store store(registry, [clock] { return clock->Now(); });
  const certs::KeyPair ca = certs::MakeCa();
  TokenIssuer issuer(ca.key);
  Authenticator authn(
      ca.cert, {}, &issuer, [](const TokenClaims&) { return false; }, false);
  Authorizer authz("AlwaysAllow");
  FileTrees file_trees;
  PortRules port_rules;
  std::atomic<uint64_t> proxy_turn{0};
  std::atomic<size_t> watches{0};
  std::atomic<bool> stopping{false};
  const ResourceHandler handler{.store = store,
                                .registry = *registry,
                                .clock = *clock,
                                .authz = authz,
                                .authn = authn,
                                .issuer = issuer,
                                .file_trees = file_trees,
                                .port_rules = port_rules,
                                .proxy_turn = proxy_turn,
                                .watches = watches,
                                .max_watches = 1,
                                .stopping = stopping};
  store.Put(*registry->Find("", "v1", "namespaces"),
            {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "default"}}}});

  httplib::Response created = Ask(handler, *clock, "POST", "/api/v1/namespaces/default/configmaps",
                                  R"({"metadata":{"name":"settings"},"data":{"mode":"fast"}})");
  ASSERT_EQ(created.status, 201) << created.body;

  httplib::Response got =
      Ask(handler, *clock, "GET", "/api/v1/namespaces/default/configmaps/settings");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json::parse(got.body)["data"]["mode"], "fast");

  httplib::Response listed = Ask(handler, *clock, "GET", "/api/v1/configmaps");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body)["items"].size(), 1u);
}

}  // namespace
}  // namespace kubedouble::fake
