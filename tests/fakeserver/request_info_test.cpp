// ParseRequestInfo splits a path as kube-apiserver's RequestInfoFactory does: resource requests
// under /api/v1 and /apis/G/V (with their verb, namespace, name and subresource), everything
// else a non-resource request with the lower-case method as its verb.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "request_info.h"

namespace kubedouble::fake {
namespace {

TEST(RequestInfo, ResourceRequestsGetTheirVerbNamespaceNameAndSubresource) {
  RequestInfo list = ParseRequestInfo("GET", "/api/v1/namespaces/default/pods", false);
  EXPECT_TRUE(list.is_resource);
  EXPECT_EQ(list.verb, "list");
  EXPECT_EQ(list.api_prefix, "api");
  EXPECT_EQ(list.api_group, "");
  EXPECT_EQ(list.api_version, "v1");
  EXPECT_EQ(list.ns, "default");
  EXPECT_EQ(list.resource, "pods");
  EXPECT_EQ(list.name, "");
  EXPECT_EQ(list.parts, std::vector<std::string>{"pods"});
  EXPECT_EQ(list.path, "/api/v1/namespaces/default/pods");

  RequestInfo sub =
      ParseRequestInfo("PUT", "/apis/apps/v1/namespaces/a/deployments/web/scale", false);
  EXPECT_EQ(sub.verb, "update");
  EXPECT_EQ(sub.api_prefix, "apis");
  EXPECT_EQ(sub.api_group, "apps");
  EXPECT_EQ(sub.ns, "a");
  EXPECT_EQ(sub.resource, "deployments");
  EXPECT_EQ(sub.name, "web");
  EXPECT_EQ(sub.subresource, "scale");
  EXPECT_EQ(sub.parts, (std::vector<std::string>{"deployments", "web", "scale"}));

  EXPECT_EQ(ParseRequestInfo("DELETE", "/api/v1/namespaces/a/pods", false).verb,
            "deletecollection");
  EXPECT_EQ(ParseRequestInfo("DELETE", "/api/v1/namespaces/a/pods/p", false).verb, "delete");
  EXPECT_EQ(ParseRequestInfo("POST", "/api/v1/namespaces/a/pods", false).verb, "create");
  EXPECT_EQ(ParseRequestInfo("PATCH", "/api/v1/nodes/n", false).verb, "patch");
  EXPECT_EQ(ParseRequestInfo("HEAD", "/api/v1/nodes/n", false).verb, "get");
  EXPECT_EQ(ParseRequestInfo("OPTIONS", "/api/v1/nodes", false).verb, "");
}

TEST(RequestInfo, WatchesByPrefixOrParameter) {
  RequestInfo prefixed = ParseRequestInfo("GET", "/api/v1/watch/namespaces/a/pods/p", false);
  EXPECT_TRUE(prefixed.is_resource);
  EXPECT_EQ(prefixed.verb, "watch");
  EXPECT_EQ(prefixed.ns, "a");
  EXPECT_EQ(prefixed.name, "p");
  EXPECT_EQ(ParseRequestInfo("GET", "/api/v1/pods", true).verb, "watch");
  EXPECT_EQ(ParseRequestInfo("POST", "/api/v1/namespaces/a/pods", true).verb, "create");
  RequestInfo bare = ParseRequestInfo("GET", "/api/v1/watch", false);
  EXPECT_FALSE(bare.is_resource);
  EXPECT_EQ(bare.verb, "get");
}

TEST(RequestInfo, ANamespacesOwnSubresourcesAndTheNamespaceItself) {
  RequestInfo ns = ParseRequestInfo("GET", "/api/v1/namespaces/a", false);
  EXPECT_EQ(ns.resource, "namespaces");
  EXPECT_EQ(ns.name, "a");
  EXPECT_EQ(ns.ns, "a");
  EXPECT_EQ(ns.verb, "get");
  RequestInfo finalize = ParseRequestInfo("PUT", "/api/v1/namespaces/a/finalize", false);
  EXPECT_EQ(finalize.resource, "namespaces");
  EXPECT_EQ(finalize.name, "a");
  EXPECT_EQ(finalize.subresource, "finalize");
  EXPECT_EQ(ParseRequestInfo("GET", "/api/v1/namespaces", false).verb, "list");
}

TEST(RequestInfo, OtherPathsAreNonResourceWithTheMethodLowerCase) {
  for (const char* path : {"/", "", "/healthz", "/api", "/apis", "/apis/apps", "/api/v1",
                           "/apis/apps/v1", "/openapi/v2", "/apix/v1/pods"}) {
    RequestInfo info = ParseRequestInfo("GET", path, false);
    EXPECT_FALSE(info.is_resource) << path;
    EXPECT_EQ(info.verb, "get") << path;
    EXPECT_EQ(info.path, path);
  }
  EXPECT_EQ(ParseRequestInfo("POST", "/apis", false).verb, "post");
}

TEST(RequestInfo, EmptySegmentsAreSkipped) {
  RequestInfo info = ParseRequestInfo("GET", "//api//v1/namespaces//a/pods/", false);
  EXPECT_TRUE(info.is_resource);
  EXPECT_EQ(info.ns, "a");
  EXPECT_EQ(info.resource, "pods");
  EXPECT_EQ(info.verb, "list");
}

}  // namespace
}  // namespace kubedouble::fake
