#include "fixtures.h"

#include <fmt/format.h>
#include <kubedouble/base/yaml_json.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kubedouble/base/encoding.h"
#include "kubedouble/base/rfc3339.h"
#include "util.h"

namespace kubedouble::fake {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::system_clock;

namespace {

ResourceInfo Resource(Store& store, const std::string& plural) {
  auto r = store.registry()->Find("", "v1", plural);
  if (!r) throw std::runtime_error("the store does not serve " + plural);
  return *r;
}

std::string Ago(std::chrono::hours h) { return base::FormatRfc3339(Clock::now() - h); }

json Meta(const std::string& name, const std::string& ns, std::chrono::hours age) {
  json m = {{"name", name}, {"uid", util::FastUuid()}, {"creationTimestamp", Ago(age)}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

struct PodSpec {
  std::string ns, name, image, phase, ip, node, host_ip;
  int restarts = 0;
  std::chrono::hours age{24};
};

json MakePod(const PodSpec& p) {
  std::string container = p.name.substr(0, p.name.find('-'));
  json meta = Meta(p.name, p.ns, p.age);
  meta["labels"] = {{"app", container}};
  json spec = {{"containers",
                {{{"name", container},
                  {"image", p.image},
                  {"imagePullPolicy", "IfNotPresent"},
                  {"resources", json::object()}}}},
               {"restartPolicy", p.phase == "Succeeded" ? "Never" : "Always"},
               {"serviceAccountName", "default"},
               {"schedulerName", "default-scheduler"},
               {"dnsPolicy", "ClusterFirst"}};
  if (!p.node.empty()) spec["nodeName"] = p.node;
  json status = {{"phase", p.phase}, {"qosClass", "BestEffort"}};
  std::string started = Ago(p.age);
  if (!p.node.empty()) {
    status["hostIP"] = p.host_ip;
    status["hostIPs"] = {{{"ip", p.host_ip}}};
    status["startTime"] = started;
  }
  if (!p.ip.empty()) {
    status["podIP"] = p.ip;
    status["podIPs"] = {{{"ip", p.ip}}};
  }
  bool running = p.phase == "Running";
  bool scheduled = !p.node.empty();
  auto cond = [&](const char* type, bool ok) {
    return json{{"type", type}, {"status", ok ? "True" : "False"}, {"lastTransitionTime", started}};
  };
  status["conditions"] = {cond("PodScheduled", scheduled), cond("Initialized", scheduled),
                          cond("ContainersReady", running), cond("Ready", running)};
  if (!scheduled) {
    status["conditions"] = {{{"type", "PodScheduled"},
                             {"status", "False"},
                             {"reason", "Unschedulable"},
                             {"message", "0/2 nodes are available: 2 Insufficient cpu."},
                             {"lastTransitionTime", started}}};
  } else {
    json state;
    const std::string container_id = "containerd://" + util::RandomHex(32);
    if (running) {
      state = {{"running", {{"startedAt", started}}}};
    } else if (p.phase == "Succeeded") {
      state = {{"terminated",
                {{"exitCode", 0},
                 {"reason", "Completed"},
                 {"startedAt", started},
                 {"finishedAt", started},
                 {"containerID", container_id}}}};
    } else {
      state = {{"waiting", {{"reason", "ContainerCreating"}}}};
    }
    status["containerStatuses"] = {{{"name", container},
                                    {"image", p.image},
                                    {"imageID", "docker.io/library/" + p.image},
                                    {"containerID", container_id},
                                    {"ready", running},
                                    {"started", running},
                                    {"restartCount", p.restarts},
                                    {"state", state}}};
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", meta},
          {"spec", spec},
          {"status", status}};
}

}  // namespace

void EnsureNamespaceDefaults(Store& store, const std::string& ns, const std::string& ca_pem) {
  auto sas = Resource(store, "serviceaccounts");
  auto cms = Resource(store, "configmaps");
  if (!store.Contains(sas, ns, "default")) {
    store.PutOwn(sas, {{"apiVersion", "v1"},
                       {"kind", "ServiceAccount"},
                       {"metadata", Meta("default", ns, std::chrono::hours(72))}});
  }
  if (!store.Contains(cms, ns, "kube-root-ca.crt")) {
    json meta = Meta("kube-root-ca.crt", ns, std::chrono::hours(72));
    meta["annotations"] = {{"kubernetes.io/description",
                            "Contains a CA bundle that can be used to verify the kube-apiserver "
                            "when using internal endpoints such as the internal service IP or "
                            "kubernetes.default.svc. No other usage is guaranteed across "
                            "distributions of Kubernetes clusters."}};
    store.PutOwn(cms, {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", meta},
                       {"data", {{"ca.crt", ca_pem}}}});
  }
}

void LoadDefaultFixtures(Store& store, const TokenIssuer& issuer, const std::string& ca_pem) {
  auto namespaces = Resource(store, "namespaces");
  auto pods = Resource(store, "pods");
  auto secrets = Resource(store, "secrets");
  auto sas = Resource(store, "serviceaccounts");

  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    json meta = Meta(ns, "", std::chrono::hours(72));
    meta["labels"] = {{"kubernetes.io/metadata.name", ns}};
    store.PutOwn(namespaces, {{"apiVersion", "v1"},
                              {"kind", "Namespace"},
                              {"metadata", meta},
                              {"spec", {{"finalizers", {"kubernetes"}}}},
                              {"status", {{"phase", "Active"}}}});
    EnsureNamespaceDefaults(store, ns, ca_pem);
  }

  // The legacy token secret of default/default, as the token controller made them before 1.24.
  json sa = store.Get(sas, "default", "default");
  ServiceAccountRef ref{"default", "default", sa["metadata"].value("uid", "")};
  std::string secret_name = "default-token-" + util::RandomSuffix(5);
  std::string token = issuer.IssueLegacy(ref, secret_name);
  json secret_meta = Meta(secret_name, "default", std::chrono::hours(72));
  secret_meta["annotations"] = {{"kubernetes.io/service-account.name", "default"},
                                {"kubernetes.io/service-account.uid", ref.uid}};
  store.PutOwn(secrets, {{"apiVersion", "v1"},
                         {"kind", "Secret"},
                         {"metadata", secret_meta},
                         {"type", "kubernetes.io/service-account-token"},
                         {"data",
                          {{"ca.crt", base::Base64Encode(ca_pem)},
                           {"namespace", base::Base64Encode("default")},
                           {"token", base::Base64Encode(token)}}}});
  sa["secrets"] = {{{"name", secret_name}}};
  store.PutOwn(sas, sa);

  const std::string w1 = "kubedouble-worker", w2 = "kubedouble-worker2",
                    cp = "kubedouble-control-plane";
  const std::vector<PodSpec> specs = {
      {"default", "nginx-7c5ddbdf54-2xq8k", "nginx:1.27", "Running", "10.244.1.12", w1,
       "172.18.0.3", 0, std::chrono::hours(26)},
      {"default", "nginx-7c5ddbdf54-v9wtl", "nginx:1.27", "Running", "10.244.2.7", w2, "172.18.0.4",
       1, std::chrono::hours(26)},
      {"default", "redis-0", "redis:7.2", "Running", "10.244.1.13", w1, "172.18.0.3", 0,
       std::chrono::hours(49)},
      {"default", "report-28845120-7tq4d", "busybox:1.36", "Succeeded", "10.244.2.9", w2,
       "172.18.0.4", 0, std::chrono::hours(3)},
      {"default", "api-6b9f7c4d8-pq2zr", "ghcr.io/example/api:2.3.1", "Pending", "", "", "", 0,
       std::chrono::hours(1)},
      {"kube-system", "coredns-668d6bf9bc-k7x2m", "registry.k8s.io/coredns/coredns:v1.11.3",
       "Running", "10.244.0.2", cp, "172.18.0.2", 0, std::chrono::hours(72)},
      {"kube-system", "etcd-kubedouble-control-plane", "registry.k8s.io/etcd:3.5.16-0", "Running",
       "172.18.0.2", cp, "172.18.0.2", 0, std::chrono::hours(72)},
      {"kube-system", "kube-apiserver-kubedouble-control-plane",
       "registry.k8s.io/kube-apiserver:v1.32.0", "Running", "172.18.0.2", cp, "172.18.0.2", 0,
       std::chrono::hours(72)},
  };
  for (const auto& s : specs) store.PutOwn(pods, MakePod(s));
}

void PutFixture(Store& store, json obj, const std::string& where) {
  if (!obj.is_object()) throw std::runtime_error(where + ": expected an object (a mapping)");
  if (!obj.contains("apiVersion") || !obj["apiVersion"].is_string()) {
    throw std::runtime_error(where + ": apiVersion is missing");
  }
  if (!obj.contains("kind") || !obj["kind"].is_string()) {
    throw std::runtime_error(where + ": kind is missing");
  }
  std::string api_version = obj["apiVersion"], kind = obj["kind"];
  if (kind == "List" || (kind.size() > 4 && kind.ends_with("List") && obj.contains("items"))) {
    if (!obj["items"].is_array()) throw std::runtime_error(where + ": items must be a list");
    int i = 0;
    for (auto& item : obj["items"]) PutFixture(store, item, fmt::format("{}, item {}", where, ++i));
    return;
  }
  auto res = store.registry()->FindByKind(api_version, kind);
  if (!res) {
    throw std::runtime_error(
        fmt::format("{}: kind {} in {} is not served", where, kind, api_version));
  }
  if (!obj.contains("metadata") || !obj["metadata"].is_object() ||
      !obj["metadata"].contains("name") || !obj["metadata"]["name"].is_string() ||
      obj["metadata"]["name"].get<std::string>().empty()) {
    throw std::runtime_error(fmt::format("{}: {} has no metadata.name", where, kind));
  }
  if (res->namespaced) {
    if (!obj["metadata"].contains("namespace")) obj["metadata"]["namespace"] = "default";
  } else {
    obj["metadata"].erase("namespace");
  }
  try {
    store.Put(*res, std::move(obj));
  } catch (const StatusError& e) {
    throw std::runtime_error(fmt::format("{}: {}", where, e.what()));
  }
}

void PutOwnObjects(Store& store, std::vector<json> objects, const std::string& where) {
  std::map<std::pair<std::string, std::string>, std::optional<ResourceInfo>> served;
  for (auto& object : objects) {
    const std::string api_version = object.value("apiVersion", ""), kind = object.value("kind", "");
    auto found = served.find({api_version, kind});
    if (found == served.end()) {
      found = served
                  .emplace(std::pair{api_version, kind},
                           store.registry()->FindByKind(api_version, kind))
                  .first;
    }
    if (!found->second) {
      throw std::runtime_error(
          fmt::format("{}: kind {} in {} is not served", where, kind, api_version));
    }
    store.PutOwn(*found->second, std::move(object));
  }
}

}  // namespace kubedouble::fake
