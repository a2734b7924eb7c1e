// Accept and Content-Type read as kube-apiserver reads them (fakeserver/src/negotiate.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kubedouble/fakeserver/store.h>

#include "deprecation.h"
#include "negotiate.h"

namespace kubedouble::fake {
namespace {

OutputFormat Negotiate(const std::string& accept, Endpoint e = {.transforms = true},
                       const std::string& agent = "") {
  return NegotiateOutput({accept, agent, nullptr}, e);
}

TEST(Negotiate, QualityThenSpecificityThenOrder) {
  EXPECT_EQ(Negotiate("").encoding, Encoding::kJson);
  EXPECT_EQ(Negotiate("*/*").encoding, Encoding::kJson);
  EXPECT_EQ(Negotiate("application/yaml, application/json").encoding, Encoding::kYaml);
  EXPECT_EQ(Negotiate("application/yaml;q=0.5, application/json").encoding, Encoding::kJson);
  EXPECT_EQ(Negotiate("*/*, application/yaml").encoding, Encoding::kYaml);  // specific first
  EXPECT_EQ(Negotiate("application/vnd.kubernetes.protobuf, */*").encoding, Encoding::kProtobuf);
  // A custom resource has no protobuf form: the next range decides.
  EXPECT_EQ(Negotiate("application/vnd.kubernetes.protobuf, application/json",
                      {.transforms = true, .custom_resource = true})
                .encoding,
            Encoding::kJson);
}

TEST(Negotiate, TransformsNeedMetaGroupAndVersion) {
  auto t = Negotiate("application/json;as=Table;g=meta.k8s.io;v=v1beta1");
  EXPECT_EQ(t.transform, Transform::kTable);
  EXPECT_EQ(t.MetaApiVersion(), "meta.k8s.io/v1beta1");
  EXPECT_EQ(Negotiate("application/json;as=Table;g=meta.k8s.io;v=v2, application/yaml").encoding,
            Encoding::kYaml);
  EXPECT_EQ(Negotiate("application/json;as=Foo;g=meta.k8s.io;v=v1, application/json").transform,
            Transform::kNone);
  auto pom = Negotiate(
      "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1");
  EXPECT_EQ(pom.encoding, Encoding::kProtobuf);
  EXPECT_EQ(pom.transform, Transform::kPartialObjectMetadataList);
  // Discovery allows no transform: 406.
  EXPECT_THROW(Negotiate("application/json;as=Table;g=meta.k8s.io;v=v1", {}), StatusError);
}

TEST(Negotiate, WatchesStreamJsonOrProtobuf) {
  auto w = Negotiate("application/json;stream=watch", {.transforms = true, .watch = true});
  EXPECT_TRUE(w.watch);
  EXPECT_STREQ(w.ContentType(), "application/json");
  auto p = Negotiate("application/vnd.kubernetes.protobuf;stream=watch",
                     {.transforms = true, .watch = true});
  EXPECT_STREQ(p.ContentType(), "application/vnd.kubernetes.protobuf;stream=watch");
  try {
    Negotiate("application/yaml, application/json", {.transforms = true, .watch = true});
    ADD_FAILURE() << "a YAML watch was accepted";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.code(), 406);
    EXPECT_STREQ(e.what(),
                 "only the following media types are accepted: application/json;stream=watch, "
                 "application/vnd.kubernetes.protobuf;stream=watch");
  }
  // stream=watch on YAML is no match at all.
  EXPECT_THROW(Negotiate("application/yaml;stream=watch"), StatusError);
}

TEST(Negotiate, PrettyByParameterMediaTypeOrAgent) {
  std::string yes = "true", no = "0";
  EXPECT_TRUE(NegotiateOutput({"", "", &yes}, {}).pretty);
  EXPECT_FALSE(NegotiateOutput({"", "curl/8.0", &no}, {}).pretty);
  EXPECT_TRUE(NegotiateOutput({"", "curl/8.0", nullptr}, {}).pretty);
  EXPECT_TRUE(NegotiateOutput({"", "Mozilla/5.0 (X11)", nullptr}, {}).pretty);
  EXPECT_FALSE(NegotiateOutput({"", "kubectl/v1.32.0", nullptr}, {}).pretty);
  EXPECT_TRUE(NegotiateOutput({"application/json;pretty=1", "", nullptr}, {}).pretty);
  EXPECT_FALSE(Negotiate("", {.watch = true}, "curl/8").pretty);  // watch events never
}

TEST(Negotiate, InputByContentType) {
  EXPECT_EQ(NegotiateInput(""), Encoding::kJson);
  EXPECT_EQ(NegotiateInput("application/json; charset=utf-8"), Encoding::kJson);
  EXPECT_EQ(NegotiateInput("Application/YAML"), Encoding::kYaml);
  EXPECT_EQ(NegotiateInput("application/vnd.kubernetes.protobuf"), Encoding::kProtobuf);
  try {
    NegotiateInput("text/plain");
    ADD_FAILURE() << "text/plain was accepted";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.code(), 415);
    EXPECT_EQ(e.reason(), "UnsupportedMediaType");
  }
}

TEST(Deprecation, KubeAwareVersionOrder) {
  EXPECT_GT(CompareKubeAwareVersions("v1", "v1beta2"), 0);
  EXPECT_GT(CompareKubeAwareVersions("v1beta2", "v1beta1"), 0);
  EXPECT_GT(CompareKubeAwareVersions("v1beta1", "v1alpha3"), 0);
  EXPECT_GT(CompareKubeAwareVersions("v2", "v1"), 0);
  EXPECT_GT(CompareKubeAwareVersions("v1alpha1", "foo"), 0);
  EXPECT_EQ(CompareKubeAwareVersions("v1", "v1"), 0);
}

}  // namespace
}  // namespace kubedouble::fake
