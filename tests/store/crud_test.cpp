// Create, read, update, delete: defaults, validation, conflicts, namespaces, CRDs.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

using CrudTest = StoreTest;

TEST_F(CrudTest, CreateFillsInWhatTheServerOwns) {
  auto pod = Pod("default", "web");
  EXPECT_EQ(pod["kind"], "Pod");
  EXPECT_EQ(pod["apiVersion"], "v1");
  EXPECT_EQ(pod["metadata"]["namespace"], "default");
  EXPECT_EQ(pod["metadata"]["creationTimestamp"], "2026-01-02T03:04:05Z");
  EXPECT_FALSE(pod["metadata"].contains("generation"));  // Pods have none in 1.32
  EXPECT_THAT(pod["metadata"]["uid"].get<std::string>(),
              MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  EXPECT_EQ(Rv(pod), store_->resource_version());
  auto got = store_->Get(pods_, "default", "web");
  EXPECT_EQ(got, pod);
  auto other = Pod("default", "db");
  EXPECT_NE(other["metadata"]["uid"], pod["metadata"]["uid"]);
  EXPECT_GT(Rv(other), Rv(pod));
}

// An expected miss is a value: Find answers nullopt and Contains false where Get answers 404.
TEST_F(CrudTest, FindAndContainsAnswerAMissWithoutAnError) {
  auto pod = Pod("default", "web");
  std::optional<json> found = store_->Find(pods_, "default", "web");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, pod);  // as Get returns it, kind and apiVersion included
  EXPECT_TRUE(store_->Contains(pods_, "default", "web"));
  EXPECT_FALSE(store_->Find(pods_, "default", "gone").has_value());
  EXPECT_FALSE(store_->Contains(pods_, "default", "gone"));
  EXPECT_FALSE(store_->Contains(pods_, "kube-system", "web"));  // another namespace's name
  EXPECT_EQ(Error([&] { store_->Get(pods_, "default", "gone"); }).code(), 404);
}

TEST_F(CrudTest, KindDefaults) {
  auto ns = store_->Get(namespaces_, "", "team-a");
  EXPECT_EQ(ns["status"]["phase"], "Active");
  EXPECT_EQ(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "team-a");
  auto pod = store_->Create(pods_, "default",
                            {{"metadata", {{"name", "p"}}},
                             {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}});
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  auto secret = store_->Create(
      secrets_, "default", {{"metadata", {{"name", "s"}}}, {"stringData", {{"user", "admin"}}}});
  EXPECT_EQ(secret["type"], "Opaque");
  EXPECT_EQ(secret["data"]["user"], "YWRtaW4=");
  EXPECT_FALSE(secret.contains("stringData"));
}

TEST_F(CrudTest, GenerateNameAddsFiveCharacters) {
  auto cm = store_->Create(configmaps_, "default", {{"metadata", {{"generateName", "cfg-"}}}});
  EXPECT_THAT(cm["metadata"]["name"].get<std::string>(), MatchesRegex("cfg-[a-z0-9]{5}"));
  EXPECT_NO_THROW(store_->Get(configmaps_, "default", cm["metadata"]["name"]));
}

TEST_F(CrudTest, InvalidNamesAre422WithCauses) {
  auto e = Error([&] { Pod("default", "BAD_NAME"); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_EQ(e.reason(), "Invalid");
  EXPECT_STREQ(e.what(),
               "Pod \"BAD_NAME\" is invalid: metadata.name: Invalid value: \"BAD_NAME\": a "
               "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
               "'-' or '.', and must start and end with an alphanumeric character (e.g. "
               "'example.com', regex used for validation is "
               "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  auto status = e.ToStatus();
  EXPECT_EQ(status["status"], "Failure");
  EXPECT_EQ(status["code"], 422);
  EXPECT_EQ(status["details"]["name"], "BAD_NAME");
  EXPECT_EQ(status["details"]["kind"], "Pod");
  ASSERT_EQ(status["details"]["causes"].size(), 1u);
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "FieldValueInvalid");
  EXPECT_EQ(status["details"]["causes"][0]["field"], "metadata.name");

  auto ns = Error([&] { Namespace("a.b"); });
  EXPECT_THAT(ns.what(), HasSubstr("Namespace \"a.b\" is invalid: metadata.name: Invalid value: "
                                   "\"a.b\": a lowercase RFC 1123 label must consist of"));
  auto svc = Error([&] {
    store_->Create(services_, "default", {{"metadata", {{"name", "1svc"}}}});
  });
  EXPECT_THAT(svc.what(), HasSubstr("a DNS-1035 label must consist of lower case alphanumeric "
                                    "characters or '-', start with an alphabetic character"));
  auto none = Error([&] { store_->Create(configmaps_, "default", json::object()); });
  EXPECT_STREQ(none.what(),
               "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName "
               "is required");
  auto longname = Error([&] { Namespace(std::string(64, 'a')); });
  EXPECT_THAT(longname.what(), HasSubstr("must be no more than 63 characters"));
}

TEST_F(CrudTest, InvalidLabelsAre422) {
  auto e = Error([&] { Pod("default", "web", {{"app", "bad value"}}); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_THAT(e.what(), HasSubstr("Pod \"web\" is invalid: metadata.labels: Invalid value: "
                                  "\"bad value\": a valid label must be an empty string or "
                                  "consist of alphanumeric characters"));
  auto key = Error([&] { Pod("default", "web", {{"-x", "ok"}}); });
  EXPECT_THAT(key.what(), HasSubstr("metadata.labels: Invalid value: \"-x\": name part must"));
  Pod("default", "web", {{"app", "ok"}});
  auto patch = Error([&] {
    store_->Patch(pods_, "default", "web", PatchType::kMerge,
                  R"({"metadata":{"labels":{"app":"no way"}}})");
  });
  EXPECT_EQ(patch.code(), 422);
  EXPECT_EQ(store_->Get(pods_, "default", "web")["metadata"]["labels"]["app"], "ok");
}

TEST_F(CrudTest, DuplicateIsAlreadyExists) {
  Pod("default", "web");
  auto e = Error([&] { Pod("default", "web"); });
  EXPECT_EQ(e.code(), 409);
  EXPECT_EQ(e.reason(), "AlreadyExists");
  EXPECT_STREQ(e.what(), "pods \"web\" already exists");
  EXPECT_EQ(e.details(), json({{"name", "web"}, {"kind", "pods"}}));
  EXPECT_NO_THROW(Pod("team-a", "web"));  // another namespace
}

TEST_F(CrudTest, MissingNamespaceIs404) {
  auto e = Error([&] { Pod("nowhere", "web"); });
  EXPECT_EQ(e.code(), 404);
  EXPECT_STREQ(e.what(), "namespaces \"nowhere\" not found");
  EXPECT_EQ(e.details(), json({{"name", "nowhere"}, {"kind", "namespaces"}}));
  auto get = Error([&] { store_->Get(pods_, "default", "ghost"); });
  EXPECT_EQ(get.code(), 404);
  EXPECT_STREQ(get.what(), "pods \"ghost\" not found");
}

TEST_F(CrudTest, BodyAndUrlMustAgree) {
  auto e = Error([&] {
    store_->Create(pods_, "default", {{"metadata", {{"name", "x"}, {"namespace", "team-a"}}}});
  });
  EXPECT_EQ(e.code(), 400);
  EXPECT_STREQ(e.what(),
               "the namespace of the provided object does not match the namespace sent on the "
               "request");
  auto rv = Error([&] {
    store_->Create(pods_, "default", {{"metadata", {{"name", "x"}, {"resourceVersion", "5"}}}});
  });
  EXPECT_STREQ(rv.what(), "resourceVersion should not be set on objects to be created");
  Pod("default", "web");
  auto name = Error([&] {
    store_->Update(pods_, "default", "web", {{"metadata", {{"name", "other"}}}});
  });
  EXPECT_STREQ(name.what(),
               "the name of the object (other) does not match the name on the URL (web)");
  auto body = Error([&] { store_->Create(pods_, "default", json::array()); });
  EXPECT_EQ(body.code(), 400);
}

TEST_F(CrudTest, UpdateChecksResourceVersion) {
  auto pod = Pod("default", "web");
  auto edited = pod;
  edited["metadata"]["labels"]["tier"] = "front";
  auto updated = store_->Update(pods_, "default", "web", edited);
  EXPECT_GT(Rv(updated), Rv(pod));
  EXPECT_EQ(updated["metadata"]["labels"]["tier"], "front");
  EXPECT_EQ(updated["metadata"]["uid"], pod["metadata"]["uid"]);
  EXPECT_EQ(updated["metadata"]["creationTimestamp"], pod["metadata"]["creationTimestamp"]);
  EXPECT_FALSE(updated["metadata"].contains("generation"));

  auto stale = Error([&] { store_->Update(pods_, "default", "web", edited); });
  EXPECT_EQ(stale.code(), 409);
  EXPECT_EQ(stale.reason(), "Conflict");
  EXPECT_STREQ(stale.what(),
               "Operation cannot be fulfilled on pods \"web\": the object has been modified; "
               "please apply your changes to the latest version and try again");

  auto spec = updated;
  spec["spec"]["containers"][0]["image"] = "nginx";
  auto bumped = store_->Update(pods_, "default", "web", spec);
  EXPECT_EQ(bumped["spec"]["containers"][0]["image"], "nginx");

  auto unconditional = bumped;
  unconditional["metadata"].erase("resourceVersion");
  unconditional["metadata"]["labels"]["x"] = "y";
  EXPECT_NO_THROW(store_->Update(pods_, "default", "web", unconditional));

  auto missing = Error([&] {
    store_->Update(pods_, "default", "ghost", {{"metadata", json::object()}});
  });
  EXPECT_EQ(missing.code(), 404);
}

TEST_F(CrudTest, UpdateWithoutStatusKeepsTheStatus) {
  auto body = Pod("default", "web", json::object(), "Running");
  body.erase("status");
  body["metadata"]["labels"] = {{"replaced", "yes"}};
  auto replaced = store_->Update(pods_, "default", "web", body);
  EXPECT_EQ(replaced["status"]["phase"], "Running");
  auto cur = store_->Get(pods_, "default", "web");
  cur["status"]["phase"] = "Succeeded";
  // Pods have a status subresource: only a write of …/status changes their status.
  EXPECT_EQ(store_->Update(pods_, "default", "web", cur)["status"]["phase"], "Running");
  EXPECT_EQ(store_->Update(pods_, "default", "web", cur, {.status_only = true})["status"]["phase"],
            "Succeeded");
}

TEST_F(CrudTest, NoOpUpdateKeepsTheResourceVersion) {
  auto pod = Pod("default", "web");
  auto again = store_->Update(pods_, "default", "web", pod);
  EXPECT_EQ(Rv(again), Rv(pod));
  EXPECT_EQ(store_->resource_version(), Rv(pod));
}

TEST_F(CrudTest, DryRunChangesNothing) {
  auto before = store_->resource_version();
  auto pod = store_->Create(pods_, "default", PodBody("dry"), {.dry_run = true});
  EXPECT_EQ(pod["metadata"]["name"], "dry");
  EXPECT_TRUE(pod["metadata"].contains("uid"));
  EXPECT_EQ(store_->resource_version(), before);
  EXPECT_EQ(Error([&] { store_->Get(pods_, "default", "dry"); }).code(), 404);
  Pod("default", "real");
  auto rv = store_->resource_version();
  DeleteOptions d;
  d.dry_run = true;
  store_->Delete(pods_, "default", "real", d);
  EXPECT_NO_THROW(store_->Get(pods_, "default", "real"));
  EXPECT_EQ(store_->resource_version(), rv);
  // Dry-run validation still answers errors.
  EXPECT_EQ(
      Error([&] { store_->Create(pods_, "default", PodBody("real"), {.dry_run = true}); }).code(),
      409);
}

TEST_F(CrudTest, DeleteReturnsTheObjectAndHonoursPreconditions) {
  auto pod = Pod("default", "web");
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "nope";
  auto e = Error([&] { store_->Delete(pods_, "default", "web", wrong_uid); });
  EXPECT_EQ(e.code(), 409);
  EXPECT_EQ(std::string(e.what()),
            "Operation cannot be fulfilled on pods \"web\": Precondition failed: UID in "
            "precondition: nope, UID in object meta: " +
                pod["metadata"]["uid"].get<std::string>());
  DeleteOptions wrong_rv;
  wrong_rv.precondition_resource_version = "1";
  EXPECT_THAT(Error([&] { store_->Delete(pods_, "default", "web", wrong_rv); }).what(),
              HasSubstr("Precondition failed: ResourceVersion in precondition: 1"));
  DeleteOptions ok;
  ok.precondition_uid = pod["metadata"]["uid"];
  ok.propagation_policy = "Foreground";
  ok.grace_period_seconds = 0;
  auto gone = store_->Delete(pods_, "default", "web", ok);
  EXPECT_EQ(gone["metadata"]["name"], "web");
  EXPECT_GT(Rv(gone), Rv(pod));
  EXPECT_EQ(Error([&] { store_->Get(pods_, "default", "web"); }).code(), 404);
  EXPECT_EQ(Error([&] { store_->Delete(pods_, "default", "web"); }).code(), 404);
}

TEST_F(CrudTest, DeletingANamespaceDeletesItsContentsAndCompletes) {
  Pod("team-a", "a1");
  Pod("team-a", "a2");
  store_->Create(configmaps_, "team-a", {{"metadata", {{"name", "cfg"}}}});
  Pod("default", "keep");
  Namespace("team-a-b");  // a neighbour whose name starts the same
  Pod("team-a-b", "keep2");
  store_->Delete(namespaces_, "", "team-a");
  // Terminating until the bound pods' grace period (30 s) ends, as a kubelet confirms it.
  EXPECT_EQ(store_->Get(namespaces_, "", "team-a")["status"]["phase"], "Terminating");
  EXPECT_TRUE(store_->List(configmaps_, "team-a", {})["items"].empty());
  now_ += std::chrono::seconds(30);
  store_->Tick();
  EXPECT_EQ(Error([&] { store_->Get(namespaces_, "", "team-a"); }).code(), 404);
  EXPECT_THAT(Names(store_->List(pods_, "", {})), ElementsAre("keep", "keep2"));
  EXPECT_TRUE(store_->List(configmaps_, "team-a", {})["items"].empty());
  EXPECT_EQ(Error([&] { Pod("team-a", "late"); }).code(), 404);
  Namespace("team-a");  // can be created again at once
  EXPECT_TRUE(store_->List(pods_, "team-a", {})["items"].empty());
}

TEST_F(CrudTest, DeleteCollectionWithSelectors) {
  Pod("default", "a", {{"app", "x"}});
  Pod("default", "b", {{"app", "y"}});
  Pod("team-a", "c", {{"app", "x"}});
  ListOptions o;
  o.label_selector = "app=x";
  DeleteOptions now;
  now.grace_period_seconds = 0;
  auto deleted = store_->DeleteCollection(pods_, "default", o, now);
  EXPECT_EQ(deleted["kind"], "PodList");
  EXPECT_THAT(Names(deleted), ElementsAre("a"));
  EXPECT_THAT(Names(store_->List(pods_, "", {})), ElementsAre("b", "c"));
}

TEST_F(CrudTest, PutCreatesOrReplacesWithoutChecks) {
  auto pod = store_->Put(
      pods_, {{"metadata",
               {{"name", "fixture"}, {"namespace", "kube-system"}, {"resourceVersion", "999"}}}});
  EXPECT_EQ(Rv(pod), store_->resource_version());
  auto replaced = store_->Put(
      pods_, {{"metadata",
               {{"name", "fixture"}, {"namespace", "kube-system"}, {"labels", {{"a", "b"}}}}}});
  EXPECT_EQ(replaced["metadata"]["uid"], pod["metadata"]["uid"]);
  EXPECT_EQ(replaced["metadata"]["labels"]["a"], "b");
  auto bad = Error([&] { store_->Put(pods_, {{"metadata", {{"name", "Bad"}}}}); });
  EXPECT_EQ(bad.code(), 422);
}

// A trusted write (the server's own object) skips only the checks: a valid body is stored,
// defaulted and recorded in managedFields exactly as the same body written with the checks.
TEST_F(CrudTest, ATrustedWriteStoresWhatACheckedOneWould) {
  auto node = [](const std::string& name) {
    return json{{"metadata", {{"name", name}, {"labels", {{"kubernetes.io/os", "linux"}}}}},
                {"spec", {{"podCIDR", "10.244.0.0/24"}}},
                {"status", {{"capacity", {{"cpu", "2"}, {"pods", "110"}}}}}};
  };
  WriteOptions checked{.field_manager = "kube-controller-manager"};
  WriteOptions trusted = checked;
  trusted.trusted = true;
  json a = store_->Create(nodes_, "", node("a"), checked);
  json b = store_->Create(nodes_, "", node("b"), trusted);
  auto same = [](json x, json y) {
    for (json* o : {&x, &y}) {
      for (const char* f : {"name", "uid", "resourceVersion"}) (*o)["metadata"].erase(f);
    }
    EXPECT_EQ(x, y);
  };
  same(a, b);
  same(store_->Get(nodes_, "", "a"), store_->Get(nodes_, "", "b"));
  a["status"]["capacity"]["cpu"] = "4";
  b["status"]["capacity"]["cpu"] = "4";
  checked.status_only = trusted.status_only = true;
  same(store_->Update(nodes_, "", "a", a, checked), store_->Update(nodes_, "", "b", b, trusted));

  // What the checks would refuse is the caller's to avoid: the flag is for bodies made whole by
  // the server, never for a client's.
  EXPECT_EQ(Error([&] { store_->Create(nodes_, "", node("Bad"), checked); }).code(), 422);
  EXPECT_NO_THROW(store_->Create(nodes_, "", node("Bad"), trusted));
}

TEST_F(CrudTest, ClearRemovesEverythingButKeepsCounting) {
  Pod("default", "web");
  auto rv = store_->resource_version();
  store_->Clear();
  EXPECT_TRUE(store_->List(namespaces_, "", {})["items"].empty());
  auto ns = Namespace("default");
  EXPECT_GT(Rv(ns), rv);
}

json WidgetCrd(const std::string& scope = "Namespaced") {
  return {{"metadata", {{"name", "widgets.example.com"}}},
          {"spec",
           {{"group", "example.com"},
            {"scope", scope},
            {"names",
             {{"plural", "widgets"},
              {"singular", "widget"},
              {"kind", "Widget"},
              {"shortNames", {"wd"}}}},
            {"versions",
             {{{"name", "v1"}, {"served", true}, {"storage", true}, {"schema", OpenSchema()}},
              {{"name", "v1beta1"},
               {"served", true},
               {"storage", false},
               {"schema", OpenSchema()}}}}}}};
}

TEST_F(CrudTest, CreatingACrdServesTheNewResource) {
  auto gen = registry_->generation();
  auto crd = store_->Create(crds_, "", WidgetCrd());
  EXPECT_EQ(crd["status"]["conditions"][1]["type"], "Established");
  EXPECT_EQ(crd["status"]["conditions"][1]["status"], "True");
  EXPECT_EQ(crd["status"]["acceptedNames"]["kind"], "Widget");
  EXPECT_GT(registry_->generation(), gen);
  auto widgets = registry_->Find("example.com", "v1", "widgets");
  ASSERT_TRUE(widgets);
  EXPECT_TRUE(widgets->namespaced);
  EXPECT_THAT(widgets->short_names, ElementsAre("wd"));
  EXPECT_TRUE(registry_->Find("example.com", "v1beta1", "widgets"));

  auto w = store_->Create(*widgets, "default",
                          {{"metadata", {{"name", "w1"}}}, {"spec", {{"size", 3}}}});
  EXPECT_EQ(w["apiVersion"], "example.com/v1");
  EXPECT_EQ(w["kind"], "Widget");
  auto beta = store_->Get(*registry_->Find("example.com", "v1beta1", "widgets"), "default", "w1");
  EXPECT_EQ(beta["apiVersion"], "example.com/v1beta1");
  auto e = Error([&] { store_->Get(*widgets, "default", "w2"); });
  EXPECT_STREQ(e.what(), "widgets.example.com \"w2\" not found");
  EXPECT_EQ(e.details(), json({{"name", "w2"}, {"group", "example.com"}, {"kind", "widgets"}}));

  store_->Delete(crds_, "", "widgets.example.com");
  EXPECT_FALSE(registry_->Find("example.com", "v1", "widgets"));
  EXPECT_TRUE(store_->List(*widgets, "", {})["items"].empty());
}

TEST_F(CrudTest, InvalidCrdIs422) {
  auto crd = WidgetCrd();
  crd["metadata"]["name"] = "gadgets.example.com";
  crd["spec"]["scope"] = "Everywhere";
  auto e = Error([&] { store_->Create(crds_, "", crd); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_THAT(e.what(), HasSubstr("CustomResourceDefinition.apiextensions.k8s.io "
                                  "\"gadgets.example.com\" is invalid: ["));
  EXPECT_THAT(e.what(), HasSubstr("spec.scope: Unsupported value: \"Everywhere\": supported "
                                  "values: \"Cluster\", \"Namespaced\""));
  EXPECT_THAT(e.what(), HasSubstr("metadata.name: Invalid value: \"gadgets.example.com\": must be "
                                  "spec.names.plural+\".\"+spec.group"));
  EXPECT_EQ(e.details()["group"], "apiextensions.k8s.io");
  EXPECT_EQ(e.details()["kind"], "CustomResourceDefinition");
  EXPECT_FALSE(registry_->Find("example.com", "v1", "widgets"));
}

TEST_F(CrudTest, ClearForgetsCrdResources) {
  store_->Create(crds_, "", WidgetCrd("Cluster"));
  auto widgets = registry_->Find("example.com", "v1", "widgets");
  ASSERT_TRUE(widgets);
  EXPECT_FALSE(widgets->namespaced);
  store_->Clear();
  EXPECT_FALSE(registry_->Find("example.com", "v1", "widgets"));
}

TEST_F(CrudTest, StatusObjectsLookLikeTheRealServer) {
  auto s = StatusError::NotFound("pods", "x").ToStatus();
  EXPECT_EQ(s, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
    "message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},
    "code":404})"));
  EXPECT_STREQ(StatusError::NotFound("pods", "").what(),
               "the server could not find the requested resource");
  auto m = StatusError::MethodNotAllowed();
  EXPECT_EQ(m.code(), 405);
  EXPECT_STREQ(m.what(), "the server does not allow this method on the requested resource");
  EXPECT_FALSE(StatusError::BadRequest("x").ToStatus().contains("details"));
}

}  // namespace
}  // namespace kubedouble::fake::testing
