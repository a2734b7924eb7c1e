// The promise of the ready line: a client that connects the moment `kubedouble serve` prints it
// finds the cluster a user of kind expects — service/kubernetes with its endpoints, the default
// ServiceAccount and kube-root-ca.crt in every namespace, the nodes Ready with their Leases, the
// bootstrap RBAC policy and the fixtures — however the start's work is split between threads.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "common/temp_dir.h"
#include "serve_process.h"

namespace kubedouble::testing {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

json GetJson(httplib::SSLClient& c, const std::string& path, int* status) {
  auto r = c.Get(path);
  *status = r ? r->status : -1;
  return r ? json::parse(r->body, nullptr, false) : json();
}

bool NodeReady(const json& node) {
  for (const auto& c : node["status"].value("conditions", json::array())) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

TEST(ReadyLine, AClientRightAfterItFindsTheWholeCluster) {
  test::TempDir tmp;
  const fs::path dir = tmp / "ready";
  for (int start = 0; start < 3; ++start) {  // a fresh PKI, then restarts on it
    SCOPED_TRACE(fmt::format("start {}", start));
    ServeProcess serve(dir / "state", {"--nodes", "2"});
    ASSERT_TRUE(serve.ok()) << serve.log();
    httplib::SSLClient c("127.0.0.1", serve.port());
    c.set_ca_cert_path((dir / "state" / "pki" / "ca.crt").c_str());
    c.enable_server_certificate_verification(true);
    c.set_bearer_token_auth(AdminToken(dir / "state").c_str());
    c.set_keep_alive(true);
    int status = 0;

    json svc = GetJson(c, "/api/v1/namespaces/default/services/kubernetes", &status);
    EXPECT_EQ(status, 200) << svc.dump();
    EXPECT_EQ(svc["spec"].value("clusterIP", ""), "10.96.0.1");
    json ep = GetJson(c, "/api/v1/namespaces/default/endpoints/kubernetes", &status);
    EXPECT_EQ(status, 200) << ep.dump();
    EXPECT_EQ(ep["subsets"][0]["ports"][0].value("port", 0), serve.port());
    GetJson(c, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes", &status);
    EXPECT_EQ(status, 200);

    for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      GetJson(c, fmt::format("/api/v1/namespaces/{}/serviceaccounts/default", ns), &status);
      EXPECT_EQ(status, 200) << ns;
      json cm =
          GetJson(c, fmt::format("/api/v1/namespaces/{}/configmaps/kube-root-ca.crt", ns), &status);
      EXPECT_EQ(status, 200) << ns;
      EXPECT_NE(cm["data"].value("ca.crt", "").find("BEGIN CERTIFICATE"), std::string::npos);
    }

    json nodes = GetJson(c, "/api/v1/nodes", &status);
    EXPECT_EQ(status, 200);
    ASSERT_EQ(nodes["items"].size(), 2u) << nodes.dump();
    for (const auto& node : nodes["items"]) {
      const std::string name = node["metadata"]["name"];
      EXPECT_TRUE(NodeReady(node)) << name;
      GetJson(c, "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + name, &status);
      EXPECT_EQ(status, 200) << name;
    }

    // The bootstrap policy and the fixtures.
    GetJson(c, "/apis/rbac.authorization.k8s.io/v1/clusterroles/view", &status);
    EXPECT_EQ(status, 200);
    GetJson(c, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kubedouble:discovery",
            &status);
    EXPECT_EQ(status, 200);
    json pods = GetJson(c, "/api/v1/namespaces/kube-system/pods", &status);
    EXPECT_EQ(status, 200);
    EXPECT_FALSE(pods["items"].empty());
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace kubedouble::testing
