// The namespace part: what kube-controller-manager and kube-apiserver put into every namespace
// (the `default` ServiceAccount, the `kube-root-ca.crt` ConfigMap) and the `kubernetes` Service
// in `default`, whose endpoints are the API server's own address and port.
#include <fmt/format.h>
#include <kubedouble/fakeserver/store.h>

#include "controllers.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

constexpr const char* kRootCaDescription =
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
    "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
    "guaranteed across distributions of Kubernetes clusters.";

bool Exists(World& w, const std::string& resource, const std::string& ns, const std::string& name) {
  return w.store().Contains(w.Resource(resource), ns, name);
}

class NamespaceController : public Controller {
 public:
  std::string name() const override { return "namespace"; }

  void Bootstrap(World& w) override {
    for (const auto& [key, ns] : w.cache("namespaces").all())
      Reconcile(w, Str(ns, "metadata.name"));
    KubernetesService(w);
  }

  void Changed(World& w, const std::string& resource, const json& object, bool deleted) override {
    if (resource == "namespaces" && !deleted) w.Enqueue(name(), Str(object, "metadata.name"));
  }

  void Reconcile(World& w, const std::string& ns) override {
    const json* object = w.cache("namespaces").Find(KeyOf("", ns));
    if (!object || Str(*object, "status.phase") == "Terminating") return;
    if (!Exists(w, "serviceaccounts", ns, "default")) {
      w.Create("serviceaccounts",
               {{"apiVersion", "v1"},
                {"kind", "ServiceAccount"},
                {"metadata", {{"name", "default"}, {"namespace", ns}}}},
               Origin::kOwn);
    }
    if (!Exists(w, "configmaps", ns, "kube-root-ca.crt")) {
      w.Create("configmaps",
               {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata",
                 {{"name", "kube-root-ca.crt"},
                  {"namespace", ns},
                  {"annotations", {{"kubernetes.io/description", kRootCaDescription}}}}},
                {"data", {{"ca.crt", w.options().ca_pem}}}},
               Origin::kOwn);
    }
  }

 private:
  // service/kubernetes, its Endpoints and its EndpointSlice, as kube-apiserver keeps them.
  void KubernetesService(World& w) {
    const auto& o = w.options();
    if (o.api_address.empty() || o.api_port == 0) return;
    if (!Exists(w, "namespaces", "", "default")) return;
    if (!Exists(w, "services", "default", "kubernetes")) {
      w.Create("services",
               {{"apiVersion", "v1"},
                {"kind", "Service"},
                {"metadata",
                 {{"name", "kubernetes"},
                  {"namespace", "default"},
                  {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
                {"spec",
                 {{"clusterIP", "10.96.0.1"},
                  {"clusterIPs", {"10.96.0.1"}},
                  {"ports",
                   {{{"name", "https"},
                     {"port", 443},
                     {"protocol", "TCP"},
                     {"targetPort", o.api_port}}}},
                  {"sessionAffinity", "None"},
                  {"type", "ClusterIP"},
                  {"internalTrafficPolicy", "Cluster"},
                  {"ipFamilies", {"IPv4"}},
                  {"ipFamilyPolicy", "SingleStack"}}}},
               Origin::kOwn);
    }
    const bool v6 = o.api_address.find(':') != std::string::npos;
    json subsets = {{{"addresses", {{{"ip", o.api_address}}}},
                     {"ports", {{{"name", "https"}, {"port", o.api_port}, {"protocol", "TCP"}}}}}};
    w.Upsert(
        "endpoints",
        {{"apiVersion", "v1"},
         {"kind", "Endpoints"},
         {"metadata",
          {{"name", "kubernetes"},
           {"namespace", "default"},
           {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
         {"subsets", subsets}},
        [&](const json& stored) { return At(stored, "subsets") != subsets; }, Origin::kOwn);
    json endpoints = {{{"addresses", {o.api_address}}, {"conditions", {{"ready", true}}}}};
    w.Upsert(
        "endpointslices",
        {{"apiVersion", "discovery.k8s.io/v1"},
         {"kind", "EndpointSlice"},
         {"metadata",
          {{"name", "kubernetes"},
           {"namespace", "default"},
           {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
         {"addressType", v6 ? "IPv6" : "IPv4"},
         {"endpoints", endpoints},
         {"ports", {{{"name", "https"}, {"port", o.api_port}, {"protocol", "TCP"}}}}},
        [&](const json& stored) { return At(stored, "endpoints") != endpoints; }, Origin::kOwn);
  }
};

}  // namespace

std::unique_ptr<Controller> NewNamespaceController() {
  return std::make_unique<NamespaceController>();
}

}  // namespace kubedouble::controlplane
