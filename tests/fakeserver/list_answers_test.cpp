// Lists in every form the server answers (plain and indented JSON, YAML, protobuf,
// PartialObjectMetadataList) are kept while the store is unchanged (Store::ListJson and
// ListAnswer): the next list after a write shows the write in every form, and no form is
// answered with another's body.
#include <gtest/gtest.h>
#include <kubedouble/base/yaml_json.h>

#include <algorithm>
#include <string>
#include <vector>

#include "client.h"
#include "protobuf.h"

namespace kubedouble::fake {
namespace {

using json = nlohmann::json;

struct Form {
  const char* name;
  const char* query;  // appended to the list's path
  const char* accept;
  const char* content_type;
};

const Form kForms[] = {
    {"json", "", "application/json", "application/json"},
    {"pretty", "?pretty=true", "application/json", "application/json"},
    {"yaml", "", "application/yaml", "application/yaml"},
    {"protobuf", "", "application/vnd.kubernetes.protobuf", "application/vnd.kubernetes.protobuf"},
    {"metadata", "", "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
     "application/json"},
};

// The names in the list answered in `form`, checking its Content-Type and kind.
std::vector<std::string> Names(httplib::SSLClient& c, const std::string& path, const Form& form) {
  auto r = c.Get(path + form.query, {{"Accept", form.accept}});
  EXPECT_TRUE(r);
  if (!r) return {};
  EXPECT_EQ(r->status, 200) << form.name;
  EXPECT_EQ(r->get_header_value("Content-Type"), form.content_type) << form.name;
  json list;
  const std::string name = form.name;
  if (name == "yaml") {
    list = base::LoadYamlAsJson(r->body);
  } else if (name == "protobuf") {
    list = DecodeProtobufBody(r->body);
  } else {
    list = json::parse(r->body);
    EXPECT_EQ(r->body.find("\n  ") != std::string::npos, name == "pretty") << form.name;
  }
  EXPECT_EQ(list["kind"], name == "metadata" ? "PartialObjectMetadataList" : "ConfigMapList");
  std::vector<std::string> names;
  for (const auto& item : list["items"]) names.push_back(item["metadata"]["name"]);
  return names;
}

TEST(ListAnswers, EveryFormShowsTheNextWriteAndKeepsItsOwnBody) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  const std::string path = "/api/v1/namespaces/default/configmaps";
  auto create = [&](const std::string& name) {
    auto r = c->Post(path, json{{"metadata", {{"name", name}}}}.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201);
  };
  const std::vector<std::string> before = Names(*c, path, kForms[0]);
  create("first");
  for (int round = 0; round < 2; ++round) {  // the second round is answered from what was kept
    for (const Form& form : kForms) {
      auto names = Names(*c, path, form);
      EXPECT_EQ(names.size(), before.size() + 1) << form.name;
      EXPECT_NE(std::find(names.begin(), names.end(), "first"), names.end()) << form.name;
    }
  }
  create("second");
  for (const Form& form : kForms) {
    auto names = Names(*c, path, form);
    EXPECT_EQ(names.size(), before.size() + 2) << form.name;
    EXPECT_NE(std::find(names.begin(), names.end(), "second"), names.end()) << form.name;
  }
  auto r = c->Delete(path + "/first");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  for (const Form& form : kForms) {
    auto names = Names(*c, path, form);
    EXPECT_EQ(std::find(names.begin(), names.end(), "first"), names.end()) << form.name;
  }
}

TEST(ListAnswers, ATableIsMadeForEveryRequest) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  const httplib::Headers table = {{"Accept", "application/json;as=Table;g=meta.k8s.io;v=v1"}};
  auto rows = [&] {
    auto r = c->Get("/api/v1/namespaces/default/configmaps", table);
    EXPECT_TRUE(r);
    return r ? json::parse(r->body)["rows"].size() : 0;
  };
  const size_t before = rows();
  auto r = c->Post("/api/v1/namespaces/default/configmaps", R"({"metadata":{"name":"t"}})",
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(rows(), before + 1);
}

}  // namespace
}  // namespace kubedouble::fake
