// The header helpers (headers.h) find and place headers exactly as cpp-httplib's own calls would:
// names without case, the first of several, and the tree's order kept.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "headers.h"

namespace kubedouble::fake {
namespace {

std::vector<std::pair<std::string, std::string>> InOrder(const httplib::Headers& headers) {
  return {headers.begin(), headers.end()};
}

TEST(Headers, FirstHeaderFindsANameInAnyCaseAndTheFirstOfSeveral) {
  const httplib::Headers h{{"user-agent", "kubectl/v1.32"},
                           {"Accept", "application/json"},
                           {"ACCEPT", "application/yaml"},
                           {"Authorization", "Bearer t"}};
  EXPECT_EQ(FirstHeader(h, "User-Agent"), "kubectl/v1.32");
  EXPECT_EQ(FirstHeader(h, "accept"), "application/json");
  EXPECT_EQ(FirstHeader(h, "Accept"), httplib::detail::get_header_value(h, "Accept", 0, ""));
  EXPECT_EQ(FirstHeader(h, "Authorization"), "Bearer t");
  EXPECT_EQ(FirstHeader(h, "Authorizatio"), "");
  EXPECT_EQ(FirstHeader(h, "Host"), "");
  EXPECT_EQ(FirstHeader({}, "Host"), "");
}

TEST(Headers, ReplaceAndAddKeepTheOrderOfTheTree) {
  httplib::Headers ours, theirs;
  for (auto* h : {&ours, &theirs}) {
    h->emplace("Audit-Id", "a");
    h->emplace("content-type", "text/plain");
    h->emplace("Content-Type", "text/html");
    h->emplace("X-Kubernetes-Pf-Flowschema-Uid", "f");
  }
  ReplaceHeader(ours, "Content-Type", "application/json");
  theirs.erase("Content-Type");
  theirs.emplace("Content-Type", "application/json");
  EXPECT_EQ(InOrder(ours), InOrder(theirs));

  AddHeaderUnlessSet(ours, "Cache-Control", "no-cache, private");
  theirs.emplace("Cache-Control", "no-cache, private");
  AddHeaderUnlessSet(ours, "cache-control", "other");  // there is one: unchanged
  AddHeaderUnlessSet(ours, "Warning", "299 - \"w\"");
  theirs.emplace("Warning", "299 - \"w\"");
  AddHeaderUnlessSet(ours, "A", "first");
  theirs.emplace("A", "first");
  AddHeaderUnlessSet(ours, "Zz", "last");
  theirs.emplace("Zz", "last");
  EXPECT_EQ(InOrder(ours), InOrder(theirs));
  EXPECT_EQ(ours.count("cache-control"), 1u);
  EXPECT_EQ(ours.count("content-type"), 1u);
}

}  // namespace
}  // namespace kubedouble::fake
