// Table-driven tests of the configuration sources: kubeconfig loading and merging, in-cluster,
// proxy, explicit flags and infer(), each case a folder of files and the expected Config or error.
// Over 600 lines for its data: the table of kubeconfig cases (one per loader rule client-go has)
// is most of it, and it reads best whole.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "common/temp_dir.h"
#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"

namespace kubedouble::access {
namespace {

using ::testing::HasSubstr;

// "hello" in base64, and a stand-in for PEM text (config loading never parses PEM).
constexpr const char* kB64Hello = "aGVsbG8=";

std::string Replace(std::string s, const std::string& dir) {
  for (size_t at; (at = s.find("$DIR")) != std::string::npos;) s.replace(at, 4, dir);
  return s;
}

std::string Kubeconfig(const std::string& cluster, const std::string& user,
                       const std::string& extra_top = "", const std::string& context_ns = "") {
  std::string out =
      "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: c1\n  cluster:\n" +
      cluster + "users:\n- name: u1\n  user:\n" + user +
      "contexts:\n- name: main\n  context:\n    cluster: c1\n    user: u1\n" + context_ns +
      extra_top;
  return out;
}

// An environment of exactly `m`.
Env MapEnv(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

// One kubeconfig case: the files of a folder, how the loader is pointed at them, and the
// expected Config (`check`) or error. Written with designated initializers; what a case does
// not name keeps its default.
struct Case {
  std::string name{};
  std::map<std::string, std::string> files{};  // relative path -> content ($DIR expanded)
  std::string explicit_path{};                 // relative to the folder
  std::string kubeconfig_env{};                // ":"-joined, $DIR expanded
  bool home_config = false;                    // HOME=$DIR/home
  std::string context{};
  std::string error{};        // expected substring of what(); empty: success
  std::string error_field{};  // expected config().field
  std::function<void(const Config&, const std::string& dir)> check{};
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class KubeconfigTable : public ::testing::TestWithParam<Case> {};

TEST_P(KubeconfigTable, Loads) {
  const Case& tc = GetParam();
  test::TempDir dir;
  const std::string d = dir.path().string();
  for (const auto& [rel, content] : tc.files) dir.Write(rel, Replace(content, d));
  KubeconfigOptions opts;
  if (!tc.explicit_path.empty()) opts.explicit_path = (dir / tc.explicit_path).string();
  opts.context = tc.context;
  std::map<std::string, std::string> env;
  if (!tc.kubeconfig_env.empty()) env["KUBECONFIG"] = Replace(tc.kubeconfig_env, d);
  env["HOME"] = tc.home_config ? d + "/home" : d + "/nohome";
  opts.env = MapEnv(env);
  if (tc.error.empty()) {
    Config c;
    try {
      c = LoadKubeconfig(opts);
    } catch (const Error& e) {
      FAIL() << "unexpected error: " << e.what();
    }
    EXPECT_EQ(c.source, "kubeconfig");
    if (tc.check) tc.check(c, d);
  } else {
    try {
      LoadKubeconfig(opts);
      FAIL() << "expected an error containing: " << tc.error;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kConfig);
      EXPECT_THAT(e.what(), HasSubstr(Replace(tc.error, d)));
      if (!tc.error_field.empty()) {
        EXPECT_EQ(e.config().field, tc.error_field);
      }
      EXPECT_THAT(e.KubectlMessage(), ::testing::StartsWith("error: "));
    }
  }
}

const std::string kServer = "    server: https://10.0.0.1:6443\n";
const std::string kCaFile = "    certificate-authority: ca.crt\n";
const std::string kToken = "    token: tok-1\n";

std::vector<Case> Cases() {
  std::vector<Case> v;
  // ---- locating files ----
  v.push_back({.name = "explicit_path",
               .files = {{"k/config", Kubeconfig(kServer, kToken)}},
               .explicit_path = "k/config",
               .check = [](const Config& c, const std::string& d) {
                 EXPECT_EQ(c.server, "https://10.0.0.1:6443");
                 EXPECT_EQ(c.token, "tok-1");
                 EXPECT_EQ(c.context, "main");
                 EXPECT_EQ(c.cluster_name, "c1");
                 EXPECT_EQ(c.user_name, "u1");
                 EXPECT_EQ(c.namespace_name, "default");
                 EXPECT_EQ(c.source_file, d + "/k/config");
               }});
  // Found by fuzz_kubeconfig: `user: <scalar>` escaped as yaml-cpp's BadSubscript.
  v.push_back({.name = "user_that_is_not_a_map_is_error",
               .files = {{"k/config",
                          "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                          "    server: https://127.0.0.1:6443\nusers:\n- name: u\n"
                          "  user:\n    token placeholder\ncontexts:\n- name: x\n"
                          "  context: {cluster: c, user: u}\ncurrent-context: x\n"}},
               .explicit_path = "k/config",
               .error = "field user of \"u\" in users must be a map"});
  v.push_back({.name = "explicit_path_missing_is_error",
               .explicit_path = "nope/config",
               .error = "stat $DIR/nope/config: no such file or directory",
               .error_field = "kubeconfig"});
  v.push_back(
      {.name = "explicit_path_beats_env",
       .files = {{"a", Kubeconfig("    server: https://a:1\n", kToken)},
                 {"b", Kubeconfig("    server: https://b:1\n", kToken)}},
       .explicit_path = "b",
       .kubeconfig_env = "$DIR/a",
       .check = [](const Config& c, const std::string&) { EXPECT_EQ(c.server, "https://b:1"); }});
  v.push_back({.name = "home_kube_config",
               .files = {{"home/.kube/config", Kubeconfig(kServer, kToken)}},
               .home_config = true,
               .check = [](const Config& c, const std::string& d) {
                 EXPECT_EQ(c.source_file, d + "/home/.kube/config");
               }});
  v.push_back(
      {.name = "env_beats_home",
       .files = {{"home/.kube/config", Kubeconfig("    server: https://home:1\n", kToken)},
                 {"e", Kubeconfig("    server: https://env:1\n", kToken)}},
       .kubeconfig_env = "$DIR/e",
       .home_config = true,
       .check = [](const Config& c, const std::string&) { EXPECT_EQ(c.server, "https://env:1"); }});
  v.push_back({.name = "no_files_at_all",
               .error = "no configuration has been provided",
               .error_field = "current-context"});
  v.push_back(
      {.name = "env_missing_files_skipped",
       .files = {{"b", Kubeconfig("    server: https://b:1\n", kToken)}},
       .kubeconfig_env = "$DIR/missing1:$DIR/b:$DIR/missing2",
       .check = [](const Config& c, const std::string&) { EXPECT_EQ(c.server, "https://b:1"); }});
  // ---- merging ----
  v.push_back({.name = "merge_first_file_wins_for_cluster",
               .files = {{"a", Kubeconfig("    server: https://first:1\n", kToken)},
                         {"b", Kubeconfig("    server: https://second:1\n", "    token: other\n")}},
               .kubeconfig_env = "$DIR/a:$DIR/b",
               .check = [](const Config& c, const std::string&) {
                 EXPECT_EQ(c.server, "https://first:1");
                 EXPECT_EQ(c.token, "tok-1");
               }});
  v.push_back(
      {.name = "merge_current_context_from_first_file_that_sets_it",
       .files = {{"a",
                  "clusters:\n- name: ca\n  cluster:\n    server: https://a:1\ncontexts:\n- name: "
                  "ctx-a\n  context:\n    cluster: ca\n"},
                 {"b",
                  "current-context: ctx-b\nclusters:\n- name: cb\n  cluster:\n    server: "
                  "https://b:1\ncontexts:\n- name: ctx-b\n  context:\n    cluster: cb\n"},
                 {"c", "current-context: ctx-a\n"}},
       .kubeconfig_env = "$DIR/a:$DIR/b:$DIR/c",
       .check = [](const Config& c, const std::string&) {
         EXPECT_EQ(c.context, "ctx-b");
         EXPECT_EQ(c.server, "https://b:1");
       }});
  v.push_back({.name = "merge_entries_from_different_files",
               .files = {{"a",
                          "current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: cb\n "
                          "   user: ub\n    "
                          "namespace: team\n"},
                         {"b",
                          "clusters:\n- name: cb\n  cluster:\n    server: https://b:1\n    "
                          "certificate-authority: "
                          "b-ca.crt\nusers:\n- name: ub\n  user:\n    token: from-b\n"},
                         {"b-ca.crt", "PEM"}},
               .kubeconfig_env = "$DIR/a:$DIR/b",
               .check = [](const Config& c, const std::string& d) {
                 EXPECT_EQ(c.server, "https://b:1");
                 EXPECT_EQ(c.ca_file, d + "/b-ca.crt");
                 EXPECT_EQ(c.token, "from-b");
                 EXPECT_EQ(c.namespace_name, "team");
               }});
  v.push_back({.name = "merge_duplicate_env_paths",
               .files = {{"a", Kubeconfig(kServer, kToken)}},
               .kubeconfig_env = "$DIR/a:$DIR/a",
               .check = [](const Config& c, const std::string&) { EXPECT_EQ(c.token, "tok-1"); }});
  v.push_back({.name = "empty_file_in_merge_ok",
               .files = {{"empty", ""}, {"a", Kubeconfig(kServer, kToken)}},
               .kubeconfig_env = "$DIR/empty:$DIR/a",
               .check = [](const Config& c, const std::string&) {
                 EXPECT_EQ(c.server, "https://10.0.0.1:6443");
               }});
  // ---- contexts ----
  v.push_back(
      {.name = "context_override",
       .files = {{"k",
                  Kubeconfig(
                      kServer, kToken,
                      "- name: other\n  context:\n    cluster: c1\n    namespace: kube-system\n")}},
       .explicit_path = "k",
       .context = "other",
       .check = [](const Config& c, const std::string&) {
         EXPECT_EQ(c.context, "other");
         EXPECT_EQ(c.namespace_name, "kube-system");
         EXPECT_EQ(c.token, "");
       }});
  v.push_back({.name = "context_override_missing",
               .files = {{"k", Kubeconfig(kServer, kToken)}},
               .explicit_path = "k",
               .context = "nope",
               .error = "context \"nope\" does not exist",
               .error_field = "current-context"});
  v.push_back({.name = "current_context_missing",
               .files = {{"k",
                          "current-context: gone\nclusters:\n- name: c1\n  cluster:\n    server: "
                          "https://x:1\n"}},
               .explicit_path = "k",
               .error = "context \"gone\" does not exist"});
  v.push_back(
      {.name = "no_context_chosen",
       .files = {{"k",
                  "clusters:\n- name: c1\n  cluster:\n    server: https://x:1\ncontexts:\n- name: "
                  "a\n  context:\n    cluster: c1\n"}},
       .explicit_path = "k",
       .error = "invalid configuration: no context chosen",
       .error_field = "current-context"});
  v.push_back(
      {.name = "context_namespace",
       .files = {{"k", Kubeconfig(kServer, kToken, "", "    namespace: apps\n")}},
       .explicit_path = "k",
       .check = [](const Config& c, const std::string&) { EXPECT_EQ(c.namespace_name, "apps"); }});
  // ---- every field ----
  v.push_back(
      {.name = "all_cluster_fields",
       .files = {{"k", Kubeconfig(kServer + kCaFile +
                                      "    tls-server-name: kubernetes.default\n    proxy-url: "
                                      "http://127.0.0.1:3128\n    disable-compression: true\n",
                                  kToken)},
                 {"ca.crt", "PEM"}},
       .explicit_path = "k",
       .check = [](const Config& c, const std::string& d) {
         EXPECT_EQ(c.tls_server_name, "kubernetes.default");
         EXPECT_EQ(c.proxy_url, "http://127.0.0.1:3128");
         EXPECT_TRUE(c.disable_compression);
         EXPECT_EQ(c.ca_file, d + "/ca.crt");
         EXPECT_FALSE(c.insecure);
       }});
  v.push_back(
      {.name = "insecure_field",
       .files = {{"k", Kubeconfig(kServer + "    insecure-skip-tls-verify: true\n", kToken)}},
       .explicit_path = "k",
       .check = [](const Config& c, const std::string&) { EXPECT_TRUE(c.insecure); }});
  v.push_back(
      {.name = "client_cert_files_relative",
       .files = {{"k/config",
                  Kubeconfig(kServer,
                             "    client-certificate: pki/u.crt\n    client-key: pki/u.key\n")},
                 {"k/pki/u.crt", "PEM"},
                 {"k/pki/u.key", "KEY"}},
       .explicit_path = "k/config",
       .check = [](const Config& c, const std::string& d) {
         EXPECT_EQ(c.client_cert_file, d + "/k/pki/u.crt");
         EXPECT_EQ(c.client_key_file, d + "/k/pki/u.key");
       }});
  v.push_back(
      {.name = "absolute_paths_kept",
       .files = {{"k/config",
                  Kubeconfig(
                      kServer,
                      "    client-certificate: $DIR/abs/u.crt\n    client-key: $DIR/abs/u.key\n")},
                 {"abs/u.crt", "PEM"},
                 {"abs/u.key", "KEY"}},
       .explicit_path = "k/config",
       .check = [](const Config& c, const std::string& d) {
         EXPECT_EQ(c.client_cert_file, d + "/abs/u.crt");
       }});
  v.push_back({.name = "relative_token_file",
               .files = {{"k/config", Kubeconfig(kServer, "    tokenFile: tok\n")},
                         {"k/tok", "file-token\n"}},
               .explicit_path = "k/config",
               .check = [](const Config& c, const std::string& d) {
                 EXPECT_EQ(c.token_file, d + "/k/tok");
               }});
  v.push_back(
      {.name = "data_fields_decoded",
       .files = {{"k", Kubeconfig(kServer + "    certificate-authority-data: " + kB64Hello + "\n",
                                  std::string("    client-certificate-data: ") + kB64Hello +
                                      "\n    client-key-data: " + kB64Hello + "\n")}},
       .explicit_path = "k",
       .check = [](const Config& c, const std::string&) {
         EXPECT_EQ(c.ca_data, "hello");
         EXPECT_EQ(c.client_cert_data, "hello");
         EXPECT_EQ(c.client_key_data, "hello");
       }});
  v.push_back(
      {.name = "ca_data_and_file_both_refused_as_kubectl_does",
       .files = {{"k", Kubeconfig(kServer + kCaFile +
                                      "    certificate-authority-data: " + kB64Hello + "\n",
                                  kToken)},
                 {"ca.crt", "PEM"}},
       .explicit_path = "k",
       .error = "certificate-authority-data and certificate-authority are both specified for c1. "
                "certificate-authority-data will override.",
       .error_field = "certificate-authority"});
  v.push_back(
      {.name = "client_cert_and_key_data_and_file_both_refused_as_kubectl_does",
       .files = {{"k",
                  Kubeconfig(
                      kServer,
                      std::string(
                          "    client-certificate: missing.crt\n    client-certificate-data: ") +
                          kB64Hello + "\n    client-key: missing.key\n    client-key-data: " +
                          kB64Hello + "\n")}},
       .explicit_path = "k",
       .error =
           "client-cert-data and client-cert are both specified for u1. client-cert-data will "
           "override., client-key-data and client-key are both specified for u1; client-key-data "
           "will override",
       .error_field = "client-certificate"});
  v.push_back(
      {.name = "token_and_token_file_both_kept",
       .files = {{"k", Kubeconfig(kServer, "    token: a\n    tokenFile: t\n")}, {"t", "b"}},
       .explicit_path = "k",
       .check = [](const Config& c, const std::string& d) {
         EXPECT_EQ(c.token, "a");
         EXPECT_EQ(c.token_file, d + "/t");
       }});
  v.push_back({.name = "server_without_scheme_and_no_tls_is_http",
               .files = {{"k", Kubeconfig("    server: 10.0.0.1:8080\n", "    {}\n")}},
               .explicit_path = "k",
               .check = [](const Config& c, const std::string&) {
                 EXPECT_EQ(c.server, "http://10.0.0.1:8080");
               }});
  v.push_back({.name = "server_without_scheme_with_ca_is_https",
               .files = {{"k", Kubeconfig("    server: 10.0.0.1:6443\n" + kCaFile, kToken)},
                         {"ca.crt", "PEM"}},
               .explicit_path = "k",
               .check = [](const Config& c, const std::string&) {
                 EXPECT_EQ(c.server, "https://10.0.0.1:6443");
               }});
  v.push_back({.name = "context_without_user_is_anonymous",
               .files = {{"k",
                          "current-context: a\nclusters:\n- name: c\n  cluster:\n    server: "
                          "https://x:1\ncontexts:\n- name: a\n  context:\n    cluster: c\n"}},
               .explicit_path = "k",
               .check = [](const Config& c, const std::string&) {
                 EXPECT_EQ(c.user_name, "");
                 EXPECT_EQ(c.token, "");
               }});
  // ---- validation errors ----
  v.push_back({.name = "cluster_has_no_server",
               .files = {{"k", Kubeconfig("    insecure-skip-tls-verify: true\n", kToken)}},
               .explicit_path = "k",
               .error = "invalid configuration: cluster has no server defined",
               .error_field = "server"});
  v.push_back(
      {.name = "cluster_not_found_for_context",
       .files = {{"k",
                  "current-context: a\ncontexts:\n- name: a\n  context:\n    cluster: ghost\n"}},
       .explicit_path = "k",
       .error = "invalid configuration: cluster \"ghost\" was not found for context \"a\"",
       .error_field = "cluster"});
  v.push_back(
      {.name = "user_not_found_for_context",
       .files =
           {{"k",
             "current-context: a\nclusters:\n- name: c\n  cluster:\n    server: "
             "https://x:1\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: ghost\n"}},
       .explicit_path = "k",
       .error = "invalid configuration: user \"ghost\" was not found for context \"a\"",
       .error_field = "user"});
  v.push_back(
      {.name = "client_cert_without_key",
       .files = {{"k", Kubeconfig(kServer, "    client-certificate: u.crt\n")}, {"u.crt", "PEM"}},
       .explicit_path = "k",
       .error = "client-key-data or client-key must be specified for u1 to use the clientCert "
                "authentication method.",
       .error_field = "client-key"});
  v.push_back({.name = "client_key_without_cert",
               .files = {{"k", Kubeconfig(kServer, "    client-key: u.key\n")}, {"u.key", "KEY"}},
               .explicit_path = "k",
               .error =
                   "client-cert-data or client-cert must be specified for u1 to use the clientCert "
                   "authentication method.",
               .error_field = "client-certificate"});
  v.push_back(
      {.name = "more_than_one_auth_method",
       .files = {{"k", Kubeconfig(kServer, "    token: t\n    username: a\n    password: b\n")}},
       .explicit_path = "k",
       .error = "more than one authentication method found for u1; found [token basicAuth], only "
                "one is allowed",
       .error_field = "token"});
  v.push_back(
      {.name = "unreadable_ca_file",
       .files = {{"k", Kubeconfig(kServer + kCaFile, kToken)}},
       .explicit_path = "k",
       .error = "unable to read certificate-authority $DIR/ca.crt for c1 due to open $DIR/ca.crt: "
                "no such file or directory",
       .error_field = "certificate-authority"});
  v.push_back(
      {.name = "unreadable_client_cert",
       .files = {{"k",
                  Kubeconfig(kServer, "    client-certificate: u.crt\n    client-key: u.key\n")},
                 {"u.key", "KEY"}},
       .explicit_path = "k",
       .error =
           "unable to read client-cert $DIR/u.crt for u1 due to open $DIR/u.crt: no such file or "
           "directory",
       .error_field = "client-certificate"});
  v.push_back(
      {.name = "unreadable_client_key",
       .files = {{"k",
                  Kubeconfig(kServer, "    client-certificate: u.crt\n    client-key: u.key\n")},
                 {"u.crt", "PEM"}},
       .explicit_path = "k",
       .error =
           "unable to read client-key $DIR/u.key for u1 due to open $DIR/u.key: no such file or "
           "directory",
       .error_field = "client-key"});
  v.push_back({.name = "unreadable_token_file",
               .files = {{"k", Kubeconfig(kServer, "    tokenFile: nope\n")}},
               .explicit_path = "k",
               .error = "open $DIR/nope: no such file or directory",
               .error_field = "tokenFile"});
  v.push_back(
      {.name = "insecure_with_ca_is_error",
       .files = {{"k",
                  Kubeconfig(kServer + kCaFile + "    insecure-skip-tls-verify: true\n", kToken)},
                 {"ca.crt", "PEM"}},
       .explicit_path = "k",
       .error = "specifying a root certificates file with the insecure flag is not allowed",
       .error_field = "insecure-skip-tls-verify"});
  v.push_back(
      {.name = "exec_user_not_supported",
       .files = {{"k",
                  Kubeconfig(kServer,
                             "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n   "
                             "   command: aws\n")}},
       .explicit_path = "k",
       .error = "user \"u1\" uses an exec credential plugin, which is not supported",
       .error_field = "exec"});
  v.push_back({.name = "auth_provider_user_not_supported",
               .files = {{"k", Kubeconfig(kServer, "    auth-provider:\n      name: oidc\n")}},
               .explicit_path = "k",
               .error = "user \"u1\" uses an auth-provider, which is not supported",
               .error_field = "auth-provider"});
  v.push_back({.name = "bad_proxy_scheme",
               .files = {{"k", Kubeconfig(kServer + "    proxy-url: ftp://p:21\n", kToken)}},
               .explicit_path = "k",
               .error = "unsupported scheme \"ftp\", must be http, https, or socks5",
               .error_field = "proxy-url"});
  v.push_back(
      {.name = "bad_base64",
       .files = {{"k", Kubeconfig(kServer + "    certificate-authority-data: '@@@'\n", kToken)}},
       .explicit_path = "k",
       .error = "illegal base64 data in certificate-authority-data of cluster \"c1\"",
       .error_field = "certificate-authority-data"});
  v.push_back({.name = "malformed_yaml",
               .files = {{"k", "clusters: [unclosed\n"}},
               .explicit_path = "k",
               .error = "error loading config file \"$DIR/k\""});
  // An alias inside its own anchor: a cyclic node graph that the loader's walk (which puts long
  // base64 values back) followed until the stack overflowed.
  v.push_back({.name = "alias_loop",
               .files = {{"k", Kubeconfig(kServer + "    certificate-authority-data: " +
                                              std::string(64, 'A') + "\n    extensions: &e [*e]\n",
                                          kToken)}},
               .explicit_path = "k",
               .error =
                   "error loading config file \"$DIR/k\": yaml-cpp: error at line 9, column 21: "
                   "anchor 'e' value contains itself"});
  v.push_back({.name = "server_not_a_url",
               .files = {{"k", Kubeconfig("    server: https://\n", kToken)}},
               .explicit_path = "k",
               .error = "host must be a URL or a host:port pair: \"https://\"",
               .error_field = "server"});
  v.push_back(
      {.name = "error_names_file_of_entry",
       .files =
           {{"a",
             "current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: cb\n    user: "
             "ub\n"},
            {"b",
             "clusters:\n- name: cb\n  cluster:\n    server: https://b:1\nusers:\n- name: ub\n  "
             "user:\n    client-certificate: z.crt\n"},
            {"z.crt", "PEM"}},
       .kubeconfig_env = "$DIR/a:$DIR/b",
       .error = "(in $DIR/",
       .error_field = "client-key"});

  // Long base64 values (parsed through placeholders, see kubeconfig.cpp): plain, quoted, folded
  // over two lines, in a literal block, and next to the placeholder word itself.
  static const std::string kBytes = [] {
    std::string b;
    for (int i = 0; i < 300; i++) b.push_back(static_cast<char>((i * 37 + 11) % 256));
    return b;
  }();
  static const std::string kLong = [] {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < kBytes.size(); i += 3) {
      uint32_t n = static_cast<unsigned char>(kBytes[i]) << 16 |
                   static_cast<unsigned char>(kBytes[i + 1]) << 8 |
                   static_cast<unsigned char>(kBytes[i + 2]);
      for (int k = 18; k >= 0; k -= 6) out.push_back(a[(n >> k) & 63]);
    }
    return out;
  }();
  const std::string token64(64, 'f');
  v.push_back(
      {.name = "long_base64_plain_and_quoted",
       .files = {{"k", Kubeconfig(kServer + "    certificate-authority-data: " + kLong + "\n",
                                  "    client-certificate-data: \"" + kLong + "\"  \n" +
                                      "    client-key-data: " + kLong + "\r\n" +
                                      "    username: " + kLong.substr(0, 40) + "\n")}},
       .explicit_path = "k",
       .check = [](const Config& c, const std::string&) {
         EXPECT_EQ(c.ca_data, kBytes);
         EXPECT_EQ(c.client_cert_data, kBytes);
         EXPECT_EQ(c.client_key_data, kBytes);
         EXPECT_EQ(c.username, kLong.substr(0, 40));
       }});
  v.push_back(
      {.name = "long_base64_folded_over_two_lines",
       .files = {{"k", Kubeconfig(kServer + "    certificate-authority-data: " +
                                      kLong.substr(0, 200) + "\n      " + kLong.substr(200) + "\n",
                                  "    token: " + token64 + "\n")}},
       .explicit_path = "k",
       .check = [token64](const Config& c, const std::string&) {
         EXPECT_EQ(c.ca_data, kBytes);  // "a b" folded; base64 ignores the space
         EXPECT_EQ(c.token, token64);
       }});
  v.push_back(
      {.name = "long_base64_literal_block_and_placeholder_word",
       .files = {{"k",
                  "# kubedoubleLongScalar0x is only a word here\n" +
                      Kubeconfig(kServer + "    certificate-authority-data: |\n      " +
                                     kLong.substr(0, 200) + "\n      " + kLong.substr(200) + "\n",
                                 "    token: " + token64 + "\n")}},
       .explicit_path = "k",
       .check = [token64](const Config& c, const std::string&) {
         EXPECT_EQ(c.ca_data, kBytes);
         EXPECT_EQ(c.token, token64);
       }});
  v.push_back(
      {.name = "long_base64_bad_data_names_the_field",
       .files = {{"k", Kubeconfig(kServer + "    certificate-authority-data: " + kLong + "!\n",
                                  kToken)}},
       .explicit_path = "k",
       .error = "illegal base64 data in certificate-authority-data",
       .error_field = "certificate-authority-data"});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Cases, KubeconfigTable, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// ---- in-cluster ----

TEST(InCluster, ReadsEnvAndFolder) {
  test::TempDir dir;
  dir.Write("sa/token", "  jwt-token\n");
  dir.Write("sa/ca.crt", "PEM");
  dir.Write("sa/namespace", "apps\n");
  InClusterOptions o{dir / "sa", MapEnv({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                         {"KUBERNETES_SERVICE_PORT", "443"}})};
  EXPECT_TRUE(InClusterPossible(o));
  Config c = InCluster(o);
  EXPECT_EQ(c.source, "in-cluster");
  EXPECT_EQ(c.server, "https://10.96.0.1:443");
  EXPECT_EQ(c.token, "jwt-token");
  EXPECT_EQ(c.token_file, (dir / "sa/token").string());
  EXPECT_EQ(c.ca_file, (dir / "sa/ca.crt").string());
  EXPECT_EQ(c.namespace_name, "apps");
  EXPECT_EQ(c.tls_server_name, "");
}

TEST(InCluster, Ipv6HostIsBracketedAndPodNamespaceWins) {
  test::TempDir dir;
  dir.Write("token", "t");
  dir.Write("namespace", "from-file");
  Config c = InCluster({dir.path(), MapEnv({{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                            {"KUBERNETES_SERVICE_PORT", "6443"},
                                            {"POD_NAMESPACE", "from-env"}})});
  EXPECT_EQ(c.server, "https://[fd00::1]:6443");
  EXPECT_EQ(c.namespace_name, "from-env");
}

TEST(InCluster, MissingCaIsOnlyAWarningAndNamespaceDefaults) {
  test::TempDir dir;
  dir.Write("token", "t");
  Config c = InCluster(
      {dir.path(), MapEnv({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}})});
  EXPECT_EQ(c.ca_file, "");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("Expected to load root CA config from"));
  EXPECT_EQ(c.namespace_name, "default");
}

TEST(InCluster, MissingEnvIsClientGosError) {
  test::TempDir dir;
  dir.Write("token", "t");
  InClusterOptions o{dir.path(), MapEnv({{"KUBERNETES_SERVICE_HOST", "h"}})};
  EXPECT_FALSE(InClusterPossible(o));
  try {
    InCluster(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST "
                          "and KUBERNETES_SERVICE_PORT must be defined"));
  }
}

TEST(InCluster, MissingTokenFile) {
  test::TempDir dir;
  try {
    InCluster(
        {dir.path(), MapEnv({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "1"}})});
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr("open " + (dir / "token").string() + ": no such file or directory"));
    EXPECT_EQ(e.config().field, "token");
  }
}

// ---- proxy, flags, infer ----
TEST(Proxy, PlainHttpOnly) {
  Config c = FromProxy("127.0.0.1:8001");
  EXPECT_EQ(c.server, "http://127.0.0.1:8001");
  EXPECT_EQ(c.token, "");
  EXPECT_THROW(FromProxy("https://127.0.0.1:8001"), Error);
}

TEST(Flags, OverrideKubeconfigLikeKubectl) {
  test::TempDir dir;
  dir.Write("ca.crt", "PEM");
  dir.Write("k", Kubeconfig(kServer + kCaFile, "    tokenFile: t\n"));
  dir.Write("t", "file-token");
  KubeconfigOptions ko;
  ko.explicit_path = (dir / "k").string();
  Config base = LoadKubeconfig(ko);
  Flags f;
  f.server = "https://127.0.0.1:9443";
  f.token = "flag-token";
  f.insecure_skip_tls_verify = true;  // clears the kubeconfig's CA (client-go)
  f.namespace_name = "ns1";
  Config c = ApplyFlags(base, f);
  EXPECT_EQ(c.server, "https://127.0.0.1:9443");
  EXPECT_EQ(c.token, "flag-token");
  EXPECT_EQ(c.token_file, "");
  EXPECT_TRUE(c.insecure);
  EXPECT_FALSE(c.HasCa());
  EXPECT_EQ(c.namespace_name, "ns1");
}

TEST(Flags, InsecureWithCaFlagIsError) {
  test::TempDir dir;
  dir.Write("ca.crt", "PEM");
  Flags f;
  f.server = "https://h:1";
  f.certificate_authority = (dir / "ca.crt").string();
  f.insecure_skip_tls_verify = true;
  EXPECT_THROW(
      {
        try {
          FromFlags(f);
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(),
                       "specifying a root certificates file with the insecure flag is not allowed");
          throw;
        }
      },
      Error);
}

TEST(Flags, ServerRequiredAlone) { EXPECT_THROW(FromFlags({}), Error); }

TEST(Infer, KubeconfigFirstThenInClusterThenDefault) {
  test::TempDir dir;
  dir.Write("sa/token", "t");
  dir.Write("home/.kube/config", Kubeconfig(kServer, kToken));
  auto env = MapEnv({{"HOME", (dir / "home").string()},
                     {"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                     {"KUBERNETES_SERVICE_PORT", "443"}});
  InferOptions o;
  o.kubeconfig.env = env;
  o.in_cluster = {dir / "sa", env};
  EXPECT_EQ(Infer(o).source, "kubeconfig");
  std::filesystem::remove(dir / "home/.kube/config");
  EXPECT_EQ(Infer(o).source, "in-cluster");
  dir.Write("home/.kube/config", "");  // an empty kubeconfig counts as none
  EXPECT_EQ(Infer(o).source, "in-cluster");
  o.in_cluster.env = MapEnv({});
  Config d = Infer(o);
  EXPECT_EQ(d.source, "default");
  EXPECT_EQ(d.server, "http://localhost:8080");
}

TEST(ErrorWording, KubectlLines) {
  Error refused(ErrorKind::kConnectRefused, "dial tcp 127.0.0.1:1: connect: connection refused");
  refused.server = "127.0.0.1:1";
  EXPECT_EQ(refused.KubectlMessage(),
            "The connection to the server 127.0.0.1:1 was refused - did you specify the right host "
            "or port?");
  auto s = DecodeStatus(
      404,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"foo\" not found","reason":"NotFound","code":404})");
  EXPECT_EQ(Error::Http(s).KubectlMessage(),
            "Error from server (NotFound): pods \"foo\" not found");
  EXPECT_EQ(
      Error::Http(
          DecodeStatus(
              401,
              R"({"kind":"Status","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"))
          .KubectlMessage(),
      "error: You must be logged in to the server (Unauthorized)");
  EXPECT_EQ(Error::Http(DecodeStatus(404, "404 page not found")).KubectlMessage(),
            "Error from server (NotFound): the server could not find the requested resource");
}

}  // namespace
}  // namespace kubedouble::access
