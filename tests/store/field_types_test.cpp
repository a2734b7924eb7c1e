// Field types on writes: a field of the wrong JSON type is refused as kube-apiserver's decoders
// refuse it (400 on create and update, 422 on a patch), and nothing is stored.
#include "store/field_types.h"

#include <string>

#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::HasSubstr;

class FieldTypesTest : public StoreTest {
 protected:
  // The message of the 400 a create of `object` answers (empty when it is stored).
  std::string CreateError(const ResourceInfo& res, json object) {
    if (!object.contains("metadata")) object["metadata"] = {{"name", "x"}};
    try {
      store_->Create(res, res.namespaced ? "default" : "", object);
    } catch (const StatusError& e) {
      EXPECT_EQ(e.code(), 400) << e.what();
      EXPECT_EQ(e.reason(), "BadRequest");
      return e.what();
    }
    return "";
  }

  static std::string Handled(const std::string& kind, const std::string& error) {
    return kind + " in version \"v1\" cannot be handled as a " + kind + ": " + error;
  }

  // Watch options from the resourceVersion of `obj`.
  static ListOptions From(const json& obj) {
    ListOptions o;
    o.resource_version = obj["metadata"]["resourceVersion"].get<std::string>();
    return o;
  }

  json ConfigMap(const std::string& name, json data) {
    return store_->Create(configmaps_, "default",
                          {{"metadata", {{"name", name}}}, {"data", std::move(data)}});
  }
};

TEST_F(FieldTypesTest, ConfigMapDataMustBeAMapOfStrings) {
  EXPECT_EQ(CreateError(configmaps_, {{"data", {{"k", 1}}}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal number into Go struct field ConfigMap.data of type "
                    "string"));
  EXPECT_EQ(CreateError(configmaps_, {{"data", {{"k", true}}}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal bool into Go struct field ConfigMap.data of type "
                    "string"));
  EXPECT_EQ(CreateError(configmaps_, {{"data", {{"k", {{"a", "b"}}}}}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal object into Go struct field ConfigMap.data of type "
                    "string"));
  EXPECT_EQ(CreateError(configmaps_, {{"data", json::array({"a"})}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal array into Go struct field ConfigMap.data of type "
                    "map[string]string"));
  EXPECT_EQ(CreateError(configmaps_, {{"immutable", "yes"}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal string into Go struct field ConfigMap.immutable of "
                    "type bool"));
  // Strings, nulls and fields the table does not know are fine.
  EXPECT_EQ(CreateError(configmaps_, {{"data", {{"k", "1"}, {"n", nullptr}}}, {"other", 5}}), "");
  EXPECT_EQ(store_->List(configmaps_, "default", {})["items"].size(), 1u);
}

TEST_F(FieldTypesTest, BinaryDataMustBeBase64) {
  EXPECT_EQ(CreateError(configmaps_, {{"binaryData", {{"k", "YWJjZA"}}}}),
            Handled("ConfigMap", "illegal base64 data at input byte 4"));
  EXPECT_EQ(CreateError(configmaps_, {{"binaryData", {{"k", "not base64!"}}}}),
            Handled("ConfigMap", "illegal base64 data at input byte 3"));
  EXPECT_EQ(CreateError(configmaps_, {{"binaryData", {{"k", 7}}}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal number into Go struct field ConfigMap.binaryData of "
                    "type []uint8"));
  EXPECT_EQ(CreateError(configmaps_, {{"binaryData", {{"k", "YWJjZA=="}, {"e", ""}}}}), "");
}

TEST_F(FieldTypesTest, SecretFields) {
  EXPECT_EQ(CreateError(secrets_, {{"data", {{"token", "%%%"}}}}),
            Handled("Secret", "illegal base64 data at input byte 0"));
  EXPECT_EQ(CreateError(secrets_, {{"stringData", {{"k", 5}}}}),
            Handled("Secret",
                    "json: cannot unmarshal number into Go struct field Secret.stringData of "
                    "type string"));
  EXPECT_EQ(CreateError(secrets_, {{"type", 5}}),
            Handled("Secret",
                    "json: cannot unmarshal number into Go struct field Secret.type of type "
                    "v1.SecretType"));
  EXPECT_EQ(CreateError(secrets_, {{"data", {{"a", "YQ=="}}}, {"stringData", {{"b", "c"}}}}), "");
}

TEST_F(FieldTypesTest, PodFieldsNameTheInnermostStruct) {
  auto pod = [](json container) {
    return json{{"spec", {{"containers", json::array({std::move(container)})}}}};
  };
  EXPECT_EQ(CreateError(pods_, {{"spec", "x"}}),
            Handled("Pod",
                    "json: cannot unmarshal string into Go struct field Pod.spec of type "
                    "v1.PodSpec"));
  EXPECT_EQ(CreateError(pods_, {{"spec", {{"containers", {{"name", "c"}}}}}}),
            Handled("Pod",
                    "json: cannot unmarshal object into Go struct field PodSpec.spec.containers "
                    "of type []v1.Container"));
  EXPECT_EQ(CreateError(pods_, {{"spec", {{"containers", json::array({"c"})}}}}),
            Handled("Pod",
                    "json: cannot unmarshal string into Go struct field PodSpec.spec.containers "
                    "of type v1.Container"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"}, {"image", 3}})),
            Handled("Pod",
                    "json: cannot unmarshal number into Go struct field "
                    "Container.spec.containers.image of type string"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"}, {"ports", {{{"containerPort", "80"}}}}})),
            Handled("Pod",
                    "json: cannot unmarshal string into Go struct field "
                    "ContainerPort.spec.containers.ports.containerPort of type int32"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"}, {"ports", {{{"containerPort", 80.5}}}}})),
            Handled("Pod",
                    "json: cannot unmarshal number 80.5 into Go struct field "
                    "ContainerPort.spec.containers.ports.containerPort of type int32"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"}, {"ports", {{{"containerPort", 4294967296}}}}})),
            Handled("Pod",
                    "json: cannot unmarshal number 4294967296 into Go struct field "
                    "ContainerPort.spec.containers.ports.containerPort of type int32"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"}, {"ports", {{"containerPort", 80}}}})),
            Handled("Pod",
                    "json: cannot unmarshal object into Go struct field Container.spec.containers."
                    "ports of type []v1.ContainerPort"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"}, {"env", {{{"name", "A"}, {"value", 1}}}}})),
            Handled("Pod",
                    "json: cannot unmarshal number into Go struct field "
                    "EnvVar.spec.containers.env.value of type string"));
  EXPECT_EQ(CreateError(pods_, {{"spec", {{"nodeName", false}}}}),
            Handled("Pod",
                    "json: cannot unmarshal bool into Go struct field PodSpec.spec.nodeName of "
                    "type string"));
  EXPECT_EQ(CreateError(pods_, {{"spec", {{"serviceAccountName", json::array()}}}}),
            Handled("Pod",
                    "json: cannot unmarshal array into Go struct field "
                    "PodSpec.spec.serviceAccountName of type string"));
  EXPECT_EQ(CreateError(pods_, pod({{"name", "c"},
                                    {"image", "busybox"},
                                    {"ports", {{{"containerPort", 80}, {"protocol", "TCP"}}}},
                                    {"env", {{{"name", "A"}, {"value", "1"}}}},
                                    {"resources", {{"limits", {{"cpu", 1}}}}}})),
            "");
}

TEST_F(FieldTypesTest, ServiceServiceAccountNamespace) {
  EXPECT_EQ(
      CreateError(services_, {{"spec", {{"ports", {{{"port", "80"}}}}}}}),
      Handled("Service",
              "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port "
              "of type int32"));
  EXPECT_EQ(CreateError(services_, {{"spec", {{"ports", {{"port", 80}}}}}}),
            Handled("Service",
                    "json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of "
                    "type []v1.ServicePort"));
  EXPECT_EQ(
      CreateError(services_, {{"metadata", {{"name", "web"}}},
                              {"spec", {{"ports", {{{"port", 80}, {"targetPort", "http"}}}}}}}),
      "");  // targetPort is an IntOrString
  EXPECT_EQ(CreateError(serviceaccounts_, {{"secrets", "s"}}),
            Handled("ServiceAccount",
                    "json: cannot unmarshal string into Go struct field ServiceAccount.secrets of "
                    "type []v1.ObjectReference"));
  EXPECT_EQ(CreateError(serviceaccounts_, {{"automountServiceAccountToken", "true"}}),
            Handled("ServiceAccount",
                    "json: cannot unmarshal string into Go struct field "
                    "ServiceAccount.automountServiceAccountToken of type bool"));
  EXPECT_EQ(CreateError(namespaces_, {{"spec", "x"}}),
            Handled("Namespace",
                    "json: cannot unmarshal string into Go struct field Namespace.spec of type "
                    "v1.NamespaceSpec"));
  EXPECT_EQ(CreateError(namespaces_, {{"status", json::array()}}),
            Handled("Namespace",
                    "json: cannot unmarshal array into Go struct field Namespace.status of type "
                    "v1.NamespaceStatus"));
}

TEST_F(FieldTypesTest, MetadataOfEveryKind) {
  auto meta = [](json m) {
    m["name"] = "x";
    return json{{"metadata", std::move(m)}};
  };
  EXPECT_EQ(CreateError(configmaps_, {{"metadata", "x"}}),
            Handled("ConfigMap",
                    "json: cannot unmarshal string into Go struct field ConfigMap.metadata of "
                    "type v1.ObjectMeta"));
  EXPECT_EQ(CreateError(pods_, {{"metadata", {{"name", 5}}}}),
            Handled("Pod",
                    "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name "
                    "of type string"));
  EXPECT_EQ(CreateError(nodes_, meta({{"labels", {{"a", 1}}}})),
            Handled("Node",
                    "json: cannot unmarshal number into Go struct field "
                    "ObjectMeta.metadata.labels of type string"));
  EXPECT_EQ(CreateError(events_, meta({{"annotations", json::array({"a"})}})),
            Handled("Event",
                    "json: cannot unmarshal array into Go struct field "
                    "ObjectMeta.metadata.annotations of type map[string]string"));
  EXPECT_EQ(CreateError(secrets_, meta({{"finalizers", "f"}})),
            Handled("Secret",
                    "json: cannot unmarshal string into Go struct field "
                    "ObjectMeta.metadata.finalizers of type []string"));
  EXPECT_EQ(CreateError(services_, meta({{"ownerReferences", json::array({"o"})}})),
            Handled("Service",
                    "json: cannot unmarshal string into Go struct field "
                    "ObjectMeta.metadata.ownerReferences of type v1.OwnerReference"));
  EXPECT_EQ(CreateError(pods_, meta({{"namespace", 1}})),
            Handled("Pod",
                    "json: cannot unmarshal number into Go struct field "
                    "ObjectMeta.metadata.namespace of type string"));
  EXPECT_EQ(CreateError(pods_, {{"metadata", {{"generateName", true}}}}),
            Handled("Pod",
                    "json: cannot unmarshal bool into Go struct field "
                    "ObjectMeta.metadata.generateName of type string"));
  EXPECT_EQ(CreateError(configmaps_, meta({{"uid", 1}})),
            Handled("ConfigMap",
                    "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.uid "
                    "of type types.UID"));
  EXPECT_EQ(CreateError(configmaps_, meta({{"resourceVersion", 1}})),
            Handled("ConfigMap",
                    "json: cannot unmarshal number into Go struct field "
                    "ObjectMeta.metadata.resourceVersion of type string"));
  // kind and apiVersion are read before anything else, into an unnamed struct.
  EXPECT_EQ(CreateError(configmaps_, {{"kind", 1}, {"metadata", {{"name", "x"}}}}),
            "the object provided is unrecognized (must be of type ConfigMap): couldn't get "
            "version/kind; json parse error: json: cannot unmarshal number into Go struct field "
            ".kind of type string ({\"kind\":1,\"metadata\":{\"name\":\" ...)");
}

TEST_F(FieldTypesTest, EveryBuiltInKindIsCheckedFromTheSchema) {
  // Kinds and fields the hand-written table never had: their types come from the schema.
  auto deployments = *registry_->Find("apps", "v1", "deployments");
  EXPECT_EQ(CreateError(deployments, {{"spec", {{"replicas", "3"}}}}),
            Handled("Deployment",
                    "json: cannot unmarshal string into Go struct field "
                    "DeploymentSpec.spec.replicas of type int32"));
  EXPECT_EQ(
      CreateError(
          deployments,
          {{"spec",
            {{"template",
              {{"spec",
                {{"containers",
                  {{{"name", "c"}, {"ports", {{{"containerPort", 80}, {"protocol", 6}}}}}}}}}}}}}}),
      Handled("Deployment",
              "json: cannot unmarshal number into Go struct field "
              "ContainerPort.spec.template.spec.containers.ports.protocol of type v1.Protocol"));
  auto roles = *registry_->Find("rbac.authorization.k8s.io", "v1", "roles");
  EXPECT_EQ(CreateError(roles, {{"rules", {{{"verbs", "get"}}}}}),
            Handled("Role",
                    "json: cannot unmarshal string into Go struct field PolicyRule.rules.verbs of "
                    "type []string"));
  auto leases = *registry_->Find("coordination.k8s.io", "v1", "leases");
  EXPECT_EQ(
      CreateError(leases, {{"spec", {{"holderIdentity", "me"}, {"leaseDurationSeconds", 15}}}}),
      "");
}

TEST_F(FieldTypesTest, CustomResourcesAcceptAnyJsonBeyondMetadata) {
  ResourceInfo widgets;
  widgets.group = "example.com";
  widgets.version = "v1";
  widgets.kind = "Widget";
  widgets.plural = "widgets";
  widgets.singular = "widget";
  registry_->Add(widgets);
  EXPECT_EQ(CreateError(widgets, {{"metadata", {{"name", "w"}}},
                                  {"spec", {{"data", 1}, {"containers", "x"}}},
                                  {"data", {{"k", 1}}}}),
            "");
  EXPECT_EQ(CreateError(widgets, {{"metadata", {{"name", "w2"}, {"labels", {{"a", 1}}}}}}),
            Handled("Widget",
                    "json: cannot unmarshal number into Go struct field "
                    "ObjectMeta.metadata.labels of type string"));
}

TEST_F(FieldTypesTest, UpdateAndDryRunStoreNothing) {
  json cm = ConfigMap("cm", {{"k", "v"}});
  auto watch = store_->StartWatch(configmaps_, "default", From(cm));
  json bad = cm;
  bad["data"]["k"] = 1;
  auto e = Error([&] { store_->Update(configmaps_, "default", "cm", bad); });
  EXPECT_EQ(e.code(), 400);
  EXPECT_EQ(e.what(), Handled("ConfigMap",
                              "json: cannot unmarshal number into Go struct field ConfigMap.data "
                              "of type string"));
  e = Error([&] { store_->Update(configmaps_, "default", "cm", bad, {.dry_run = true}); });
  EXPECT_EQ(e.code(), 400);
  e = Error([&] {
    store_->Create(configmaps_, "default", {{"metadata", {{"name", "dry"}}}, {"data", {{"k", 1}}}},
                   {.dry_run = true});
  });
  EXPECT_EQ(e.code(), 400);
  EXPECT_EQ(store_->Get(configmaps_, "default", "cm")["data"]["k"], "v");
  EXPECT_EQ(store_->resource_version(), Rv(cm));
  EXPECT_FALSE(watch->Next(std::chrono::milliseconds(50)).has_value());
}

TEST_F(FieldTypesTest, PutOfFixturesAndAdminObjectsIsCheckedToo) {
  auto e = Error([&] {
    store_->Put(configmaps_,
                {{"metadata", {{"name", "p"}, {"namespace", "default"}}}, {"data", {{"k", 1}}}});
  });
  EXPECT_EQ(e.code(), 400);
  EXPECT_THAT(e.what(), HasSubstr("ConfigMap.data of type string"));
}

TEST_F(FieldTypesTest, MergeAndJsonPatchResultsAre422) {
  json cm = ConfigMap("cm", {{"k", "v"}});
  auto watch = store_->StartWatch(configmaps_, "default", From(cm));
  for (const auto& patch :
       {std::pair{PatchType::kMerge, R"({"data":{"k":1}})"},
        std::pair{PatchType::kJson, R"([{"op":"replace","path":"/data/k","value":1}])"}}) {
    auto e = Error([&] { store_->Patch(configmaps_, "default", "cm", patch.first, patch.second); });
    EXPECT_EQ(e.code(), 422);
    EXPECT_EQ(e.reason(), "Invalid");
    const std::string err =
        "json: cannot unmarshal number into Go struct field ConfigMap.data of type string";
    // The value is the whole patched object, as kube-apiserver quotes it.
    EXPECT_THAT(
        e.what(),
        HasSubstr(
            R"( "" is invalid: patch: Invalid value: "{\"apiVersion\":\"v1\",\"data\":{\"k\":1},)"));
    EXPECT_THAT(e.what(), ::testing::EndsWith("\": " + err));
    ASSERT_EQ(e.details()["causes"].size(), 1u);
    EXPECT_EQ(e.details()["causes"][0]["field"], "patch");
    EXPECT_EQ(e.details()["causes"][0]["reason"], "FieldValueInvalid");
    EXPECT_THAT(e.details()["causes"][0]["message"].get<std::string>(),
                ::testing::StartsWith("Invalid value: \"{"));
    EXPECT_FALSE(e.details().contains("name"));
    EXPECT_FALSE(e.details().contains("kind"));
  }
  // dryRun too; a patch that leaves the types right still works.
  auto e = Error([&] {
    store_->Patch(configmaps_, "default", "cm", PatchType::kMerge, R"({"binaryData":{"b":"x"}})",
                  {.dry_run = true});
  });
  EXPECT_THAT(e.what(), ::testing::EndsWith("\": illegal base64 data at input byte 0"));
  EXPECT_EQ(store_->Get(configmaps_, "default", "cm")["data"]["k"], "v");
  EXPECT_FALSE(watch->Next(std::chrono::milliseconds(50)).has_value());
  json ok = store_->Patch(configmaps_, "default", "cm", PatchType::kMerge, R"({"data":{"k":"1"}})");
  EXPECT_EQ(ok["data"]["k"], "1");
}

TEST_F(FieldTypesTest, StrategicMergePatchResultsUseTheConvertersWords) {
  Pod("default", "p");
  auto smp = [&](const std::string& body) {
    return Error([&] { store_->Patch(pods_, "default", "p", PatchType::kStrategicMerge, body); });
  };
  auto e = smp(R"({"spec":{"containers":[{"name":"main","image":5}]}})");
  EXPECT_EQ(e.code(), 422);
  EXPECT_EQ(
      std::string(e.what()),
      R"( "" is invalid: patch: Invalid value: "map[spec:map[containers:[map[image:5 name:main]]]]": cannot convert int64 to string)");
  EXPECT_EQ(e.details()["causes"][0]["field"], "patch");
  EXPECT_THAT(smp(R"({"spec":{"nodeName":1.5}})").what(),
              ::testing::EndsWith(": unrecognized type: string"));
  EXPECT_THAT(smp(R"({"spec":{"containers":"x"}})").what(),
              ::testing::EndsWith(": cannot restore slice from string"));
  EXPECT_THAT(smp(R"({"spec":"x"})").what(),
              ::testing::EndsWith(": cannot restore struct from: string"));
  EXPECT_THAT(smp(R"({"metadata":{"labels":["a"]}})").what(),
              ::testing::EndsWith(": cannot restore map from slice"));
  EXPECT_THAT(
      smp(R"({"spec":{"containers":[{"name":"main","ports":[{"containerPort":1.5}]}]}})").what(),
      ::testing::EndsWith(": cannot convert float64 to int32"));
  EXPECT_EQ(store_->Get(pods_, "default", "p")["spec"]["containers"][0]["image"], "busybox");
  ConfigMap("cm", {{"k", "v"}});
  auto b = Error([&] {
    store_->Patch(configmaps_, "default", "cm", PatchType::kStrategicMerge,
                  R"({"binaryData":{"b":"YWJjZA"}})");
  });
  EXPECT_THAT(
      b.what(),
      ::testing::EndsWith(
          R"("map[binaryData:map[b:YWJjZA]]": error decoding from json: illegal base64 data at input byte 4)"));
}

TEST_F(FieldTypesTest, GoFormatPrintsAsFmtDoes) {
  EXPECT_EQ(GoFormat(json::parse(R"({"b":[1,"x",true,null],"a":{"c":1.5}})")),
            "map[a:map[c:1.5] b:[1 x true <nil>]]");
  EXPECT_EQ(GoFormat(json(1e21)), "1e+21");
  EXPECT_EQ(GoFormat(json(100000.0)), "100000");
  EXPECT_EQ(GoFormat(json(0.1)), "0.1");
}

}  // namespace
}  // namespace kubedouble::fake::testing
