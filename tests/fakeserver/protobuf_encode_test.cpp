// The protobuf answers (fakeserver/src/protobuf_encode.cpp): JSON → protobuf → JSON through the
// schema-driven decoder, which reads the bytes as client-go's generated unmarshallers do (field
// numbers of the 1.32 generated.proto files, the "k8s\0" + runtime.Unknown envelope, watch
// frames of a 4-byte big-endian length and a WatchEvent).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/store.h>

#include <random>

#include "protobuf.h"
#include "protobuf_encode.h"

namespace kubedouble::fake {
namespace {

using json = nlohmann::json;

// What a client decodes from the answer to `obj`.
json RoundTrip(const json& obj) {
  std::optional<std::string> bytes = EncodeProtobuf(obj);
  EXPECT_TRUE(bytes) << obj.dump();
  if (!bytes) return nullptr;
  return DecodeProtobufBody(*bytes);
}

// The frames of a protobuf watch stream, each decoded as client-go's watch decoder does: the
// 4-byte length, then a WatchEvent whose object holds an envelope.
std::vector<json> DecodeWatchStream(std::string_view stream) {
  std::vector<json> events;
  while (!stream.empty()) {
    EXPECT_GE(stream.size(), 4u);
    if (stream.size() < 4) break;
    uint32_t size = 0;
    for (int i = 0; i < 4; ++i) size = size << 8 | static_cast<unsigned char>(stream[i]);
    EXPECT_LE(size + 4, stream.size());
    std::string_view event = stream.substr(4, size);
    stream.remove_prefix(4 + size);
    // The WatchEvent message, put in an envelope for the body decoder.
    std::string body("k8s\0", 4);
    std::string type_meta = "\x0a\x02v1\x12\x0aWatchEvent";
    body += '\x0a';
    body += static_cast<char>(type_meta.size());
    body += type_meta;
    body += '\x12';
    for (uint64_t n = event.size();; n >>= 7) {  // varint length
      body += static_cast<char>(n >= 0x80 ? (n & 0x7f) | 0x80 : n);
      if (n < 0x80) break;
    }
    body += event;
    json e = DecodeProtobufBody(body);
    e.erase("apiVersion");
    e.erase("kind");
    events.push_back(e);
  }
  return events;
}

const json kPod = json::parse(R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web-1", "namespace": "default", "uid": "u-1", "resourceVersion": "42",
    "creationTimestamp": "2026-01-02T03:04:05Z", "labels": {"app": "web", "tier": "front"},
    "annotations": {"note": ""},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
      "uid": "u-0", "controller": true, "blockOwnerDeletion": false}],
    "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
      "time": "2026-01-02T03:04:05Z", "fieldsType": "FieldsV1",
      "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]},
  "spec": {
    "containers": [{"name": "main", "image": "nginx:1.27", "args": ["-g", "daemon off;"],
      "ports": [{"containerPort": 8080, "protocol": "TCP"}],
      "env": [{"name": "MODE", "value": "prod"},
              {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
      "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}},
      "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
      "livenessProbe": {"tcpSocket": {"port": 8080}},
      "securityContext": {"runAsUser": 0, "allowPrivilegeEscalation": false}}],
    "volumes": [{"name": "scratch", "emptyDir": {}},
                {"name": "conf", "configMap": {"name": "web", "defaultMode": 420}}],
    "restartPolicy": "Always", "terminationGracePeriodSeconds": 0, "hostNetwork": true,
    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule",
                     "tolerationSeconds": 300}]},
  "status": {"phase": "Running", "podIP": "10.1.0.5", "startTime": "2026-01-02T03:04:06Z",
    "conditions": [{"type": "Ready", "status": "True",
                    "lastTransitionTime": "2026-01-02T03:04:07Z"}],
    "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0, "image": "nginx",
      "imageID": "", "started": true,
      "state": {"running": {"startedAt": "2026-01-02T03:04:06Z"}}}]}
})");

TEST(ProtobufEncode, PodRoundTrips) {
  json want = kPod;
  // imageID is a required string: Go writes it even when empty, so it comes back.
  EXPECT_EQ(RoundTrip(kPod), want) << RoundTrip(kPod).dump(1);
}

TEST(ProtobufEncode, TheEnvelopeIsClientGosBytes) {
  // A ConfigMap with one label: "k8s\0", runtime.Unknown {typeMeta {apiVersion, kind}, raw,
  // contentEncoding "", contentType ""}, the object's fields in number order.
  json cm = json::parse(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},"data":{"a":"b"}})");
  const std::string raw = std::string("\x0a\x03\x0a\x01x", 5) +
                          "\x12\x06\x0a\x01"
                          "a\x12\x01"
                          "b";
  const std::string want = std::string("k8s\0", 4) +
                           "\x0a\x0f\x0a\x02v1\x12\x09"
                           "ConfigMap" +
                           "\x12" + static_cast<char>(raw.size()) + raw +
                           std::string("\x1a\x00\x22\x00", 4);
  EXPECT_EQ(EncodeProtobuf(cm), want);
}

TEST(ProtobufEncode, DeploymentKeepsItsZeroes) {
  json d = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
    "metadata":{"name":"web","namespace":"default","generation":3},
    "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"},
        "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]},
      "template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"web","image":"nginx"}]}},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":"25%"}},
      "revisionHistoryLimit":10,"progressDeadlineSeconds":600,"paused":false},
    "status":{"observedGeneration":3,"replicas":0,
      "conditions":[{"type":"Available","status":"True",
        "lastUpdateTime":"2026-01-02T03:04:05Z","lastTransitionTime":"2026-01-02T03:04:05Z",
        "reason":"MinimumReplicasAvailable","message":"ok"}]}})");
  EXPECT_EQ(RoundTrip(d), d) << RoundTrip(d).dump(1);
}

TEST(ProtobufEncode, ConfigMapBinaryDataAndSecretBytes) {
  json cm = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{"name":"bin"},"data":{"t":"text"},"binaryData":{"b":"AP/+","e":""},
    "immutable":false})");
  EXPECT_EQ(RoundTrip(cm), cm);
  json secret = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
    "data":{"tls.key":"AYA="},"type":"kubernetes.io/tls"})");
  EXPECT_EQ(RoundTrip(secret), secret);
}

TEST(ProtobufEncode, ServiceWithIntOrStringTargetPorts) {
  json svc = json::parse(R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"svc","namespace":"default"},
    "spec":{"type":"NodePort","selector":{"app":"web"},"clusterIP":"10.96.0.10",
      "clusterIPs":["10.96.0.10"],"ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack",
      "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080},
               {"name":"https","protocol":"TCP","port":443,"targetPort":"https"}],
      "sessionAffinity":"None","externalTrafficPolicy":"Cluster"},
    "status":{"loadBalancer":{}}})");
  EXPECT_EQ(RoundTrip(svc), svc) << RoundTrip(svc).dump(1);
  // The IntOrString {type = 1, intVal = 2, strVal = 3} of the named port, all three written.
  std::string bytes = *EncodeProtobuf(svc);
  EXPECT_NE(bytes.find(std::string("\x22\x0b\x08\x01\x10\x00\x1a\x05https", 13)),
            std::string::npos);
}

TEST(ProtobufEncode, NodeQuantitiesAndTimes) {
  json node = json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1",
      "labels":{"kubernetes.io/hostname":"n1"}},
    "spec":{"podCIDR":"10.1.0.0/24","taints":[{"key":"k","effect":"NoSchedule"}]},
    "status":{"capacity":{"cpu":"4","memory":"16Gi","pods":"110","ephemeral-storage":"100G"},
      "allocatable":{"cpu":"3800m","memory":"15Gi"},
      "conditions":[{"type":"Ready","status":"True","lastHeartbeatTime":"2026-01-02T03:04:05Z",
        "lastTransitionTime":"2026-01-01T00:00:00Z","reason":"KubeletReady","message":"ok"}],
      "addresses":[{"type":"InternalIP","address":"192.168.0.2"}],
      "nodeInfo":{"machineID":"m","systemUUID":"s","bootID":"b","kernelVersion":"6.1",
        "osImage":"Debian","containerRuntimeVersion":"containerd://1.7","kubeletVersion":"v1.32.0",
        "kubeProxyVersion":"","operatingSystem":"linux","architecture":"amd64"}}})");
  EXPECT_EQ(RoundTrip(node), node) << RoundTrip(node).dump(1);
  // A number where a Quantity is: its string.
  json numeric = node;
  numeric["status"]["capacity"]["cpu"] = 4;
  EXPECT_EQ(RoundTrip(numeric)["status"]["capacity"]["cpu"], "4");
  // A time with an offset or fractions: the instant, in whole seconds (metav1.Time).
  json offset = node;
  offset["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-01-02T05:04:05.9+02:00";
  EXPECT_EQ(RoundTrip(offset)["status"]["conditions"][0]["lastHeartbeatTime"],
            "2026-01-02T03:04:05Z");
  // The whole range of metav1.Time, beyond what a nanosecond clock holds (1678 to 2262).
  for (const char* t : {"0001-01-01T00:00:01Z", "1600-02-29T12:00:00Z", "9999-12-31T23:59:59Z"}) {
    json far = node;
    far["status"]["conditions"][0]["lastHeartbeatTime"] = t;
    EXPECT_EQ(RoundTrip(far)["status"]["conditions"][0]["lastHeartbeatTime"], t);
  }
}

TEST(ProtobufEncode, EventsWithMicroTime) {
  json core = json::parse(R"({"apiVersion":"v1","kind":"Event",
    "metadata":{"name":"web.1","namespace":"default"},
    "involvedObject":{"kind":"Pod","namespace":"default","name":"web","apiVersion":"v1"},
    "reason":"Started","message":"Started container","source":{"component":"kubelet"},
    "firstTimestamp":"2026-01-02T03:04:05Z","lastTimestamp":"2026-01-02T03:04:09Z","count":3,
    "type":"Normal","eventTime":"2026-01-02T03:04:05.123456Z","reportingComponent":"kubelet",
    "reportingInstance":"n1"})");
  EXPECT_EQ(RoundTrip(core), core) << RoundTrip(core).dump(1);
  json events = json::parse(R"({"apiVersion":"events.k8s.io/v1","kind":"Event",
    "metadata":{"name":"e","namespace":"default"},"eventTime":"2026-01-02T03:04:05.000001Z",
    "reportingController":"kubedouble","reportingInstance":"i","action":"Bind",
    "reason":"Scheduled","regarding":{"kind":"Pod","name":"web"},"type":"Normal",
    "series":{"count":2,"lastObservedTime":"2026-01-02T03:04:06.500000Z"}})");
  EXPECT_EQ(RoundTrip(events), events) << RoundTrip(events).dump(1);
}

TEST(ProtobufEncode, ListsAndMetadataOnlyLists) {
  json pod = kPod;
  pod.erase("apiVersion");  // list items carry no type in protobuf (nor in kube-apiserver's JSON)
  pod.erase("kind");
  json list = {
      {"apiVersion", "v1"},
      {"kind", "PodList"},
      {"metadata", {{"resourceVersion", "77"}, {"continue", "tok"}, {"remainingItemCount", 3}}},
      {"items", {pod, pod}}};
  EXPECT_EQ(RoundTrip(list), list);
  json empty = {{"apiVersion", "apps/v1"},
                {"kind", "DeploymentList"},
                {"metadata", {{"resourceVersion", "1"}}}};
  EXPECT_EQ(RoundTrip(empty), empty);

  json meta = {{"metadata", {{"name", "a"}, {"namespace", "default"}, {"resourceVersion", "5"}}}};
  for (std::string version : {"v1", "v1beta1"}) {
    json partial = {{"apiVersion", "meta.k8s.io/" + version},
                    {"kind", "PartialObjectMetadataList"},
                    {"metadata", {{"resourceVersion", "9"}}},
                    {"items", {meta}}};
    EXPECT_EQ(RoundTrip(partial), partial) << version;
  }
  json one = meta;
  one["apiVersion"] = "meta.k8s.io/v1";
  one["kind"] = "PartialObjectMetadata";
  EXPECT_EQ(RoundTrip(one), one);
}

TEST(ProtobufEncode, StatusFromAnyGroupVersion) {
  json status = json::parse(R"({"apiVersion":"v1","kind":"Status","metadata":{},
    "status":"Failure","message":"pods \"x\" not found","reason":"NotFound",
    "details":{"name":"x","kind":"pods","causes":[{"reason":"FieldValueRequired",
      "message":"Required value","field":"spec.containers"}],"retryAfterSeconds":1},
    "code":404})");
  EXPECT_EQ(RoundTrip(status), status);
}

TEST(ProtobufEncode, LegacyDiscovery) {
  json resources = json::parse(R"({"apiVersion":"v1","kind":"APIResourceList",
    "groupVersion":"apps/v1","resources":[{"name":"deployments","singularName":"deployment",
      "namespaced":true,"kind":"Deployment","verbs":["create","get","list"],"shortNames":["deploy"],
      "categories":["all"],"storageVersionHash":"8aSe+NMegvE="},
      {"name":"deployments/scale","singularName":"","namespaced":true,"group":"autoscaling",
       "version":"v1","kind":"Scale","verbs":["get","patch","update"]}]})");
  EXPECT_EQ(RoundTrip(resources), resources) << RoundTrip(resources).dump(1);
  json groups = json::parse(R"({"apiVersion":"v1","kind":"APIGroupList","groups":[{"name":"apps",
    "versions":[{"groupVersion":"apps/v1","version":"v1"}],
    "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}]})");
  EXPECT_EQ(RoundTrip(groups), groups);
  json versions = json::parse(R"({"apiVersion":"v1","kind":"APIVersions","versions":["v1"],
    "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})");
  EXPECT_EQ(RoundTrip(versions), versions);
}

TEST(ProtobufEncode, TablesAndCustomResourcesHaveNoProtobufForm) {
  // kube-apiserver answers Tables as JSON or YAML only, custom resources likewise.
  EXPECT_FALSE(EncodeProtobuf(json::parse(R"({"apiVersion":"meta.k8s.io/v1","kind":"Table",
      "columnDefinitions":[],"rows":[]})")));
  EXPECT_FALSE(EncodeProtobuf(json::parse(R"({"apiVersion":"example.com/v1","kind":"Widget"})")));
  EXPECT_FALSE(EncodeProtobuf(json::parse(R"({"kind":"Pod"})")));
  EXPECT_FALSE(EncodeProtobuf(json::parse(R"([1,2])")));
  EXPECT_FALSE(
      EncodeProtobufWatchFrame("ADDED", json::parse(R"({"apiVersion":"x/v1","kind":"Y"})")));
}

TEST(ProtobufEncode, WatchFrames) {
  json pod = kPod;
  json gone = json::parse(R"j({"apiVersion":"v1","kind":"Status","metadata":{},
    "status":"Failure","message":"too old resource version: 1 (42)","reason":"Expired",
    "code":410})j");
  json bookmark = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{
    "resourceVersion":"50","annotations":{"k8s.io/initial-events-end":"true"}}})");
  std::string stream = *EncodeProtobufWatchFrame("ADDED", pod) +
                       *EncodeProtobufWatchFrame("BOOKMARK", bookmark) +
                       *EncodeProtobufWatchFrame("ERROR", gone);
  // The first frame's length is big-endian and counts what follows it.
  std::string first = *EncodeProtobufWatchFrame("ADDED", pod);
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size = size << 8 | static_cast<unsigned char>(first[i]);
  EXPECT_EQ(size + 4, first.size());
  EXPECT_EQ(first.substr(4, 7), std::string("\x0a\x05"
                                            "ADDED",
                                            7));

  std::vector<json> events = DecodeWatchStream(stream);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], json({{"type", "ADDED"}, {"object", pod}}));
  EXPECT_EQ(events[1], json({{"type", "BOOKMARK"}, {"object", bookmark}}));
  EXPECT_EQ(events[2], json({{"type", "ERROR"}, {"object", gone}}));
}

TEST(ProtobufEncode, ValuesOfTheWrongTypeAreSkipped) {
  json odd = json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":7,
    "labels":["x"]},"data":{"a":1,"b":"ok"},"immutable":"yes"})");
  EXPECT_EQ(RoundTrip(odd), json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
    "metadata":{},"data":{"a":"","b":"ok"}})"));
}

// What the fuzz target checks, on a few thousand changed answers: whatever decodes, encoded
// again, decodes to the same JSON.
TEST(ProtobufEncode, DecodedBodiesEncodeBackToTheSameJson) {
  std::vector<std::string> bodies;
  for (const json& obj : {kPod, json::parse(R"({"apiVersion":"v1","kind":"Event",
           "metadata":{"name":"e"},"eventTime":"2026-01-02T03:04:05.123456Z","count":2})")}) {
    bodies.push_back(*EncodeProtobuf(obj));
  }
  std::mt19937 rng(11);
  int decoded = 0;
  for (const std::string& body : bodies) {
    for (int i = 0; i < 2000; ++i) {
      std::string v = body;
      for (int k = 0; k < 1 + i % 3; ++k) {
        v[4 + rng() % (v.size() - 4)] = static_cast<char>(rng() % 256);
      }
      json once;
      try {
        once = DecodeProtobufBody(v);
      } catch (const StatusError& e) {
        EXPECT_TRUE(e.code() == 400 || e.code() == 415) << e.what();
        continue;
      }
      ++decoded;
      std::optional<std::string> again = EncodeProtobuf(once);
      ASSERT_TRUE(again) << once.dump();
      EXPECT_EQ(DecodeProtobufBody(*again).dump(), once.dump());
    }
  }
  EXPECT_GT(decoded, 100);
}

}  // namespace
}  // namespace kubedouble::fake
