// The endpoints controllers: for every Service with a selector, an Endpoints object and an
// EndpointSlice listing the pods it selects that have an IP — ready ones as addresses, the
// others as notReadyAddresses (ready: false in the slice) — with the Service's ports resolved
// against the pods' named container ports. A deleted Service's Endpoints go with it.
#include <fmt/format.h>

#include <vector>

#include "controllers.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

// A Service port's targetPort on `pod`: the number, or the container port of that name.
int64_t TargetPort(const json& port, const json& pod) {
  const json& target = At(port, "targetPort");
  if (target.is_number_integer()) return target.get<int64_t>();
  if (target.is_string()) {
    const json& containers = At(pod, "spec.containers");
    for (const auto& c : containers.is_array() ? containers : json::array()) {
      const json& ports = At(c, "ports");
      for (const auto& p : ports.is_array() ? ports : json::array()) {
        if (Str(p, "name") == target.get<std::string>()) return Int(p, "containerPort", 0);
      }
    }
    return 0;
  }
  return Int(port, "port", 0);
}

class EndpointsController : public Controller {
 private:
  void DeleteEndpoints(World& w, const std::string& key) {
    auto slash = key.find('/');
    try {
      w.store().Delete(w.Resource("endpoints"), key.substr(0, slash), key.substr(slash + 1));
    } catch (const fake::StatusError&) {
      // Never made, or gone already.
    }
  }

 public:
  std::string name() const override { return "endpoints"; }

  void Changed(World& w, const std::string& resource, const json& object, bool) override {
    if (resource == "services") {
      w.Enqueue(name(), KeyOf(object));
    } else if (resource == "pods") {
      // Every Service of the pod's namespace may select it.
      std::string ns = Str(object, "metadata.namespace");
      const auto& services = w.cache("services").all();
      for (auto it = services.lower_bound(ns + "/"); it != services.end(); ++it) {
        if (it->first.compare(0, ns.size() + 1, ns + "/") != 0) break;
        if (At(it->second, "spec.selector").is_object()) w.Enqueue(name(), it->first);
      }
    }
  }

  void Reconcile(World& w, const std::string& key) override {
    const json* svc = w.cache("services").Find(key);
    if (!svc) return DeleteEndpoints(w, key);  // its EndpointSlices go by their ownerReference
    const json& selector = At(*svc, "spec.selector");
    if (!selector.is_object() || selector.empty()) return;
    const std::string ns = Str(*svc, "metadata.namespace"), svc_name = Str(*svc, "metadata.name");
    std::vector<const json*> pods;
    const auto& all = w.cache("pods").all();
    for (auto it = all.lower_bound(ns + "/"); it != all.end(); ++it) {
      if (it->first.compare(0, ns.size() + 1, ns + "/") != 0) break;
      const json& pod = it->second;
      if (!PodActive(pod) || Str(pod, "status.podIP").empty()) continue;
      if (MapMatches(selector, At(pod, "metadata.labels"))) pods.push_back(&pod);
    }
    const json& svc_ports = At(*svc, "spec.ports");
    json ready = json::array(), not_ready = json::array(), slice_endpoints = json::array();
    for (const json* pod : pods) {
      json ref = {{"kind", "Pod"},
                  {"namespace", ns},
                  {"name", Str(*pod, "metadata.name")},
                  {"uid", Str(*pod, "metadata.uid")}};
      json address = {{"ip", Str(*pod, "status.podIP")}, {"targetRef", ref}};
      std::string node = Str(*pod, "spec.nodeName");
      if (!node.empty()) address["nodeName"] = node;
      bool is_ready = PodReady(*pod);
      (is_ready ? ready : not_ready).push_back(address);
      json endpoint = {
          {"addresses", {Str(*pod, "status.podIP")}},
          {"conditions", {{"ready", is_ready}, {"serving", is_ready}, {"terminating", false}}},
          {"targetRef", ref}};
      if (!node.empty()) endpoint["nodeName"] = node;
      slice_endpoints.push_back(endpoint);
    }
    json ports = json::array();
    for (const auto& p : svc_ports.is_array() ? svc_ports : json::array()) {
      int64_t number = pods.empty() ? Int(p, "port", 0) : TargetPort(p, *pods.front());
      json port = {{"port", number},
                   {"protocol", Str(p, "protocol").empty() ? "TCP" : Str(p, "protocol")}};
      if (!Str(p, "name").empty()) port["name"] = Str(p, "name");
      ports.push_back(port);
    }
    json subsets = json::array();
    if (!ready.empty() || !not_ready.empty()) {
      json subset = {{"ports", ports}};
      if (!ready.empty()) subset["addresses"] = ready;
      if (!not_ready.empty()) subset["notReadyAddresses"] = not_ready;
      subsets.push_back(subset);
    }
    json owner = *svc;
    owner["kind"] = "Service";
    owner["apiVersion"] = "v1";
    json endpoints = {
        {"apiVersion", "v1"},
        {"kind", "Endpoints"},
        {"metadata",
         {{"name", svc_name},
          {"namespace", ns},
          {"labels", At(*svc, "metadata.labels").is_object() ? At(*svc, "metadata.labels")
                                                             : json::object()}}}};
    if (!subsets.empty()) endpoints["subsets"] = subsets;
    w.Upsert("endpoints", endpoints, [&](const json& stored) {
      return At(stored, "subsets") != (subsets.empty() ? json() : subsets);
    });
    json slice_owner = ControllerRef(owner);
    json slice = {
        {"apiVersion", "discovery.k8s.io/v1"},
        {"kind", "EndpointSlice"},
        {"metadata",
         {{"name", svc_name + "-" + NameSuffix(ns + "/" + svc_name)},
          {"namespace", ns},
          {"labels",
           {{"kubernetes.io/service-name", svc_name},
            {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}}},
          {"ownerReferences", {slice_owner}}}},
        {"addressType", "IPv4"},
        {"endpoints", slice_endpoints},
        {"ports", ports}};
    w.Upsert("endpointslices", slice, [&](const json& stored) {
      return At(stored, "endpoints") != slice_endpoints || At(stored, "ports") != ports;
    });
  }
};

}  // namespace

std::unique_ptr<Controller> NewEndpointsController() {
  return std::make_unique<EndpointsController>();
}

}  // namespace kubedouble::controlplane
