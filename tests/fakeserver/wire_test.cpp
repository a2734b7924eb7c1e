// The wire as kube-apiserver speaks it (issue 15): content negotiation (406, 415), YAML and
// indented JSON, Table includeObject, PartialObjectMetadata, 405 for writes of a collection,
// DELETE answers, and the headers every answer carries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "client.h"

namespace kubedouble::testing {
namespace {

constexpr char kConfigMaps[] = "/api/v1/namespaces/default/configmaps";

httplib::Headers Accept(const std::string& accept) { return {{"Accept", accept}}; }

TEST(Negotiation, XmlIsNotAcceptableAsKubeApiserverWordsIt) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Get(kConfigMaps, Accept("application/xml"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 406);
  json s = Body(r);
  EXPECT_EQ(s["reason"], "NotAcceptable");
  EXPECT_EQ(s["message"],
            "only the following media types are accepted: application/json, application/yaml, "
            "application/vnd.kubernetes.protobuf");
  // A later range that the server has is taken; a q=0.5 JSON loses to nothing.
  EXPECT_EQ(c->Get(kConfigMaps, Accept("application/xml, application/json;q=0.5"))->status, 200);
  // A watch cannot be YAML: the stream media types are named.
  auto w = c->Get(std::string(kConfigMaps) + "?watch=1", Accept("application/yaml"));
  EXPECT_EQ(w->status, 406);
  EXPECT_THAT(w->body, ::testing::HasSubstr("application/json;stream=watch, "
                                            "application/vnd.kubernetes.protobuf;stream=watch"));
  // Discovery is negotiated too.
  EXPECT_EQ(c->Get("/api/v1", Accept("text/html"))->status, 406);
}

TEST(Negotiation, UnknownBodyTypeIsUnsupportedMediaType) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Post(kConfigMaps, R"({"metadata":{"name":"a"}})", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  json s = Body(r);
  EXPECT_EQ(s["reason"], "UnsupportedMediaType");
  EXPECT_EQ(s["message"],
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml, application/vnd.kubernetes.protobuf");
  // A charset parameter is fine.
  EXPECT_EQ(c->Post(kConfigMaps, R"({"metadata":{"name":"b"}})", "application/json; charset=utf-8")
                ->status,
            201);
}

TEST(Negotiation, YamlAnswersAndYamlErrors) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto r = c->Get("/api/v1/namespaces/default/serviceaccounts/default", Accept("application/yaml"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/yaml");
  EXPECT_THAT(r->body, ::testing::StartsWith("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n"));
  // Timestamps and numbers in strings are quoted, as go-yaml writes them.
  EXPECT_THAT(r->body, ::testing::ContainsRegex("\n  creationTimestamp: \"[0-9-]+T[0-9:]+Z\"\n"));
  EXPECT_THAT(r->body, ::testing::ContainsRegex("\n  resourceVersion: \"[0-9]+\"\n"));
  auto missing = c->Get(std::string(kConfigMaps) + "/nope", Accept("application/yaml"));
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Content-Type"), "application/yaml");
  EXPECT_THAT(missing->body, ::testing::HasSubstr("\nreason: NotFound\n"));
}

TEST(Negotiation, PrettyForCurlAndPrettyTrueCompactOtherwise) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto compact = c->Get(kConfigMaps);
  EXPECT_EQ(compact->body.find('\n'), std::string::npos);
  auto curl = c->Get(kConfigMaps, {{"User-Agent", "curl/7.88.1"}});
  EXPECT_THAT(curl->body, ::testing::StartsWith("{\n  \"apiVersion\": \"v1\",\n"));
  EXPECT_EQ(Body(curl), Body(compact));
  auto asked = c->Get(std::string(kConfigMaps) + "?pretty=true");
  EXPECT_THAT(asked->body, ::testing::StartsWith("{\n  "));
  auto refused = c->Get(std::string(kConfigMaps) + "?pretty=false", {{"User-Agent", "curl/8"}});
  EXPECT_EQ(refused->body.find('\n'), std::string::npos);
  // Errors too, and /version always.
  auto error = c->Get(std::string(kConfigMaps) + "/nope", {{"User-Agent", "Wget/1.21"}});
  EXPECT_THAT(error->body, ::testing::StartsWith("{\n  \"apiVersion\": \"v1\",\n"));
  EXPECT_THAT(c->Get("/version")->body, ::testing::StartsWith("{\n  \"major\": \"1\",\n"));
}

TEST(Transforms, TableIncludeObject) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  const auto table = Accept("application/json;as=Table;g=meta.k8s.io;v=v1");
  json meta = Body(c->Get(kConfigMaps, table));
  ASSERT_FALSE(meta["rows"].empty());
  EXPECT_EQ(meta["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_FALSE(meta["rows"][0]["object"].contains("data"));
  json object = Body(c->Get(std::string(kConfigMaps) + "?includeObject=Object", table));
  EXPECT_EQ(object["rows"][0]["object"]["kind"], "ConfigMap");
  EXPECT_EQ(object["rows"][0]["object"]["apiVersion"], "v1");
  EXPECT_TRUE(object["rows"][0]["object"].contains("data"));
  json none = Body(c->Get(std::string(kConfigMaps) + "?includeObject=None", table));
  EXPECT_TRUE(none["rows"][0]["object"].is_null());
  auto bad = c->Get(std::string(kConfigMaps) + "?includeObject=All", table);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(Body(bad)["message"],
            "Unable to convert to Table as requested: includeObject: Invalid value: \"All\": must "
            "be 'Metadata', 'Object', 'None', or empty");
  // v1beta1 Tables, and their rows' metadata, say so.
  json beta =
      Body(c->Get(kConfigMaps, Accept("application/json;as=Table;g=meta.k8s.io;v=v1beta1")));
  EXPECT_EQ(beta["apiVersion"], "meta.k8s.io/v1beta1");
  EXPECT_EQ(beta["rows"][0]["object"]["apiVersion"], "meta.k8s.io/v1beta1");
  // No Table in protobuf: the next range decides.
  json fallback = Body(c->Get(
      kConfigMaps,
      Accept("application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1,application/json")));
  EXPECT_EQ(fallback["kind"], "ConfigMapList");
}

TEST(Transforms, PartialObjectMetadataForGetListAndWatch) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  const std::string list_accept =
      "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
      "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
  json list = Body(c->Get(kConfigMaps, Accept("application/json;as=PartialObjectMetadataList;"
                                              "g=meta.k8s.io;v=v1")));
  EXPECT_EQ(list["kind"], "PartialObjectMetadataList");
  EXPECT_EQ(list["apiVersion"], "meta.k8s.io/v1");
  EXPECT_FALSE(list["metadata"]["resourceVersion"].get<std::string>().empty());
  ASSERT_FALSE(list["items"].empty());
  EXPECT_EQ(list["items"][0]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(list["items"][0]["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "kube-root-ca.crt");
  EXPECT_FALSE(list["items"][0].contains("data"));
  json one =
      Body(c->Get(std::string(kConfigMaps) + "/kube-root-ca.crt",
                  Accept("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1")));
  EXPECT_EQ(one["kind"], "PartialObjectMetadata");
  EXPECT_EQ(one["apiVersion"], "meta.k8s.io/v1beta1");
  EXPECT_EQ(one["metadata"]["name"], "kube-root-ca.crt");
  EXPECT_FALSE(one.contains("data"));
  auto wrong =
      c->Get(kConfigMaps, Accept("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"));
  EXPECT_EQ(wrong->status, 406);
  EXPECT_EQ(Body(wrong)["message"],
            "you requested PartialObjectMetadata, but the requested object is a list "
            "(*core.ConfigMapList)");
  // A watch: every event's object is metadata only.
  auto w = c->Get(std::string(kConfigMaps) + "?watch=1&timeoutSeconds=1",
                  Accept("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->get_header_value("Content-Type"), "application/json");
  json event = json::parse(w->body.substr(0, w->body.find('\n')));
  EXPECT_EQ(event["type"], "ADDED");
  EXPECT_EQ(event["object"]["kind"], "PartialObjectMetadata");
  EXPECT_FALSE(event["object"].contains("data"));
  (void)list_accept;
}

TEST(Wire, PutOrPatchOfACollectionIsMethodNotAllowed) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto put = c->Put(kConfigMaps, "{}", "application/json");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  EXPECT_EQ(Body(put)["reason"], "MethodNotAllowed");
  auto patch = c->Patch(kConfigMaps, "{}", "application/merge-patch+json");
  EXPECT_EQ(patch->status, 405);
}

TEST(Wire, DeleteAnswersAStatusOrTheObjectAsUpstream) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  ASSERT_EQ(c->Post(kConfigMaps, R"({"metadata":{"name":"gone"}})", "application/json")->status,
            201);
  auto cm = c->Delete(std::string(kConfigMaps) + "/gone");
  EXPECT_EQ(cm->status, 200);
  json status = Body(cm);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["status"], "Success");
  EXPECT_EQ(status["details"]["name"], "gone");
  EXPECT_EQ(status["details"]["kind"], "configmaps");
  EXPECT_FALSE(status["details"].contains("group"));
  EXPECT_FALSE(status["details"]["uid"].get<std::string>().empty());
  json dep = {{"metadata", {{"name", "web"}}},
              {"spec",
               {{"selector", {{"matchLabels", {{"app", "web"}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", "web"}}}}},
                  {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}}}}};
  ASSERT_EQ(c->Post("/apis/apps/v1/namespaces/default/deployments", dep.dump(), "application/json")
                ->status,
            201);
  json apps = Body(c->Delete("/apis/apps/v1/namespaces/default/deployments/web"));
  EXPECT_EQ(apps["details"]["group"], "apps");
  EXPECT_EQ(apps["details"]["kind"], "deployments");
  // Pods answer with the object itself.
  json pod = {{"metadata", {{"name", "p"}}},
              {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}};
  ASSERT_EQ(c->Post("/api/v1/namespaces/default/pods", pod.dump(), "application/json")->status,
            201);
  json deleted = Body(c->Delete("/api/v1/namespaces/default/pods/p"));
  EXPECT_EQ(deleted["kind"], "Pod");
  EXPECT_EQ(deleted["metadata"]["name"], "p");
}

TEST(Wire, EveryAnswerCarriesAuditIdCacheControlAndFlowControlUids) {
  fake::TestServer srv;
  auto admin = Client(srv, AdminToken(srv));
  auto user = Client(srv, UserToken(srv));
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  auto a = admin->Get(kConfigMaps);
  auto b = admin->Get("/api/v1/namespaces/default/pods");
  auto u = user->Get(kConfigMaps);  // 403
  ASSERT_TRUE(a && b && u);
  EXPECT_EQ(u->status, 403);
  for (const auto* r : {&a.value(), &b.value(), &u.value()}) {
    EXPECT_TRUE(std::regex_match(r->get_header_value("Audit-Id"), uuid));
    EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache, private");
    EXPECT_TRUE(std::regex_match(r->get_header_value("X-Kubernetes-Pf-Flowschema-Uid"), uuid));
    EXPECT_TRUE(std::regex_match(r->get_header_value("X-Kubernetes-Pf-Prioritylevel-Uid"), uuid));
  }
  EXPECT_NE(a->get_header_value("Audit-Id"), b->get_header_value("Audit-Id"));
  // The same flow schema for the same kind of user; system:masters is exempt, others not.
  EXPECT_EQ(a->get_header_value("X-Kubernetes-Pf-Flowschema-Uid"),
            b->get_header_value("X-Kubernetes-Pf-Flowschema-Uid"));
  EXPECT_NE(a->get_header_value("X-Kubernetes-Pf-Flowschema-Uid"),
            u->get_header_value("X-Kubernetes-Pf-Flowschema-Uid"));
  // Unauthenticated: no classification, but an audit id.
  auto anon = Client(srv)->Get(kConfigMaps);
  EXPECT_EQ(anon->status, 401);
  EXPECT_TRUE(std::regex_match(anon->get_header_value("Audit-Id"), uuid));
  EXPECT_FALSE(anon->has_header("X-Kubernetes-Pf-Flowschema-Uid"));
  // The journal names each request by its audit id.
  auto entries = srv.journal().Entries();
  bool found = false;
  for (const auto& e : entries) found |= e.audit_id == a->get_header_value("Audit-Id");
  EXPECT_TRUE(found);
}

TEST(Wire, DeprecatedVersionsAnswerWithAWarning) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto cs = c->Get("/api/v1/componentstatuses");
  ASSERT_TRUE(cs);
  EXPECT_EQ(cs->get_header_value("Warning"),
            "299 - \"v1 ComponentStatus is deprecated in v1.19+\"");
  EXPECT_FALSE(c->Get(kConfigMaps)->has_header("Warning"));
  auto version = [](const char* name, bool deprecated) {
    json v = {{"name", name},
              {"served", true},
              {"storage", std::string(name) == "v1"},
              {"schema",
               {{"openAPIV3Schema",
                 {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}};
    if (deprecated) v["deprecated"] = true;
    return v;
  };
  json crd = CronTabCrd(
      json::array({version("v1alpha1", true), version("v1beta1", false), version("v1", false)}));
  crd["spec"]["versions"][1]["deprecated"] = true;
  crd["spec"]["versions"][1]["deprecationWarning"] = "beta is going away";
  ASSERT_EQ(c->Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd.dump(),
                    "application/json")
                ->status,
            201);
  EXPECT_EQ(c->Get("/apis/stable.example.com/v1alpha1/namespaces/default/crontabs")
                ->get_header_value("Warning"),
            "299 - \"stable.example.com/v1alpha1 CronTab is deprecated; use stable.example.com/v1 "
            "CronTab\"");
  EXPECT_EQ(c->Get("/apis/stable.example.com/v1beta1/namespaces/default/crontabs")
                ->get_header_value("Warning"),
            "299 - \"beta is going away\"");
  EXPECT_FALSE(
      c->Get("/apis/stable.example.com/v1/namespaces/default/crontabs")->has_header("Warning"));
}

// The first line of a watch from `rv` (it ends within a second).
json FirstWatchEvent(httplib::SSLClient& c, const std::string& rv) {
  auto w = c.Get(std::string(kConfigMaps) + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv);
  if (!w || w->body.empty()) return nullptr;
  return json::parse(w->body.substr(0, w->body.find('\n')), nullptr, false);
}

TEST(Compaction, FollowsTheFakeClock) {
  fake::ServerOptions o;
  o.clock = fake::ClockMode::kFake;
  fake::TestServer srv(o);
  auto c = Client(srv, AdminToken(srv));
  auto created = c->Post(kConfigMaps, R"({"metadata":{"name":"old"}})", "application/json");
  ASSERT_EQ(created->status, 201);
  const std::string before = std::to_string(
      std::stoll(Body(created)["metadata"]["resourceVersion"].get<std::string>()) - 1);
  EXPECT_EQ(FirstWatchEvent(*c, before)["type"], "ADDED");  // the history has it
  ASSERT_EQ(c->Post("/__kubedouble/clock", R"({"advance":"6m"})", "application/json")->status, 200);
  json gone = FirstWatchEvent(*c, before);
  EXPECT_EQ(gone["type"], "ERROR");
  EXPECT_EQ(gone["object"]["code"], 410);
  EXPECT_EQ(gone["object"]["reason"], "Expired");
  EXPECT_THAT(gone["object"]["message"].get<std::string>(),
              ::testing::StartsWith("too old resource version: " + before + " ("));
}

TEST(Compaction, AdminEndpointCompactsNow) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  auto created = c->Post(kConfigMaps, R"({"metadata":{"name":"a"}})", "application/json");
  const std::string rv = Body(created)["metadata"]["resourceVersion"];
  const std::string before = std::to_string(std::stoll(rv) - 1);
  auto compact = c->Post("/__kubedouble/compact", "", "application/json");
  ASSERT_EQ(compact->status, 200) << compact->body;
  EXPECT_EQ(Body(compact)["compacted"], rv);
  EXPECT_EQ(FirstWatchEvent(*c, before)["object"]["code"], 410);
  auto bad = c->Post("/__kubedouble/compact", R"({"resourceVersion":5})", "application/json");
  EXPECT_EQ(bad->status, 400);
  // Not for ordinary users.
  EXPECT_EQ(
      Client(srv, UserToken(srv))->Post("/__kubedouble/compact", "", "application/json")->status,
      403);
}

TEST(Wire, JsonWatchSaysApplicationJson) {
  fake::TestServer srv;
  auto c = Client(srv, AdminToken(srv));
  httplib::Headers h = {{"Accept-Encoding", "gzip"}};
  auto w = c->Get(std::string(kConfigMaps) + "?watch=1&timeoutSeconds=1", h);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(w->has_header("Content-Encoding"));  // never gzipped, as kube-apiserver
  EXPECT_THAT(w->body, ::testing::StartsWith(R"({"object":{)"));
}

}  // namespace
}  // namespace kubedouble::testing
