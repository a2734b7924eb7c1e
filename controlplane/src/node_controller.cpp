// The simulated nodes: registered at start as a kind cluster's (kubedouble-control-plane, then
// kubedouble-worker, kubedouble-worker2, ...) with kwok-like capacity, and each node's Lease in
// kube-node-lease renewed on the clock, as a kubelet renews it.
#include <fmt/format.h>

#include "controllers.h"
#include "node_names.h"
#include "objects.h"

namespace kubedouble::controlplane {
namespace {

json Condition(const char* type, const char* status, const char* reason, const char* message,
               const std::string& now) {
  return {{"type", type},       {"status", status},         {"reason", reason},
          {"message", message}, {"lastHeartbeatTime", now}, {"lastTransitionTime", now}};
}

json MakeNode(const World& w, int index) {
  const std::string name = NodeName(index, w.options().nodes);
  const std::string now = w.NowText();
  const bool control_plane = index == 0;
  json labels = {{"beta.kubernetes.io/arch", "amd64"},
                 {"beta.kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", "amd64"},
                 {"kubernetes.io/hostname", name},
                 {"kubernetes.io/os", "linux"}};
  if (control_plane) {
    labels["node-role.kubernetes.io/control-plane"] = "";
    labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
  }
  json spec = {{"podCIDR", PodCidr(index)},
               {"podCIDRs", {PodCidr(index)}},
               {"providerID", "kind://docker/kubedouble/" + name}};
  // kind taints its control-plane node when it has workers.
  if (control_plane && w.options().nodes > 1) {
    spec["taints"] = {{{"key", "node-role.kubernetes.io/control-plane"}, {"effect", "NoSchedule"}}};
  }
  json capacity = {{"cpu", "32"},          {"ephemeral-storage", "1Ti"}, {"hugepages-1Gi", "0"},
                   {"hugepages-2Mi", "0"}, {"memory", "256Gi"},          {"pods", "110"}};
  std::string id = NameSuffix(name) + NameSuffix(name + "/id") + NameSuffix(name + "/uuid");
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", name},
            {"labels", labels},
            {"annotations",
             {{"kubeadm.alpha.kubernetes.io/cri-socket", "unix:///run/containerd/containerd.sock"},
              {"node.alpha.kubernetes.io/ttl", "0"},
              {"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
          {"spec", spec},
          {"status",
           {{"capacity", capacity},
            {"allocatable", capacity},
            {"addresses",
             {{{"type", "InternalIP"}, {"address", HostIp(index)}},
              {{"type", "Hostname"}, {"address", name}}}},
            {"conditions",
             {Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                        "kubelet has sufficient memory available", now),
              Condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                        "kubelet has no disk pressure", now),
              Condition("PIDPressure", "False", "KubeletHasSufficientPID",
                        "kubelet has sufficient PID available", now),
              Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now)}},
            {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", 10250}}}}},
            {"nodeInfo",
             {{"architecture", "amd64"},
              {"bootID", id},
              {"containerRuntimeVersion", "containerd://1.7.24"},
              {"kernelVersion", "6.1.0-kubedouble"},
              {"kubeProxyVersion", "v1.32.0"},
              {"kubeletVersion", "v1.32.0"},
              {"machineID", id},
              {"operatingSystem", "linux"},
              {"osImage", "Debian GNU/Linux 12 (bookworm)"},
              {"systemUUID", id}}},
            {"phase", nullptr}}}};
}

class NodeController : public Controller {
 public:
  std::string name() const override { return "node"; }

  void Bootstrap(World& w) override {
    // kube-apiserver makes the Leases' namespace at start; a server without fixtures has not.
    if (!w.cache("namespaces").Find(KeyOf("", "kube-node-lease"))) {
      w.Create("namespaces",
               {{"apiVersion", "v1"},
                {"kind", "Namespace"},
                {"metadata",
                 {{"name", "kube-node-lease"},
                  {"labels", {{"kubernetes.io/metadata.name", "kube-node-lease"}}}}}},
               Origin::kOwn);
    }
    for (int i = 0; i < w.options().nodes; ++i) {
      std::string node = NodeName(i, w.options().nodes);
      if (!w.cache("nodes").Find(KeyOf("", node))) {
        json made = MakeNode(w, i);
        made["status"].erase("phase");
        if (auto created = w.Create("nodes", made, Origin::kOwn)) {
          w.Event(*created, false, "Starting", "Starting kubelet.", "kubelet", node);
          w.Event(*created, false, "NodeReady",
                  fmt::format("Node {} status is now: NodeReady", node), "kubelet", node);
          w.Event(*created, false, "RegisteredNode",
                  fmt::format("Node {} event: Registered Node {} in Controller", node, node),
                  "node-controller");
        }
      }
      Reconcile(w, node);
    }
  }

  void Changed(World&, const std::string&, const json&, bool) override {}

  // Renews the node's Lease and comes back when the next renewal is due.
  void Reconcile(World& w, const std::string& node) override {
    const json* object = w.cache("nodes").Find(KeyOf("", node));
    if (!object) return;  // deleted: its kubelet is gone
    json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata",
                   {{"name", node},
                    {"namespace", "kube-node-lease"},
                    {"ownerReferences",
                     {{{"apiVersion", "v1"},
                       {"kind", "Node"},
                       {"name", node},
                       {"uid", Str(*object, "metadata.uid")}}}}}},
                  {"spec",
                   {{"holderIdentity", node},
                    {"leaseDurationSeconds", 40},
                    {"renewTime", w.NowMicroText()}}}};
    w.Upsert(
        "leases", lease, [](const json&) { return true; }, Origin::kOwn);
    w.After(w.now() + w.options().lease_renew_interval, name(), node);
  }
};

}  // namespace

std::unique_ptr<Controller> NewNodeController() { return std::make_unique<NodeController>(); }

}  // namespace kubedouble::controlplane
