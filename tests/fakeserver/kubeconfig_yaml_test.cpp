// The state folder's kubeconfigs are written directly for the usual values: the text must be the
// one yaml-cpp's emitter gave (and kubectl, Python and client-node read), byte for byte, for
// every kind of user the folder holds and for the values that need the emitter's quoting.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "kubeconfig_yaml.h"
#include "kubedouble/certs/certs.h"

namespace kubedouble::testing {
namespace {

using fake::KubeconfigCluster;
using fake::KubeconfigUser;

// Minted at run time, as the state folder's are: the PEM text the writer must carry unchanged.
const certs::KeyPair& Ca() {
  static const certs::KeyPair ca = certs::MakeCa();
  return ca;
}
const certs::KeyPair& Admin() {
  static const certs::KeyPair admin = certs::IssueClient(Ca(), {.user = "kubedouble-admin"});
  return admin;
}
const std::string kCa = Ca().cert.Pem();
const std::string kCert = Admin().cert.Pem();
const std::string kKey = Admin().key.PrivatePem();
const std::string kToken = "0091f075ce000c8c2fd7f15abdb2a2097670f8c4e5d99bdea891915ff3d48064";

// The users of the state folder (kubeconfig, kubeconfigs/*.yaml), as WriteServerFiles makes them.
std::vector<std::pair<KubeconfigCluster, KubeconfigUser>> StateFolderKubeconfigs(
    const std::string& server, const std::string& token) {
  KubeconfigCluster secure{server, kCa, false};
  return {
      {secure, {"kubedouble-admin", "", kCert, kKey}},
      {secure, {.name = "token", .token = token}},
      {secure, {"mtls", "", kCert, kKey}},
      {{server, "", true}, {.name = "insecure", .token = token}},
      {secure, {"anonymous", "", "", "", true}},
      {secure, {.name = "serviceaccount", .token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}},
  };
}

TEST(KubeconfigYaml, IsTheEmittersTextByteForByte) {
  for (const std::string server :
       {"https://127.0.0.1:6443", "https://[::1]:40123", "https://kd.example.test",
        "https://kd.example.test:443/prefix/", "https://10.0.0.1:6443/a_b~c%20d"}) {
    for (const auto& [cluster, user] : StateFolderKubeconfigs(server, kToken)) {
      EXPECT_EQ(fake::KubeconfigYaml(cluster, user), fake::KubeconfigYamlEmitted(cluster, user))
          << server << " " << user.name;
    }
  }
}

// Values the emitter quotes or escapes, or that YAML would read as something else: the same text
// as the emitter's, and read back as the value given.
TEST(KubeconfigYaml, ValuesThatNeedQuotingAreWrittenAsTheEmitterWritesThem) {
  const std::vector<std::string> servers = {
      "https://h:1/a b", "https://h:1/#x", "https://h:", "null", "https://h/é", "https://h/{x}"};
  const std::vector<std::string> tokens = {"a\"b", "a\\b", "tab\there", "ü-token", "#x: y"};
  for (const auto& server : servers) {
    for (const auto& [cluster, user] : StateFolderKubeconfigs(server, kToken)) {
      std::string text = fake::KubeconfigYaml(cluster, user);
      EXPECT_EQ(text, fake::KubeconfigYamlEmitted(cluster, user)) << server;
      EXPECT_EQ(YAML::Load(text)["clusters"][0]["cluster"]["server"].as<std::string>(), server);
    }
  }
  for (const auto& token : tokens) {
    for (const auto& [cluster, user] : StateFolderKubeconfigs("https://127.0.0.1:6443", token)) {
      std::string text = fake::KubeconfigYaml(cluster, user);
      EXPECT_EQ(text, fake::KubeconfigYamlEmitted(cluster, user)) << token;
      if (user.name == "token") {
        EXPECT_EQ(YAML::Load(text)["users"][0]["user"]["token"].as<std::string>(), token);
      }
    }
  }
  for (const std::string name : {"true", "No", "Admin User", "x: y", ""}) {
    KubeconfigCluster cluster{"https://127.0.0.1:6443", kCa, false};
    KubeconfigUser user{.name = name, .token = kToken};
    std::string text = fake::KubeconfigYaml(cluster, user);
    EXPECT_EQ(text, fake::KubeconfigYamlEmitted(cluster, user)) << name;
    EXPECT_EQ(YAML::Load(text)["users"][0]["name"].as<std::string>(), name);
  }
  KubeconfigUser nothing{.name = "nobody"};
  KubeconfigCluster cluster{"https://127.0.0.1:6443", kCa, false};
  EXPECT_EQ(fake::KubeconfigYaml(cluster, nothing), fake::KubeconfigYamlEmitted(cluster, nothing));
}

}  // namespace
}  // namespace kubedouble::testing
