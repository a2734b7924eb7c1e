// The protobuf request-body decoder (fakeserver/src/protobuf.cpp): bodies encoded by hand here,
// field by field, as client-go's generated marshallers write them (every non-pointer field,
// empty or not). Every kind is decoded from the schema's message tables; what JSON the empty
// fields give follows Go's omitempty as the OpenAPI tells it (required fields are kept).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/store.h>

#include <random>

#include "client.h"
#include "protobuf.h"
#include "protobuf_encode.h"

namespace kubedouble::fake {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// --- a small protobuf encoder ---
std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
  return out;
}
std::string Key(int number, int wire_type) { return Varint(uint64_t(number) << 3 | wire_type); }
// A length-delimited field: a string, bytes or an embedded message.
std::string Bytes(int number, std::string_view v) {
  return Key(number, 2) + Varint(v.size()) + std::string(v);
}
std::string Int(int number, int64_t v) { return Key(number, 0) + Varint(uint64_t(v)); }
std::string MapEntry(int number, std::string_view k, std::string_view v) {
  return Bytes(number, Bytes(1, k) + Bytes(2, v));
}
// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}.
std::string Envelope(std::string_view api_version, std::string_view kind, std::string_view raw) {
  return std::string("k8s\0", 4) + Bytes(1, Bytes(1, api_version) + Bytes(2, kind)) +
         Bytes(2, raw) + Bytes(3, "") + Bytes(4, "");
}
// ObjectMeta as gogo-protobuf writes it for a Go struct with only a name: every non-pointer
// field present, empty.
std::string KubectlMeta(std::string_view name) {
  return Bytes(1, name) + Bytes(2, "") + Bytes(3, "") + Bytes(4, "") + Bytes(5, "") + Bytes(6, "") +
         Int(7, 0) + Bytes(8, "");
}

// The status code DecodeProtobufBody answers `body` with, and its message.
std::pair<int, std::string> Refusal(const std::string& body) {
  try {
    DecodeProtobufBody(body);
  } catch (const StatusError& e) {
    return {e.code(), e.what()};
  }
  return {0, ""};
}

TEST(Protobuf, KubectlCreateConfigMapAsSent) {
  // kubectl 1.32 `create configmap x --from-literal=a=b`, byte for byte (kubectl -v=8).
  const unsigned char sent[] = {0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12,
                                0x09, 0x43, 0x6f, 0x6e, 0x66, 0x69, 0x67, 0x4d, 0x61, 0x70, 0x12,
                                0x1b, 0x0a, 0x11, 0x0a, 0x01, 0x78, 0x12, 0x00, 0x1a, 0x00, 0x22,
                                0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x12, 0x06,
                                0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x1a, 0x00, 0x22, 0x00};
  std::string body(reinterpret_cast<const char*>(sent), sizeof sent);
  // generation is a non-pointer int64: Go sends its 0, and the store sets it as it does for
  // JSON bodies.
  EXPECT_EQ(DecodeProtobufBody(body), json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
            "metadata":{"name":"x","generation":0},"data":{"a":"b"}})"));
  // The hand encoder writes the same bytes.
  EXPECT_EQ(Envelope("v1", "ConfigMap", Bytes(1, KubectlMeta("x")) + MapEntry(2, "a", "b")), body);
}

TEST(Protobuf, EveryObjectMetaField) {
  std::string owner = Bytes(5, "apps/v1") + Bytes(1, "ReplicaSet") + Bytes(3, "rs") +
                      Bytes(4, "u-1") + Int(6, 1) + Int(7, 0);
  std::string managed = Bytes(1, "kubectl") + Bytes(2, "Update") + Bytes(3, "v1") +
                        Bytes(4, Int(1, 1700000000)) + Bytes(6, "FieldsV1") +
                        Bytes(7, Bytes(1, R"({"f:data":{}})")) + Bytes(8, "");
  std::string meta = Bytes(1, "n") + Bytes(2, "gen-") + Bytes(3, "ns") + Bytes(4, "/self") +
                     Bytes(5, "uid-1") + Bytes(6, "42") + Int(7, 3) +
                     Bytes(8, Int(1, 1700000000) + Int(2, 5)) + Bytes(9, Int(1, 1700000060)) +
                     Int(10, 30) + MapEntry(11, "app", "web") + MapEntry(11, "tier", "") +
                     MapEntry(12, "note", "hi") + Bytes(13, owner) + Bytes(14, "f/one") +
                     Bytes(14, "f/two") + Bytes(17, managed) + Bytes(99, "unknown, skipped") +
                     Int(98, 7);
  json got = DecodeProtobufBody(Envelope("v1", "ConfigMap", Bytes(1, meta)));
  EXPECT_EQ(got["metadata"], json::parse(R"({
    "name": "n", "generateName": "gen-", "namespace": "ns", "selfLink": "/self", "uid": "uid-1",
    "resourceVersion": "42", "generation": 3,
    "creationTimestamp": "2023-11-14T22:13:20Z", "deletionTimestamp": "2023-11-14T22:14:20Z",
    "deletionGracePeriodSeconds": 30,
    "labels": {"app": "web", "tier": ""}, "annotations": {"note": "hi"},
    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs",
                         "uid": "u-1", "controller": true, "blockOwnerDeletion": false}],
    "finalizers": ["f/one", "f/two"],
    "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                       "time": "2023-11-14T22:13:20Z", "fieldsType": "FieldsV1",
                       "fieldsV1": {"f:data": {}}}]
  })"))
      << got.dump(2);
}

TEST(Protobuf, ConfigMapBinaryDataIsBase64AndImmutableIsKept) {
  std::string raw = Bytes(1, KubectlMeta("bin")) +
                    MapEntry(3, "b", std::string("\x00\xff\xfe", 3)) + MapEntry(2, "t", "text") +
                    Int(4, 1);
  EXPECT_EQ(DecodeProtobufBody(Envelope("v1", "ConfigMap", raw)),
            json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
                "metadata":{"name":"bin","generation":0},"binaryData":{"b":"AP/+"},"data":{"t":"text"},"immutable":true})"));
}

TEST(Protobuf, SecretDataIsBase64) {
  // kubectl create secret generic: data as bytes, type "" (the server defaults it to Opaque).
  std::string raw = Bytes(1, KubectlMeta("s")) + MapEntry(2, "a", "b") +
                    MapEntry(2, "bin", std::string("\x01\x80", 2)) + Bytes(3, "") +
                    MapEntry(4, "plain", "text") + Int(5, 0);
  EXPECT_EQ(DecodeProtobufBody(Envelope("v1", "Secret", raw)),
            json::parse(R"({"apiVersion":"v1","kind":"Secret",
                "metadata":{"name":"s","generation":0},
                "data":{"a":"Yg==","bin":"AYA="},"stringData":{"plain":"text"},
                "immutable":false})"));
  json tls = DecodeProtobufBody(
      Envelope("v1", "Secret", Bytes(1, KubectlMeta("t")) + Bytes(3, "kubernetes.io/tls")));
  EXPECT_EQ(tls["type"], "kubernetes.io/tls");
}

TEST(Protobuf, Namespace) {
  // kubectl create namespace: an empty spec and a status with an empty phase, left to the
  // server to fill (as the JSON body's "spec":{} and "status":{} are).
  std::string sent = Bytes(1, KubectlMeta("ns1")) + Bytes(2, "") + Bytes(3, Bytes(1, ""));
  EXPECT_EQ(DecodeProtobufBody(Envelope("v1", "Namespace", sent)),
            json::parse(R"({"apiVersion":"v1","kind":"Namespace",
                "metadata":{"name":"ns1","generation":0},"spec":{},"status":{}})"));
  std::string full =
      Bytes(1, KubectlMeta("ns2")) + Bytes(2, Bytes(1, "kubernetes")) +
      Bytes(3, Bytes(1, "Terminating") +
                   Bytes(2, Bytes(1, "NamespaceDeletionContentFailure") + Bytes(2, "False") +
                                Bytes(4, Int(1, 0)) + Bytes(5, "R") + Bytes(6, "m")));
  EXPECT_EQ(DecodeProtobufBody(Envelope("v1", "Namespace", full)), json::parse(R"({
      "apiVersion":"v1","kind":"Namespace","metadata":{"name":"ns2","generation":0},
      "spec":{"finalizers":["kubernetes"]},
      "status":{"phase":"Terminating","conditions":[{"type":"NamespaceDeletionContentFailure",
        "status":"False","lastTransitionTime":"1970-01-01T00:00:00Z","reason":"R","message":"m"}]}
  })"));
}

TEST(Protobuf, ServiceAccount) {
  std::string raw = Bytes(1, KubectlMeta("sa")) + Bytes(2, Bytes(1, "Secret") + Bytes(3, "tok")) +
                    Bytes(3, Bytes(1, "regcred")) + Int(4, 0);
  EXPECT_EQ(DecodeProtobufBody(Envelope("v1", "ServiceAccount", raw)),
            json::parse(R"({"apiVersion":"v1","kind":"ServiceAccount",
                "metadata":{"name":"sa","generation":0},
                "secrets":[{"kind":"Secret","name":"tok"}],"imagePullSecrets":[{"name":"regcred"}],
                "automountServiceAccountToken":false})"));
}

TEST(Protobuf, Service) {
  // kubectl create service clusterip svc --tcp=80:8080, plus a named target port.
  std::string port = Bytes(1, "80-8080") + Bytes(2, "TCP") + Int(3, 80) +
                     Bytes(4, Int(1, 0) + Int(2, 8080) + Bytes(3, "")) + Int(5, 0);
  std::string named = Int(3, 443) + Bytes(4, Int(1, 1) + Int(2, 0) + Bytes(3, "https"));
  std::string spec = Bytes(1, port) + Bytes(1, named) + MapEntry(2, "app", "svc") + Bytes(3, "") +
                     Bytes(4, "ClusterIP") + Int(13, 0);
  std::string raw = Bytes(1, KubectlMeta("svc")) + Bytes(2, spec) + Bytes(3, Bytes(1, ""));
  // port is required: written even when 0; nodePort and publishNotReadyAddresses are kept as
  // sent (the store allocates a node port for 0 as for none).
  EXPECT_EQ(DecodeProtobufBody(Envelope("v1", "Service", raw)), json::parse(R"({
      "apiVersion":"v1","kind":"Service","metadata":{"name":"svc","generation":0},
      "spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080,
                        "nodePort":0},
                       {"port":443,"targetPort":"https"}],
              "selector":{"app":"svc"},"type":"ClusterIP","publishNotReadyAddresses":false},
      "status":{"loadBalancer":{}}})"));
  json no_port = DecodeProtobufBody(Envelope("v1", "Service", Bytes(2, Bytes(1, Int(3, 0)))));
  EXPECT_EQ(no_port["spec"]["ports"], json::parse(R"([{"port":0}])"));
}

TEST(Protobuf, DeleteOptionsOfAnyGroupVersion) {
  std::string raw = Int(1, 0) + Bytes(2, Bytes(1, "uid-1") + Bytes(2, "7")) +
                    Bytes(4, "Foreground") + Bytes(5, "All");
  json want = json::parse(R"({"gracePeriodSeconds":0,
      "preconditions":{"uid":"uid-1","resourceVersion":"7"},"propagationPolicy":"Foreground",
      "dryRun":["All"]})");
  for (std::string av : {"v1", "meta.k8s.io/v1", "apps/v1"}) {
    json got = DecodeProtobufBody(Envelope(av, "DeleteOptions", raw));
    EXPECT_EQ(got["apiVersion"], av);
    got.erase("apiVersion");
    got.erase("kind");
    EXPECT_EQ(got, want);
  }
}

TEST(Protobuf, Reviews) {
  std::string attrs = Bytes(1, "default") + Bytes(2, "list") + Bytes(5, "pods");
  EXPECT_EQ(DecodeProtobufBody(Envelope("authorization.k8s.io/v1", "SelfSubjectAccessReview",
                                        Bytes(1, KubectlMeta("")) + Bytes(2, Bytes(1, attrs)))),
            json::parse(R"({"apiVersion":"authorization.k8s.io/v1",
                "kind":"SelfSubjectAccessReview","metadata":{"generation":0},
                "spec":{"resourceAttributes":{"namespace":"default","verb":"list",
                        "resource":"pods"}}})"));
  EXPECT_EQ(DecodeProtobufBody(Envelope("authentication.k8s.io/v1", "SelfSubjectReview", "")),
            json::parse(R"({"apiVersion":"authentication.k8s.io/v1",
                "kind":"SelfSubjectReview"})"));
  json token = DecodeProtobufBody(
      Envelope("authentication.k8s.io/v1", "TokenRequest",
               Bytes(2, Bytes(1, "api") + Bytes(1, "vault") + Int(4, 600) +
                            Bytes(3, Bytes(1, "Pod") + Bytes(2, "v1") + Bytes(3, "p")))));
  EXPECT_EQ(token["spec"], json::parse(R"({"audiences":["api","vault"],"expirationSeconds":600,
      "boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p"}})"));
  json rules = DecodeProtobufBody(
      Envelope("authorization.k8s.io/v1", "SelfSubjectRulesReview", Bytes(2, Bytes(1, "kube"))));
  EXPECT_EQ(rules["spec"], json::parse(R"({"namespace":"kube"})"));
}

TEST(Protobuf, InvalidUtf8BecomesTheReplacementCharacter) {
  json got = DecodeProtobufBody(Envelope("v1", "ConfigMap",
                                         Bytes(1, KubectlMeta("x")) + MapEntry(2, "k",
                                                                               "a\xff"
                                                                               "b\xc3")));
  EXPECT_EQ(got["data"]["k"],
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd");
  EXPECT_NO_THROW(got.dump());
}

// What kubectl create deployment sends, decoded from the schema's message tables.
TEST(Protobuf, EveryServedKindDecodesFromTheSchema) {
  // ports[0].containerPort; resources.limits: map<string, Quantity> (the Quantity's string is
  // its field 1).
  std::string container = Bytes(1, "web") + Bytes(2, "nginx:1.27") + Bytes(6, Int(3, 8080)) +
                          Bytes(8, Bytes(1, Bytes(1, "cpu") + Bytes(2, Bytes(1, "500m"))));
  std::string pod_spec = Bytes(2, container) + Int(11, 0);  // hostNetwork: false
  std::string template_ =
      Bytes(1, Bytes(11, Bytes(1, "app") + Bytes(2, "web"))) + Bytes(2, pod_spec);
  std::string strategy =
      Bytes(1, "RollingUpdate") +
      Bytes(2, Bytes(1, Int(1, 1) + Bytes(3, "25%")) + Bytes(2, Int(1, 0) + Int(2, 2)));
  std::string spec = Int(1, 3) + Bytes(2, Bytes(1, Bytes(1, "app") + Bytes(2, "web"))) +
                     Bytes(3, template_) + Bytes(4, strategy);
  json got = DecodeProtobufBody(Envelope(
      "apps/v1", "Deployment", Bytes(1, KubectlMeta("web")) + Bytes(2, spec) + Bytes(3, "")));
  EXPECT_EQ(got["apiVersion"], "apps/v1");
  EXPECT_EQ(got["kind"], "Deployment");
  EXPECT_EQ(got["metadata"]["name"], "web");
  EXPECT_EQ(got["spec"]["replicas"], 3);
  EXPECT_EQ(got["spec"]["selector"], json::parse(R"({"matchLabels":{"app":"web"}})"));
  const json& c = got["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "nginx:1.27");
  EXPECT_EQ(c["ports"], json::parse(R"([{"containerPort":8080}])"));
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "500m");
  EXPECT_EQ(got["spec"]["template"]["spec"]["hostNetwork"], false);
  EXPECT_EQ(got["spec"]["strategy"]["rollingUpdate"],
            json::parse(R"({"maxUnavailable":"25%","maxSurge":2})"));
  EXPECT_EQ(got["status"], json::object());
}

TEST(Protobuf, AKindNotDecodedIs415NamingIt) {
  auto [code, message] =
      Refusal(Envelope("apps/v1beta1", "Deployment", Bytes(1, KubectlMeta("d"))));
  EXPECT_EQ(code, 415);
  EXPECT_THAT(message, HasSubstr("the body of the request was in an unknown format"));
  EXPECT_THAT(message, HasSubstr("not apps/v1beta1 Deployment"));
  // A known kind name in another group is another kind.
  auto [code2, message2] = Refusal(Envelope("example.com/v1", "ConfigMap", ""));
  EXPECT_EQ(code2, 415);
  EXPECT_THAT(message2, HasSubstr("not example.com/v1 ConfigMap"));
}

TEST(Protobuf, MalformedBodiesAre400NamingWhatIsWrong) {
  auto expect_400 = [](const std::string& body, const std::string& words) {
    auto [code, message] = Refusal(body);
    EXPECT_EQ(code, 400) << message;
    EXPECT_THAT(message, HasSubstr(words));
  };
  expect_400("", "does not start with the \"k8s\\x00\" prefix");
  expect_400("{\"kind\":\"ConfigMap\"}", "does not start with");
  expect_400(std::string("k8s\0", 4), "has no kind");
  expect_400(std::string("k8s\0", 4) + Bytes(1, Bytes(1, "v1")), "has no kind");
  expect_400(std::string("k8s\0", 4) + "\x0a\x05\x0a\x02v1",
             "the protobuf envelope is malformed: runtime.Unknown: field 1 at byte 0 is 5 bytes "
             "long, but only 4 bytes follow");
  expect_400(std::string("k8s\0", 4) + "\x0a", "runtime.Unknown: truncated length of field 1");
  expect_400(std::string("k8s\0", 4) + "\x0b", "field 1 at byte 0 has wire type 3");
  expect_400(std::string("k8s\0", 4) + Int(1, 5), "runtime.Unknown.typeMeta: wire type 0");
  // Inside the object: the path of the field names where.
  expect_400(Envelope("v1", "ConfigMap", Bytes(1, Int(1, 7))),
             "the protobuf ConfigMap in the body is malformed: metadata.name: wire type 0 "
             "(varint), expected length-delimited");
  expect_400(Envelope("v1", "Secret", Bytes(1, KubectlMeta("s")) + Bytes(2, "\x0a\x09k")),
             "the protobuf Secret in the body is malformed: data: field 1 at byte 0 is 9 bytes");
  expect_400(Envelope("v1", "ConfigMap", Bytes(1, std::string("\x00\x01", 2))),
             "metadata: field number 0");
  expect_400(Envelope("v1", "ConfigMap", Bytes(1, Int(7, 1) + "\x88")),
             "metadata: truncated field key at byte 2");
  expect_400(Envelope("v1", "ConfigMap", Bytes(1, Bytes(8, Int(1, -70000000000)))),
             "metadata.creationTimestamp: -70000000000 seconds is outside");
  expect_400(Envelope("v1", "ConfigMap", Bytes(1, Bytes(17, Bytes(7, Bytes(1, "{not json"))))),
             "metadata.managedFields.fieldsV1: the embedded object is not JSON");
}

TEST(Protobuf, NoBodyEndsInAnythingButADecodeOr400) {
  // Every truncation and many single-byte changes of a body with every ObjectMeta field.
  std::string meta = Bytes(1, "n") + Int(7, 3) + Bytes(8, Int(1, 1700000000)) + Int(10, 30) +
                     MapEntry(11, "app", "web") + Bytes(13, Bytes(1, "RS") + Int(6, 1)) +
                     Bytes(14, "f") + Bytes(17, Bytes(7, Bytes(1, "{}")));
  std::vector<std::string> bodies = {
      Envelope("v1", "ConfigMap", Bytes(1, meta) + MapEntry(3, "b", "\x01") + Int(4, 1)),
      Envelope("v1", "Secret", Bytes(1, meta) + MapEntry(2, "k", "v") + Bytes(3, "Opaque")),
      Envelope("v1", "Service",
               Bytes(1, meta) + Bytes(2, Bytes(1, Int(3, 80) + Bytes(4, Int(2, 8))))),
      Envelope("v1", "Namespace", Bytes(1, meta) + Bytes(2, Bytes(1, "kubernetes")))};
  std::mt19937 rng(7);
  int decoded = 0, refused = 0;
  for (const std::string& body : bodies) {
    std::vector<std::string> variants;
    for (size_t n = 0; n < body.size(); ++n) variants.push_back(body.substr(0, n));
    for (int i = 0; i < 500; ++i) {
      std::string v = body;
      v[rng() % v.size()] = static_cast<char>(rng() % 256);
      variants.push_back(v);
    }
    for (const std::string& v : variants) {
      try {
        json j = DecodeProtobufBody(v);
        j.dump();
        ++decoded;
      } catch (const StatusError& e) {
        EXPECT_TRUE(e.code() == 400 || e.code() == 415) << e.code() << " " << e.what();
        ++refused;
      }
    }
  }
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

TEST(Protobuf, ContentType) {
  EXPECT_TRUE(IsProtobufContentType("application/vnd.kubernetes.protobuf"));
  EXPECT_TRUE(IsProtobufContentType("application/vnd.kubernetes.protobuf; charset=utf-8"));
  EXPECT_TRUE(IsProtobufContentType("application/vnd.kubernetes.protobuf;stream=watch"));
  EXPECT_FALSE(IsProtobufContentType("application/vnd.kubernetes.protobufx"));
  EXPECT_FALSE(IsProtobufContentType("application/json"));
}

// Over HTTPS, as kubectl sends them.
constexpr char kProtobuf[] = "application/vnd.kubernetes.protobuf";

TEST(ProtobufOverHttps, CreateUpdateAndDeleteAConfigMap) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  const char* path = "/api/v1/namespaces/default/configmaps";
  auto created = c->Post(
      path,
      Envelope("v1", "ConfigMap",
               Bytes(1, KubectlMeta("pb") + MapEntry(11, "app", "web")) + MapEntry(2, "a", "b")),
      kProtobuf);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  json got = testing::Body(c->Get("/api/v1/namespaces/default/configmaps/pb"));
  EXPECT_EQ(got["data"], json({{"a", "b"}}));
  EXPECT_EQ(got["metadata"]["labels"], json({{"app", "web"}}));
  std::string uid = got["metadata"]["uid"];

  auto updated = c->Put(
      "/api/v1/namespaces/default/configmaps/pb",
      Envelope("v1", "ConfigMap", Bytes(1, KubectlMeta("pb")) + MapEntry(2, "a", "c") + Int(4, 1)),
      kProtobuf);
  ASSERT_EQ(updated->status, 200) << updated->body;
  got = testing::Body(c->Get("/api/v1/namespaces/default/configmaps/pb"));
  EXPECT_EQ(got["data"], json({{"a", "c"}}));
  EXPECT_EQ(got["immutable"], true);

  // DeleteOptions as protobuf: a precondition on another uid is a conflict.
  auto conflict =
      c->Delete("/api/v1/namespaces/default/configmaps/pb",
                Envelope("v1", "DeleteOptions", Bytes(2, Bytes(1, "other-uid"))), kProtobuf);
  EXPECT_EQ(conflict->status, 409) << conflict->body;
  auto deleted = c->Delete("/api/v1/namespaces/default/configmaps/pb",
                           Envelope("v1", "DeleteOptions", Bytes(2, Bytes(1, uid))), kProtobuf);
  EXPECT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(c->Get("/api/v1/namespaces/default/configmaps/pb")->status, 404);
}

// What kubectl create service nodeport|namespace and a client-go Update of a Deployment scaled to
// zero send: the Go zero values of non-pointer fields, which the server reads as fields left out,
// and a pointer's zero, which it keeps.
TEST(ProtobufOverHttps, ZeroValuesAreReadAsKubeApiserverReadsThem) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  // kubectl create service nodeport np --tcp=80: nodePort 0 and targetPort 0 ask for defaults.
  std::string port = Bytes(1, "80") + Bytes(2, "TCP") + Int(3, 80) +
                     Bytes(4, Int(1, 0) + Int(2, 0) + Bytes(3, "")) + Int(5, 0);
  std::string spec = Bytes(1, port) + MapEntry(2, "app", "np") + Bytes(3, "") +
                     Bytes(4, "NodePort") + Bytes(7, "") + Int(12, 0) + Int(13, 0);
  auto svc =
      c->Post("/api/v1/namespaces/default/services",
              Envelope("v1", "Service",
                       Bytes(1, KubectlMeta("np")) + Bytes(2, spec) + Bytes(3, Bytes(1, ""))),
              kProtobuf);
  ASSERT_EQ(svc->status, 201) << svc->body;
  json got = testing::Body(svc)["spec"]["ports"][0];
  EXPECT_GE(got["nodePort"].get<int>(), 30000) << got.dump();
  EXPECT_EQ(got["targetPort"], 80);

  // kubectl create namespace: an empty spec still gets the kubernetes finalizer.
  auto ns =
      c->Post("/api/v1/namespaces",
              Envelope("v1", "Namespace",
                       Bytes(1, KubectlMeta("pb-ns")) + Bytes(2, "") + Bytes(3, Bytes(1, ""))),
              kProtobuf);
  ASSERT_EQ(ns->status, 201) << ns->body;
  EXPECT_EQ(testing::Body(ns)["spec"], json::parse(R"({"finalizers":["kubernetes"]})"));
  EXPECT_EQ(testing::Body(ns)["status"]["phase"], "Active");
  EXPECT_EQ(testing::Body(ns)["metadata"].count("generation"), 0u);

  // replicas is a *int32: its 0 stays 0 (not the default 1); maxUnavailable (*IntOrString) 0
  // stays 0.
  std::string container = Bytes(1, "web") + Bytes(2, "nginx");
  std::string tmpl =
      Bytes(1, Bytes(11, Bytes(1, "app") + Bytes(2, "web"))) + Bytes(2, Bytes(2, container));
  std::string dspec =
      Int(1, 0) + Bytes(2, Bytes(1, Bytes(1, "app") + Bytes(2, "web"))) + Bytes(3, tmpl) +
      Bytes(4, Bytes(1, "RollingUpdate") + Bytes(2, Bytes(1, Int(1, 0) + Int(2, 0)) +
                                                        Bytes(2, Int(1, 1) + Bytes(3, "50%")))) +
      Int(5, 0) + Int(7, 0);
  auto d = c->Post("/apis/apps/v1/namespaces/default/deployments",
                   Envelope("apps/v1", "Deployment",
                            Bytes(1, KubectlMeta("zero")) + Bytes(2, dspec) + Bytes(3, "")),
                   kProtobuf);
  ASSERT_EQ(d->status, 201) << d->body;
  json dep = testing::Body(d);
  EXPECT_EQ(dep["spec"]["replicas"], 0);
  EXPECT_EQ(dep["spec"]["strategy"]["rollingUpdate"],
            json::parse(R"({"maxUnavailable":0,"maxSurge":"50%"})"));
  EXPECT_EQ(dep["metadata"]["generation"], 1);
}

TEST(ProtobufOverHttps, APatchInProtobufIs415) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  auto r = c->Patch("/api/v1/namespaces/default/configmaps/any",
                    Envelope("v1", "ConfigMap", Bytes(1, KubectlMeta("any"))), kProtobuf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415) << r->body;
  EXPECT_EQ(testing::Body(r)["message"],
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml, application/strategic-merge-patch+json");
}

// Answers to Accept: application/vnd.kubernetes.protobuf (what client-go's typed clients
// configured for protobuf send): the object, the list, errors, discovery and watch events decode
// to what the JSON answer says.
TEST(ProtobufOverHttps, AnswersInProtobuf) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  const httplib::Headers pb = {{"Accept", kProtobuf}};
  const char* path = "/api/v1/namespaces/default/configmaps";
  ASSERT_EQ(c->Post(path, R"({"metadata":{"name":"a","labels":{"x":"y"}},"data":{"k":"v"},
                              "binaryData":{"b":"AP8="}})",
                    "application/json")
                ->status,
            201);
  auto as_protobuf = [&](const std::string& p) {
    auto r = c->Get(p, pb);
    EXPECT_TRUE(r);
    EXPECT_EQ(r->get_header_value("Content-Type"), kProtobuf) << p;
    EXPECT_EQ(r->body.substr(0, 4), std::string("k8s\0", 4)) << p;
    return DecodeProtobufBody(r->body);
  };
  json want = testing::Body(c->Get(std::string(path) + "/a"));
  EXPECT_EQ(as_protobuf(std::string(path) + "/a"), want);

  json list = as_protobuf(path);
  EXPECT_EQ(list["kind"], "ConfigMapList");
  json json_list = testing::Body(c->Get(path));
  ASSERT_EQ(list["items"].size(), json_list["items"].size());
  for (size_t i = 0; i < list["items"].size(); ++i) {
    json item = json_list["items"][i];
    item.erase("apiVersion");
    item.erase("kind");
    EXPECT_EQ(list["items"][i], item);
  }
  EXPECT_EQ(list["metadata"], json_list["metadata"]);

  // An error is a Status in protobuf.
  auto missing = c->Get(std::string(path) + "/nope", pb);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Content-Type"), kProtobuf);
  json status = DecodeProtobufBody(missing->body);
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["code"], 404);

  // Legacy discovery.
  json resources = as_protobuf("/api/v1");
  EXPECT_EQ(resources["kind"], "APIResourceList");
  EXPECT_EQ(resources["groupVersion"], "v1");
  EXPECT_EQ(resources["resources"], testing::Body(c->Get("/api/v1"))["resources"]);

  // A watch: length-prefixed WatchEvents whose objects are envelopes.
  auto w = c->Get(std::string(path) + "?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3Da",
                  {{"Accept", "application/vnd.kubernetes.protobuf;stream=watch"}});
  ASSERT_TRUE(w);
  ASSERT_EQ(w->status, 200) << DecodeProtobufBody(w->body).dump();
  EXPECT_EQ(w->get_header_value("Content-Type"), kProtobufWatchContentType);
  std::string_view stream = w->body;
  ASSERT_GT(stream.size(), 4u);
  uint32_t size = 0;
  for (int i = 0; i < 4; ++i) size = size << 8 | static_cast<unsigned char>(stream[i]);
  ASSERT_EQ(size + 4, stream.size());
  // The WatchEvent message in an envelope, for the body decoder.
  std::string event = Envelope("v1", "WatchEvent", stream.substr(4));
  json decoded = DecodeProtobufBody(event);
  EXPECT_EQ(decoded["type"], "ADDED");
  EXPECT_EQ(decoded["object"], want);
}

TEST(ProtobufOverHttps, RefusalsAreStatusesAndStoreNothing) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  const char* path = "/api/v1/namespaces/default/configmaps";
  auto expect = [&](const std::string& body, int code, const std::string& reason,
                    const std::string& words) {
    auto r = c->Post(path, body, kProtobuf);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, code) << r->body;
    json status = testing::Body(r);
    EXPECT_EQ(status["kind"], "Status");
    EXPECT_EQ(status["reason"], reason);
    EXPECT_THAT(status["message"].get<std::string>(), HasSubstr(words));
  };
  expect(Envelope("example.com/v1", "Widget", Bytes(1, KubectlMeta("x"))), 415,
         "UnsupportedMediaType", "not example.com/v1 Widget");
  expect("k8s", 400, "BadRequest", "\"k8s\\x00\" prefix");
  expect(Envelope("v1", "ConfigMap", Bytes(1, Int(1, 1))), 400, "BadRequest",
         "metadata.name: wire type 0");
  expect(Envelope("v1", "Secret", Bytes(1, KubectlMeta("x"))), 400, "BadRequest",
         "the kind in the data (\"Secret\") does not match the expected kind (ConfigMap)");
  json list = testing::Body(c->Get(path));
  for (const auto& item : list["items"]) EXPECT_NE(item["metadata"]["name"], "x");
  // The reviews refuse the same way.
  auto r = c->Post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                   std::string("k8s\0\x0a\x09", 6), kProtobuf);
  EXPECT_EQ(r->status, 400) << r->body;
}

}  // namespace
}  // namespace kubedouble::fake
