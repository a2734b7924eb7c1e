// Lists in every form the server answers (plain and indented JSON, YAML, protobuf,
// PartialObjectMetadataList) are kept while the store is unchanged (Store::ListJson and
// ListAnswer): the next list after a write shows the write in every form, no form is answered
// with another's body, and a kept answer leaves exactly as the one first made did, over HTTP/1.1
// and HTTP/2, compressed or not, with the headers of an answer made for its request.
#include <gtest/gtest.h>
#include <kubedouble/base/yaml_json.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "client.h"
#include "common/h2_client.h"
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

// What a client sees of an answer: its status, headers (names in lower case; the values of
// those that differ between any two requests, Date and Audit-Id, left out) and body.
template <typename Headers>
std::string Seen(int status, const Headers& headers, const std::string& body) {
  std::multimap<std::string, std::string> sorted;
  for (const auto& [name, value] : headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    sorted.emplace(lower, lower == "date" || lower == "audit-id" ? "*" : value);
  }
  std::string seen = std::to_string(status) + "\n";
  for (const auto& [name, value] : sorted) seen += name + ": " + value + "\n";
  return seen + "\n" + body;
}

// The header names of `seen` (Seen), one a line, but Content-Encoding (only some media types
// are compressed).
std::string Names(const std::string& seen) {
  std::string names;
  for (size_t at = seen.find('\n') + 1; at < seen.size() && seen[at] != '\n';) {
    const size_t end = seen.find('\n', at);
    std::string name = seen.substr(at, seen.find(':', at) - at);
    if (name != "content-encoding") names += name + "\n";
    at = end + 1;
  }
  return names;
}

// Whether an answer in `form` is compressed for a client that accepts gzip (cpp-httplib
// compresses application/json, not YAML or protobuf).
bool Compressed(const Form& form) { return std::string(form.content_type) == "application/json"; }

const httplib::Headers kTable = {{"Accept", "application/json;as=Table;g=meta.k8s.io;v=v1"}};

// Seen(...) of the answer to GET `target` with `accept` and, unless empty, Accept-Encoding
// `encoding`, over one protocol.
using Getter = std::function<std::string(const std::string& target, const std::string& accept,
                                         const std::string& encoding)>;

// In every form, with and without gzip, and each time from a new store state: the list made
// for a first request and kept for the second leaves the same, with the headers of a Table
// (made for every request, a body of its own). `exact_encoding`: the client sends only the
// Accept-Encoding asked for, so whether the answer is compressed is checked too.
void ExpectKeptAnswersLeaveAsMade(TestServer& srv, const Getter& get, bool exact_encoding) {
  auto c = testing::Client(srv, testing::AdminToken(srv));
  const std::string path = "/api/v1/namespaces/default/configmaps";
  int created = 0;
  for (const Form& form : kForms) {
    for (const std::string encoding : {"", "gzip"}) {
      auto w =
          c->Post(path, json{{"metadata", {{"name", "cm" + std::to_string(++created)}}}}.dump(),
                  "application/json");
      ASSERT_TRUE(w);
      ASSERT_EQ(w->status, 201);
      const std::string made = get(path + form.query, form.accept, encoding);
      const std::string kept = get(path + form.query, form.accept, encoding);
      EXPECT_EQ(made, kept) << form.name << " " << encoding;
      EXPECT_NE(made.find("content-type: " + std::string(form.content_type) + "\n"),
                std::string::npos)
          << made;
      if (exact_encoding) {
        EXPECT_EQ(made.find("content-encoding: gzip\n") != std::string::npos,
                  !encoding.empty() && Compressed(form))
            << made;
      }
      EXPECT_EQ(Names(kept), Names(get(path, kTable.begin()->second, encoding)))
          << form.name << " " << encoding;
    }
  }
}

TEST(ListAnswers, AKeptAnswerLeavesAsTheFirstOneOverHttp1) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  ExpectKeptAnswersLeaveAsMade(
      srv,
      [&](const std::string& target, const std::string& accept, const std::string& encoding) {
        httplib::Headers headers = {{"Accept", accept}};
        if (!encoding.empty()) headers.emplace("Accept-Encoding", encoding);
        auto r = c->Get(target, headers);
        EXPECT_TRUE(r);
        return r ? Seen(r->status, r->headers, r->body) : std::string();
      },
      false);
}

TEST(ListAnswers, AKeptAnswerLeavesAsTheFirstOneOverHttp2) {
  TestServer srv;
  testing::H2Client h2(srv.port(), srv.paths().ca_crt.string());
  ASSERT_TRUE(h2.ok()) << "ALPN chose '" << h2.alpn() << "'";
  ExpectKeptAnswersLeaveAsMade(
      srv,
      [&](const std::string& target, const std::string& accept, const std::string& encoding) {
        std::vector<std::pair<std::string, std::string>> headers = {
            {"authorization", "Bearer " + srv.paths().admin_token}, {"accept", accept}};
        if (!encoding.empty()) headers.emplace_back("accept-encoding", encoding);
        const int32_t id = h2.Request("GET", target, {}, headers);
        EXPECT_TRUE(h2.RunUntil([&] { return h2.reply(id).done; }));
        const auto& r = h2.reply(id);
        return Seen(r.status, r.headers, r.body);
      },
      true);
}

TEST(ListAnswers, ATableIsMadeForEveryRequest) {
  TestServer srv;
  auto c = testing::Client(srv, testing::AdminToken(srv));
  auto rows = [&] {
    auto r = c->Get("/api/v1/namespaces/default/configmaps", kTable);
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
