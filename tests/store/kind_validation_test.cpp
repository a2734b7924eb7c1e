// Validation of Pods, Services, workloads, Jobs and CronJobs: 422 Invalid with upstream's field
// paths and wording; an invalid object is never stored.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

using ::testing::HasSubstr;

class KindValidationTest : public StoreTest {
 protected:
  static json Deployment(const std::string& selector_app, const std::string& template_app) {
    return {{"metadata", {{"name", "web"}}},
            {"spec",
             {{"selector", {{"matchLabels", {{"app", selector_app}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", template_app}}}}},
                {"spec", {{"containers", {{{"name", "main"}, {"image", "nginx"}}}}}}}}}}};
  }
  static json CronJob(const std::string& schedule) {
    return {{"metadata", {{"name", "nightly"}}},
            {"spec",
             {{"schedule", schedule},
              {"jobTemplate",
               {{"spec",
                 {{"template",
                   {{"spec",
                     {{"restartPolicy", "OnFailure"},
                      {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}}}}}}}};
  }
};

TEST_F(KindValidationTest, PodWithoutContainersIsRejectedAndNeverListed) {
  auto e = Error([&] { store_->Create(pods_, "default", {{"metadata", {{"name", "empty"}}}}); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_EQ(e.reason(), "Invalid");
  EXPECT_STREQ(e.what(), "Pod \"empty\" is invalid: spec.containers: Required value");
  EXPECT_EQ(e.details()["causes"][0]["field"], "spec.containers");
  EXPECT_EQ(e.details()["causes"][0]["reason"], "FieldValueRequired");
  EXPECT_TRUE(store_->List(pods_, "default", {})["items"].empty());
}

TEST_F(KindValidationTest, ContainerNamesAndImages) {
  json body = PodBody("web");
  body["spec"]["containers"] = {{{"name", "Main"}, {"image", "nginx"}},
                                {{"image", "nginx"}},
                                {{"name", "side"}},
                                {{"name", "side"}, {"image", "x"}}};
  auto e = Error([&] { store_->Create(pods_, "default", body); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_THAT(e.what(), HasSubstr("spec.containers[0].name: Invalid value: \"Main\": a lowercase "
                                  "RFC 1123 label must consist of"));
  EXPECT_THAT(e.what(), HasSubstr("spec.containers[1].name: Required value"));
  EXPECT_THAT(e.what(), HasSubstr("spec.containers[2].image: Required value"));
  EXPECT_THAT(e.what(), HasSubstr("spec.containers[3].name: Duplicate value: \"side\""));
}

TEST_F(KindValidationTest, AnInvalidUpdateChangesNothing) {
  auto pod = Pod("default", "web");
  auto broken = pod;
  broken["spec"]["containers"] = json::array();
  EXPECT_EQ(Error([&] { store_->Update(pods_, "default", "web", broken); }).code(), 422);
  EXPECT_EQ(Rv(store_->Get(pods_, "default", "web")), Rv(pod));
}

TEST_F(KindValidationTest, DeploymentSelectorMustMatchAndNeverChange) {
  auto mismatch =
      Error([&] { store_->Create(V1("apps", "deployments"), "default", Deployment("a", "b")); });
  EXPECT_STREQ(mismatch.what(),
               "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
               "map[string]string{\"app\":\"b\"}: `selector` does not match template `labels`");
  json missing = Deployment("a", "a");
  missing["spec"].erase("selector");
  EXPECT_STREQ(Error([&] { store_->Create(V1("apps", "deployments"), "default", missing); }).what(),
               "Deployment.apps \"web\" is invalid: spec.selector: Required value");

  auto d = store_->Create(V1("apps", "deployments"), "default", Deployment("a", "a"));
  auto changed = d;
  changed["spec"]["selector"]["matchLabels"]["app"] = "b";
  changed["spec"]["template"]["metadata"]["labels"]["app"] = "b";
  auto e = Error([&] { store_->Update(V1("apps", "deployments"), "default", "web", changed); });
  EXPECT_STREQ(e.what(),
               "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: "
               "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"b\"}, "
               "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
}

TEST_F(KindValidationTest, WorkloadTemplatesRestartAlways) {
  json body = Deployment("a", "a");
  body["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  EXPECT_THAT(Error([&] { store_->Create(V1("apps", "daemonsets"), "default", body); }).what(),
              HasSubstr("spec.template.spec.restartPolicy: Unsupported value: \"Never\": "
                        "supported values: \"Always\""));
}

TEST_F(KindValidationTest, ServicePorts) {
  auto none = Error([&] {
    store_->Create(services_, "default",
                   {{"metadata", {{"name", "web"}}}, {"spec", json::object()}});
  });
  EXPECT_STREQ(none.what(), "Service \"web\" is invalid: spec.ports: Required value");
  auto range = Error([&] {
    store_->Create(services_, "default",
                   {{"metadata", {{"name", "web"}}}, {"spec", {{"ports", {{{"port", 70000}}}}}}});
  });
  EXPECT_STREQ(range.what(),
               "Service \"web\" is invalid: [spec.ports[0].port: Invalid value: 70000: must be "
               "between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 70000: "
               "must be between 1 and 65535, inclusive]");  // targetPort defaults to port
  EXPECT_NO_THROW(
      store_->Create(services_, "default",
                     {{"metadata", {{"name", "headless"}}}, {"spec", {{"clusterIP", "None"}}}}));
  EXPECT_STREQ(Error([&] {
                 store_->Create(
                     services_, "default",
                     {{"metadata", {{"name", "ext"}}}, {"spec", {{"type", "ExternalName"}}}});
               }).what(),
               "Service \"ext\" is invalid: spec.externalName: Required value");
}

TEST_F(KindValidationTest, JobsRestartOnFailureOrNeverAndKeepTheirTemplate) {
  json job = {
      {"metadata", {{"name", "once"}}},
      {"spec",
       {{"template", {{"spec", {{"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}}}}}};
  auto e = Error([&] { store_->Create(V1("batch", "jobs"), "default", job); });
  EXPECT_STREQ(e.what(),
               "Job.batch \"once\" is invalid: spec.template.spec.restartPolicy: Unsupported "
               "value: \"Always\": supported values: \"OnFailure\", \"Never\"");
  job["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  json chosen = job;
  chosen["metadata"]["name"] = "mine";
  chosen["spec"]["selector"] = {{"matchLabels", {{"app", "mine"}}}};
  chosen["spec"]["template"]["metadata"]["labels"] = {{"app", "mine"}};
  EXPECT_THAT(Error([&] { store_->Create(V1("batch", "jobs"), "default", chosen); }).what(),
              HasSubstr("spec.selector: Invalid value: v1.LabelSelector{MatchLabels:"
                        "map[string]string{\"app\":\"mine\"}, MatchExpressions:[]v1."
                        "LabelSelectorRequirement(nil)}: `selector` not auto-generated"));
  chosen["spec"]["manualSelector"] = true;
  EXPECT_NO_THROW(store_->Create(V1("batch", "jobs"), "default", chosen));
  auto created = store_->Create(V1("batch", "jobs"), "default", job);
  created["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2";
  auto immutable = Error([&] { store_->Update(V1("batch", "jobs"), "default", "once", created); });
  EXPECT_EQ(immutable.code(), 422);
  EXPECT_THAT(immutable.what(), HasSubstr("spec.template: Invalid value: "));
  EXPECT_THAT(immutable.what(), HasSubstr(": field is immutable"));
}

TEST_F(KindValidationTest, CronJobSchedules) {
  EXPECT_NO_THROW(
      store_->Create(V1("batch", "cronjobs"), "default", CronJob("*/5 1-3,7 * jan-mar MON")));
  for (const auto& [schedule, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "spec.schedule: Required value"},
           {"foo",
            "spec.schedule: Invalid value: \"foo\": expected exactly 5 fields, found 1: "
            "[foo]"},
           {"61 * * * *",
            "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above "
            "maximum (59): 61"},
           {"@sometimes",
            "spec.schedule: Invalid value: \"@sometimes\": unrecognized "
            "descriptor: @sometimes"}}) {
    auto e = Error([&] { store_->Create(V1("batch", "cronjobs"), "default", CronJob(schedule)); });
    EXPECT_EQ(e.code(), 422) << schedule;
    EXPECT_EQ(std::string(e.what()), "CronJob.batch \"nightly\" is invalid: " + why);
  }
  EXPECT_NO_THROW(store_->Create(V1("batch", "cronjobs"), "default", [] {
    auto c = CronJob("@hourly");
    c["metadata"]["name"] = "hourly";
    return c;
  }()));
}

TEST_F(KindValidationTest, CronJobTimeZonesMustBeKnownAndOutsideTheSchedule) {
  auto with_zone = [](const std::string& schedule, const json& zone) {
    auto c = CronJob(schedule);
    c["spec"]["timeZone"] = zone;
    return c;
  };
  const auto cronjobs = V1("batch", "cronjobs");
  auto berlin = with_zone("0 3 * * *", "Europe/Berlin");
  berlin["metadata"]["name"] = "berlin";
  EXPECT_NO_THROW(store_->Create(cronjobs, "default", berlin));
  const std::string head = "CronJob.batch \"nightly\" is invalid: ";
  for (const auto& [body, why] : std::vector<std::pair<json, std::string>>{
           {with_zone("0 3 * * *", "Mars/Olympus"),
            "spec.timeZone: Invalid value: \"Mars/Olympus\": unknown time zone Mars/Olympus"},
           {with_zone("0 3 * * *", ""),
            "spec.timeZone: Invalid value: \"\": timeZone must be nil or non-empty string"},
           {with_zone("0 3 * * *", "../etc/passwd"),
            "spec.timeZone: Invalid value: \"../etc/passwd\": unknown time zone ../etc/passwd"},
           {with_zone("0 3 * * *", "Local"),
            "spec.timeZone: Invalid value: \"Local\": timeZone must be an explicit time zone as "
            "defined in https://www.iana.org/time-zones"},
           {CronJob("CRON_TZ=Europe/Berlin 0 3 * * *"),
            "spec.schedule: Invalid value: \"CRON_TZ=Europe/Berlin 0 3 * * *\": cannot use TZ or "
            "CRON_TZ in schedule, use timeZone field instead"},
           {CronJob("TZ=Mars/Olympus 0 3 * * *"),
            "[spec.schedule: Invalid value: \"TZ=Mars/Olympus 0 3 * * *\": provided bad location "
            "Mars/Olympus: unknown time zone Mars/Olympus, spec.schedule: Invalid value: "
            "\"TZ=Mars/Olympus 0 3 * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone "
            "field instead]"}}) {
    auto e = Error([&, &body = body] { store_->Create(cronjobs, "default", body); });
    EXPECT_EQ(e.code(), 422) << body.dump();
    EXPECT_EQ(std::string(e.what()), head + why);
  }
  EXPECT_TRUE(store_->List(cronjobs, "default", {})["items"].size() == 1);
}

TEST_F(KindValidationTest, PodUpdatesChangeOnlyImagesDeadlinesAndAddedTolerations) {
  auto pod = store_->Create(pods_, "default", PodBody("web"));
  // What may change: an image, activeDeadlineSeconds, an added toleration, labels.
  pod["spec"]["containers"][0]["image"] = "busybox:2";
  pod["spec"]["activeDeadlineSeconds"] = 30;
  pod["spec"]["tolerations"].push_back({{"key", "gpu"}, {"operator", "Exists"}});
  pod["metadata"]["labels"] = {{"tier", "web"}};
  pod = store_->Update(pods_, "default", "web", pod);
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "busybox:2");

  // What may not: another field of the spec, or a toleration taken away.
  auto changed = pod;
  changed["spec"]["containers"][0]["args"] = {"sleep", "1"};
  changed["spec"]["nodeName"] = "node-9";
  auto e = Error([&] { store_->Update(pods_, "default", "web", changed); });
  EXPECT_EQ(e.code(), 422);
  EXPECT_THAT(e.what(),
              HasSubstr("Pod \"web\" is invalid: spec: Forbidden: pod updates may not change "
                        "fields other than `spec.containers[*].image`,`spec.initContainers[*]."
                        "image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                        "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "
                        "to be set to 1 if it was previously negative)\n  core.PodSpec{\n"));
  EXPECT_THAT(e.what(), HasSubstr("\n+ \tNodeName: \"node-9\",\n"));
  EXPECT_THAT(e.what(), HasSubstr("\"args\":[\"sleep\",\"1\"]"));
  EXPECT_EQ(e.details()["causes"][0]["field"], "spec");
  EXPECT_EQ(e.details()["causes"][0]["reason"], "FieldValueForbidden");

  auto fewer = pod;
  fewer["spec"]["tolerations"].erase(fewer["spec"]["tolerations"].size() - 1);
  EXPECT_EQ(Error([&] { store_->Update(pods_, "default", "web", fewer); }).code(), 422);
  auto patched = Error([&] {
    store_->Patch(pods_, "default", "web", PatchType::kMerge, R"({"spec":{"hostname":"h"}})");
  });
  EXPECT_THAT(patched.what(), HasSubstr("pod updates may not change fields other than"));
  EXPECT_EQ(store_->Get(pods_, "default", "web")["spec"]["containers"][0]["image"], "busybox:2");
}

}  // namespace
}  // namespace kubedouble::fake::testing
