// Server-side apply's merge of a configuration into the live object, item by item.
#include "store_fixture.h"

namespace kubedouble::fake::testing {
namespace {

class ApplyMergeTest : public StoreTest {
 protected:
  static json Deployment(json container) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}}},
            {"spec",
             {{"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", {std::move(container)}}}}}}}}};
  }
  static json Env(const std::string& name, const std::string& value) {
    return {{"name", name}, {"value", value}};
  }
  json Apply(const json& config) {
    WriteOptions o;
    o.field_manager = "mgr";
    o.force = true;
    return store_->Patch(deployments_, "default", "web", PatchType::kApply, config.dump(), o);
  }
  ResourceInfo deployments_ = *registry_->Find("apps", "v1", "deployments");
};

TEST_F(ApplyMergeTest, ReordersMergesAndInsertsItems) {
  store_->Create(deployments_, "default",
                 Deployment({{"name", "web"},
                             {"image", "nginx:1"},
                             {"env", {Env("A", "1"), Env("B", "2"), Env("C", "3")}}}));
  json d = Apply(
      Deployment({{"name", "web"}, {"env", {Env("C", "30"), Env("NEW", "n"), Env("A", "10")}}}));
  const json& c = d["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "nginx:1");
  EXPECT_EQ(c["env"], json({Env("C", "30"), Env("NEW", "n"), Env("B", "2"), Env("A", "10")}));
}

TEST_F(ApplyMergeTest, KeepsTheItemsALiveListRepeats) {
  store_->Create(deployments_, "default",
                 Deployment({{"name", "web"},
                             {"image", "nginx:1"},
                             {"env", {Env("MODE", "a"), Env("MODE", "b"), Env("X", "1")}}}));
  json d = Apply(Deployment({{"name", "web"}, {"image", "nginx:2"}, {"env", {Env("MODE", "c")}}}));
  const json& c = d["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "nginx:2");
  EXPECT_EQ(c["env"], json({Env("MODE", "c"), Env("MODE", "b"), Env("X", "1")}));
}

}  // namespace
}  // namespace kubedouble::fake::testing
