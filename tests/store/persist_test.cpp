// Store::Persist and the store log (kubedouble/fakeserver/persist.h): a second store on the same
// log is the first one, resourceVersions included, custom resources included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kubedouble/fakeserver/persist.h"
#include "kubedouble/fakeserver/store.h"
#include "store_fixture.h"

namespace kubedouble::fake {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct TempLog {
  fs::path dir = fs::temp_directory_path() /
                 ("kd-persist-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  TempLog() { fs::create_directories(dir); }
  ~TempLog() { fs::remove_all(dir); }
  std::string file() const { return StoreLogPath(dir).string(); }
};

struct Opened {
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
  std::unique_ptr<Store> store = std::make_unique<Store>(registry);
  ResourceInfo Find(const std::string& group, const std::string& plural) const {
    return *registry->Find(group, "v1", plural);
  }
};

json WidgetCrd() {
  return {{"metadata", {{"name", "widgets.example.com"}}},
          {"spec",
           {{"group", "example.com"},
            {"scope", "Namespaced"},
            {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
            {"versions",
             {{{"name", "v1"},
               {"served", true},
               {"storage", true},
               {"schema", testing::OpenSchema()}}}}}}};
}

std::string Rv(const json& o) { return o["metadata"]["resourceVersion"]; }

TEST(StorePersist, ASecondStoreOnTheLogHasEveryObjectWithItsResourceVersion) {
  TempLog log;
  std::string c1_rv, w1_rv;
  int64_t last = 0;
  {
    Opened a;
    EXPECT_FALSE(a.store->Persist(log.file()));  // nothing yet
    auto ns = a.Find("", "namespaces");
    a.store->Create(ns, "", {{"metadata", {{"name", "default"}}}});
    auto crds = *a.registry->Find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    a.store->Create(crds, "", WidgetCrd());
    auto widgets = a.Find("example.com", "widgets");
    w1_rv = Rv(a.store->Create(widgets, "default", {{"metadata", {{"name", "w1"}}}}));
    // The definition changes after its custom resource: it must still load first.
    json crd = a.store->Get(crds, "", "widgets.example.com");
    crd["metadata"]["labels"] = {{"changed", "yes"}};
    a.store->Update(crds, "", "widgets.example.com", crd);
    auto cms = a.Find("", "configmaps");
    a.store->Create(cms, "default", {{"metadata", {{"name", "c1"}}}, {"data", {{"k", "1"}}}});
    json c1 = a.store->Get(cms, "default", "c1");
    c1["data"]["k"] = "2";
    c1_rv = Rv(a.store->Update(cms, "default", "c1", c1));
    a.store->Create(cms, "default", {{"metadata", {{"name", "gone"}}}});
    a.store->Delete(cms, "default", "gone");
    last = a.store->resource_version();
  }
  Opened b;
  EXPECT_TRUE(b.store->Persist(log.file()));
  auto cms = b.Find("", "configmaps");
  json c1 = b.store->Get(cms, "default", "c1");
  EXPECT_EQ(Rv(c1), c1_rv);
  EXPECT_EQ(c1["data"]["k"], "2");
  auto widgets = b.registry->Find("example.com", "v1", "widgets");
  ASSERT_TRUE(widgets) << "the definition's resource is served again";
  EXPECT_EQ(Rv(b.store->Get(*widgets, "default", "w1")), w1_rv);
  EXPECT_THROW(b.store->Get(cms, "default", "gone"), StatusError);
  EXPECT_EQ(b.store->resource_version(), last);  // the deletion's revision counts too
  json next = b.store->Create(cms, "default", {{"metadata", {{"name", "next"}}}});
  EXPECT_EQ(Rv(next), std::to_string(last + 1));

  // And a third store sees the write of the second.
  Opened c;
  EXPECT_TRUE(c.store->Persist(log.file()));
  EXPECT_EQ(Rv(c.store->Get(c.Find("", "configmaps"), "default", "next")),
            std::to_string(last + 1));
}

TEST(StorePersist, AClearIsKeptAndTheCounterGoesOn) {
  TempLog log;
  int64_t last = 0;
  {
    Opened a;
    a.store->Persist(log.file());
    a.store->Create(a.Find("", "namespaces"), "", {{"metadata", {{"name", "x"}}}});
    a.store->Clear();
    last = a.store->resource_version();
  }
  Opened b;
  EXPECT_FALSE(b.store->Persist(log.file()));
  EXPECT_THROW(b.store->Get(b.Find("", "namespaces"), "", "x"), StatusError);
  EXPECT_EQ(b.store->resource_version(), last);
}

TEST(StorePersist, TheLogOfAStoppedServerReadsAndWritesAsObjects) {
  TempLog log;
  {
    Opened a;
    a.store->Persist(log.file());
    a.store->Create(a.Find("", "namespaces"), "", {{"metadata", {{"name", "team"}}}});
    a.store->Create(a.Find("", "configmaps"), "team", {{"metadata", {{"name", "c"}}}});
    EXPECT_EQ(a.store->Snapshot(), ReadStoreLog(log.dir / "store.wal"));
  }
  auto objects = ReadStoreLog(log.dir / "store.wal");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(objects[0]["kind"], "Namespace");  // loading order: namespaces first
  TempLog other;
  WriteStoreLog(other.dir / "store.wal", objects);
  Opened b;
  EXPECT_TRUE(b.store->Persist(other.file()));
  EXPECT_EQ(b.store->Get(b.Find("", "configmaps"), "team", "c")["metadata"]["name"], "c");
}

TEST(StorePersist, ADamagedRecordNamesTheFileAndLine) {
  TempLog log;
  {
    std::ofstream out(log.file());
    out << "{\"rv\":2,\"mark\":true}\nnot json\n";
  }
  Opened a;
  try {
    a.store->Persist(log.file());
    FAIL() << "a damaged log was loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(log.file() + ": line 2 is not a store record"));
  }
}

}  // namespace
}  // namespace kubedouble::fake
