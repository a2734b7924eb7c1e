// ParseRequestInfo splits a path as kube-apiserver's RequestInfoFactory does: resource requests
// under /api/v1 and /apis/G/V (with their verb, namespace, name and subresource), everything
// else a non-resource request with the lower-case method as its verb.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "request_info.h"

namespace kubedouble::fake {
namespace {

// "VERB NS/RESOURCE/NAME/SUBRESOURCE" of a resource request, "VERB (non-resource)" otherwise.
std::string Summary(const std::string& method, const std::string& path, bool watch = false) {
  RequestInfo i = ParseRequestInfo(method, path, watch);
  EXPECT_EQ(i.path, path);
  if (!i.is_resource) return i.verb + " (non-resource)";
  return i.verb + " " + i.ns + "/" + i.resource + "/" + i.name + "/" + i.subresource;
}

TEST(RequestInfo, ResourceRequestsGetTheirVerbNamespaceNameAndSubresource) {
  RequestInfo list = ParseRequestInfo("GET", "/api/v1/namespaces/default/pods", false);
  EXPECT_TRUE(list.is_resource);
  EXPECT_EQ(list.api_prefix, "api");
  EXPECT_EQ(list.api_group, "");
  EXPECT_EQ(list.api_version, "v1");
  EXPECT_EQ(list.parts, std::vector<std::string>{"pods"});
  EXPECT_EQ(Summary("GET", "/api/v1/namespaces/default/pods"), "list default/pods//");

  RequestInfo sub =
      ParseRequestInfo("PUT", "/apis/apps/v1/namespaces/a/deployments/web/scale", false);
  EXPECT_EQ(sub.api_prefix, "apis");
  EXPECT_EQ(sub.api_group, "apps");
  EXPECT_EQ(sub.parts, (std::vector<std::string>{"deployments", "web", "scale"}));
  EXPECT_EQ(Summary("PUT", "/apis/apps/v1/namespaces/a/deployments/web/scale"),
            "update a/deployments/web/scale");

  EXPECT_EQ(Summary("DELETE", "/api/v1/namespaces/a/pods"), "deletecollection a/pods//");
  EXPECT_EQ(Summary("DELETE", "/api/v1/namespaces/a/pods/p"), "delete a/pods/p/");
  EXPECT_EQ(Summary("POST", "/api/v1/namespaces/a/pods"), "create a/pods//");
  EXPECT_EQ(Summary("PATCH", "/api/v1/nodes/n"), "patch /nodes/n/");
  EXPECT_EQ(Summary("HEAD", "/api/v1/nodes/n"), "get /nodes/n/");
  EXPECT_EQ(Summary("OPTIONS", "/api/v1/nodes"), " /nodes//");
}

TEST(RequestInfo, WatchesByPrefixOrParameter) {
  EXPECT_EQ(Summary("GET", "/api/v1/watch/namespaces/a/pods/p"), "watch a/pods/p/");
  EXPECT_EQ(Summary("GET", "/api/v1/pods", true), "watch /pods//");
  EXPECT_EQ(Summary("POST", "/api/v1/namespaces/a/pods", true), "create a/pods//");
  EXPECT_EQ(Summary("GET", "/api/v1/watch"), "get (non-resource)");
}

TEST(RequestInfo, ANamespacesOwnSubresourcesAndTheNamespaceItself) {
  EXPECT_EQ(Summary("GET", "/api/v1/namespaces/a"), "get a/namespaces/a/");
  EXPECT_EQ(Summary("PUT", "/api/v1/namespaces/a/finalize"), "update a/namespaces/a/finalize");
  EXPECT_EQ(Summary("PUT", "/api/v1/namespaces/a/status"), "update a/namespaces/a/status");
  EXPECT_EQ(Summary("GET", "/api/v1/namespaces"), "list /namespaces//");
}

TEST(RequestInfo, OtherPathsAreNonResourceWithTheMethodLowerCase) {
  for (const char* path : {"/", "", "/healthz", "/api", "/apis", "/apis/apps", "/api/v1",
                           "/apis/apps/v1", "/openapi/v2", "/apix/v1/pods"}) {
    EXPECT_EQ(Summary("GET", path), "get (non-resource)") << path;
  }
  EXPECT_EQ(Summary("POST", "/apis"), "post (non-resource)");
}

TEST(RequestInfo, EmptySegmentsAreSkipped) {
  EXPECT_EQ(Summary("GET", "//api//v1/namespaces//a/pods/"), "list a/pods//");
}

}  // namespace
}  // namespace kubedouble::fake
