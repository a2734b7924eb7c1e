// Custom resources against their CRD's structural schema: validation with upstream's wording,
// pruning of undeclared fields, schema defaults, and CRDs whose schema is not structural.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A CronTab CRD whose v1 schema declares spec with typed, constrained fields.
json CronTabCrd(json spec_schema, bool status_subresource = false) {
  json version = {
      {"name", "v1"},
      {"served", true},
      {"storage", true},
      {"schema",
       {{"openAPIV3Schema",
         {{"type", "object"},
          {"properties",
           {{"spec", std::move(spec_schema)},
            {"status", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}};
  if (status_subresource) version["subresources"] = {{"status", json::object()}};
  return {{"metadata", {{"name", "crontabs.stable.example.com"}}},
          {"spec",
           {{"group", "stable.example.com"},
            {"scope", "Namespaced"},
            {"names", {{"plural", "crontabs"}, {"kind", "CronTab"}}},
            {"versions", {version}}}}};
}

json TypedSpec() {
  return json::parse(R"({"type":"object","required":["cronSpec"],"properties":{
    "cronSpec":{"type":"string","minLength":3,"maxLength":20,"pattern":"^[0-9*/ ,-]+$"},
    "replicas":{"type":"integer","format":"int32","minimum":1,"maximum":10,"default":1},
    "colour":{"type":"string","enum":["red","green"]},
    "when":{"type":"string","format":"date-time"},
    "ratio":{"type":"number","exclusiveMaximum":true,"maximum":1},
    "port":{"x-kubernetes-int-or-string":true},
    "tags":{"type":"array","maxItems":2,"items":{"type":"string"}},
    "labels":{"type":"object","additionalProperties":{"type":"string"},"maxProperties":2},
    "note":{"type":"string","nullable":true},
    "policy":{"type":"object","default":{},"properties":{
      "mode":{"type":"string","default":"Allow"},"extra":{"type":"object",
        "x-kubernetes-preserve-unknown-fields":true}}},
    "template":{"type":"object","x-kubernetes-embedded-resource":true,
      "properties":{"spec":{"type":"object","properties":{"image":{"type":"string"}}}}}}})");
}

class CrdSchemaTest : public StoreTest {
 protected:
  ResourceInfo CronTabs(bool status_subresource = false) {
    store_->Create(crds_, "", CronTabCrd(TypedSpec(), status_subresource));
    return *registry_->Find("stable.example.com", "v1", "crontabs");
  }
  static json CronTab(json spec) {
    return {{"metadata", {{"name", "c1"}}}, {"spec", std::move(spec)}};
  }
  // The message of the 422 creating a CronTab with `spec` answers.
  std::string Invalid(const ResourceInfo& res, json spec) {
    auto e = Error([&] { store_->Create(res, "default", CronTab(std::move(spec))); });
    EXPECT_EQ(e.code(), 422) << e.what();
    return e.what();
  }
};

TEST_F(CrdSchemaTest, WrongTypesAre422WithUpstreamWording) {
  auto res = CronTabs();
  EXPECT_EQ(Invalid(res, {{"cronSpec", "* * *"}, {"replicas", "three"}}),
            "CronTab.stable.example.com \"c1\" is invalid: spec.replicas: Invalid value: "
            "\"string\": spec.replicas in body must be of type integer: \"string\"");
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"replicas", 1.5}}),
              HasSubstr("spec.replicas in body must be of type integer: \"number\""));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"port", true}}),
              HasSubstr("spec.port: Invalid value: \"boolean\": spec.port in body must be of "
                        "type integer,string: \"boolean\""));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"tags", {"a", 1}}}),
              HasSubstr("spec.tags[1]: Invalid value: \"integer\": spec.tags[1] in body must be "
                        "of type string: \"integer\""));
  // int-or-string takes both; nullable takes null.
  auto ok = store_->Create(res, "default",
                           CronTab({{"cronSpec", "* * *"}, {"port", "http"}, {"note", nullptr}}));
  EXPECT_EQ(ok["spec"]["port"], "http");
  EXPECT_TRUE(ok["spec"]["note"].is_null());
}

TEST_F(CrdSchemaTest, ValueConstraintsAre422) {
  auto res = CronTabs();
  EXPECT_THAT(Invalid(res, json::object()), HasSubstr("spec.cronSpec: Required value"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"colour", "blue"}}),
              HasSubstr("spec.colour: Unsupported value: \"blue\": supported values: \"red\", "
                        "\"green\""));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"replicas", 0}}),
              HasSubstr("spec.replicas: Invalid value: 0: spec.replicas in body should be "
                        "greater than or equal to 1"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"replicas", 11}}),
              HasSubstr("spec.replicas in body should be less than or equal to 10"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"ratio", 1}}),
              HasSubstr("spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "*"}}),
              HasSubstr("spec.cronSpec: Invalid value: \"*\": spec.cronSpec in body should be at "
                        "least 3 chars long"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", std::string(21, '*')}}),
              HasSubstr("spec.cronSpec: Too long: may not be more than 20 bytes"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "abc"}}),
              HasSubstr("spec.cronSpec: Invalid value: \"abc\": spec.cronSpec in body should "
                        "match '^[0-9*/ ,-]+$'"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"when", "yesterday"}}),
              HasSubstr("spec.when: Invalid value: \"yesterday\": spec.when in body must be of "
                        "type date-time: \"yesterday\""));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"tags", {"a", "b", "c"}}}),
              HasSubstr("spec.tags: Too many: 3: must have at most 2 items"));
  EXPECT_THAT(
      Invalid(res, {{"cronSpec", "* * *"}, {"labels", {{"a", "1"}, {"b", "2"}, {"c", "3"}}}}),
      HasSubstr("spec.labels: Too many: 3: must have at most 2 items"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"replicas", 3000000000LL}}),
              HasSubstr("spec.replicas in body must be of type int32"));
  EXPECT_THAT(Invalid(res, {{"cronSpec", "* * *"}, {"template", {{"spec", json::object()}}}}),
              HasSubstr("spec.template.apiVersion: Required value: must not be empty"));
  // Several problems are listed together, and nothing is stored.
  EXPECT_THAT(Invalid(res, {{"replicas", 0}, {"colour", "blue"}}), HasSubstr("is invalid: ["));
  EXPECT_TRUE(store_->List(res, "default", {})["items"].empty());
}

TEST_F(CrdSchemaTest, UndeclaredFieldsArePrunedUnlessPreserved) {
  auto res = CronTabs();
  auto c =
      store_->Create(res, "default",
                     {{"metadata", {{"name", "c1"}}},
                      {"extra", 1},
                      {"spec",
                       {{"cronSpec", "* * *"},
                        {"bogus", "x"},
                        {"policy", {{"mode", "Deny"}, {"extra", {{"anything", {{"goes", true}}}}}}},
                        {"template",
                         {{"apiVersion", "v1"},
                          {"kind", "Pod"},
                          {"metadata", {{"name", "p"}}},
                          {"spec", {{"image", "nginx"}, {"junk", 1}}}}}}}});
  EXPECT_FALSE(c.contains("extra"));
  EXPECT_FALSE(c["spec"].contains("bogus"));
  EXPECT_EQ(c["spec"]["policy"]["extra"]["anything"]["goes"], true);
  EXPECT_EQ(c["spec"]["template"]["metadata"]["name"], "p");
  EXPECT_FALSE(c["spec"]["template"]["spec"].contains("junk"));
  EXPECT_EQ(store_->Get(res, "default", "c1"), c);

  // What fieldValidation reports for the body of a write.
  json body = CronTab({{"cronSpec", "* * *"}, {"bogus", 1}, {"tags", {"a"}}});
  body["spec"]["policy"] = {{"nope", 1}};
  EXPECT_THAT(PruneUnknownFields(*store_, res, body),
              ElementsAre("spec.bogus", "spec.policy.nope"));
  EXPECT_FALSE(body["spec"].contains("bogus"));
}

TEST_F(CrdSchemaTest, DefaultsApplyOnCreateAndUpdate) {
  auto res = CronTabs();
  auto c = store_->Create(res, "default", CronTab({{"cronSpec", "* * *"}}));
  EXPECT_EQ(c["spec"]["replicas"], 1);
  EXPECT_EQ(c["spec"]["policy"], json({{"mode", "Allow"}}));  // a default inside a default
  c["spec"].erase("replicas");
  c["spec"]["policy"] = {{"mode", nullptr}};  // a null of a non-nullable field takes its default
  auto u = store_->Update(res, "default", "c1", c);
  EXPECT_EQ(u["spec"]["replicas"], 1);
  EXPECT_EQ(u["spec"]["policy"]["mode"], "Allow");
  auto p = store_->Patch(res, "default", "c1", PatchType::kMerge, R"({"spec":{"replicas":null}})");
  EXPECT_EQ(p["spec"]["replicas"], 1);
}

TEST_F(CrdSchemaTest, NewDefaultsOfACrdShowOnStoredObjects) {
  auto res = CronTabs();
  auto before = store_->Create(res, "default", CronTab({{"cronSpec", "* * *"}}));
  auto crd = store_->Get(crds_, "", "crontabs.stable.example.com");
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
     ["image"] = {{"type", "string"}, {"default", "cron:1"}};
  store_->Update(crds_, "", "crontabs.stable.example.com", crd);
  auto after = store_->Get(res, "default", "c1");
  EXPECT_EQ(after["spec"]["image"], "cron:1");
  EXPECT_EQ(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"]);
}

TEST_F(CrdSchemaTest, StatusWritesAreValidatedToo) {
  json spec = TypedSpec();
  auto crd = CronTabCrd(spec, true);
  crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"] =
      json::parse(R"({"type":"object","properties":{"ready":{"type":"integer"}}})");
  store_->Create(crds_, "", crd);
  auto res = *registry_->Find("stable.example.com", "v1", "crontabs");
  auto c = store_->Create(res, "default", CronTab({{"cronSpec", "* * *"}}));
  c["status"] = {{"ready", "yes"}};
  auto e = Error([&] { store_->Update(res, "default", "c1", c, {.status_only = true}); });
  EXPECT_THAT(e.what(), HasSubstr("status.ready in body must be of type integer: \"string\""));
  c["status"] = {{"ready", 2}, {"other", 1}};
  auto out = store_->Update(res, "default", "c1", c, {.status_only = true});
  EXPECT_EQ(out["status"], json({{"ready", 2}}));
}

TEST_F(CrdSchemaTest, NonStructuralSchemasAre422NamingThePath) {
  auto untyped = CronTabCrd(json::parse(R"({"type":"object","properties":{"a":{}}})"));
  auto e = Error([&] { store_->Create(crds_, "", untyped); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_STREQ(e.what(),
               "CustomResourceDefinition.apiextensions.k8s.io \"crontabs.stable.example.com\" is "
               "invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[a]."
               "type: Required value: must not be empty for specified object fields");

  auto unique = CronTabCrd(json::parse(
      R"({"type":"object","properties":{"a":{"type":"array","uniqueItems":true,"items":{"type":"string"}}}})"));
  EXPECT_THAT(Error([&] { store_->Create(crds_, "", unique); }).what(),
              HasSubstr("properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true "
                        "since the runtime complexity becomes quadratic"));

  auto bad_default = CronTabCrd(
      json::parse(R"({"type":"object","properties":{"n":{"type":"integer","default":"x"}}})"));
  EXPECT_THAT(Error([&] { store_->Create(crds_, "", bad_default); }).what(),
              HasSubstr("properties[n].default: Invalid value: \"string\": in body must be of "
                        "type integer: \"string\""));

  auto no_schema = CronTabCrd(json::object());
  no_schema["spec"]["versions"][0].erase("schema");
  EXPECT_THAT(Error([&] { store_->Create(crds_, "", no_schema); }).what(),
              HasSubstr("spec.versions[0].schema.openAPIV3Schema: Required value: schemas are "
                        "required"));
  EXPECT_FALSE(registry_->Find("stable.example.com", "v1", "crontabs"));
}

}  // namespace
}  // namespace kubedouble::fake::testing
