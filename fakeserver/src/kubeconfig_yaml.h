// The kubeconfigs of the state folder: one cluster, one user, one context, as text.
#pragma once

#include <string>

namespace kubedouble::fake {

struct KubeconfigUser {
  std::string name;
  std::string token{};        // bearer token, or ""
  std::string client_cert{};  // PEM, or ""
  std::string client_key{};   // PEM, or ""
  // No credentials, said as `token: " "`: kubectl prompts for a user name when a user has no
  // field at all, and a basic-auth user name would conflict with `kubectl --token`. A blank token
  // is sent as "Bearer " + blanks, which the server (like kube-apiserver) reads as no token.
  bool blank_token = false;
};

struct KubeconfigCluster {
  std::string server;    // https://127.0.0.1:PORT
  std::string ca_pem{};  // "" with insecure
  bool insecure = false;
};

// A kubeconfig with exactly one cluster, one user and one context (current-context set). The
// text is the one yaml-cpp's emitter gives (KubeconfigYamlEmitted), byte for byte; it is written
// directly when every value is one the emitter leaves plain or quotes without escapes (a URL of
// the usual characters, printable ASCII tokens, some credential), which is every start of
// `kubedouble serve` without an unusual --advertise-url or tokens file, and by the emitter
// otherwise.
std::string KubeconfigYaml(const KubeconfigCluster& cluster, const KubeconfigUser& user);

// The same kubeconfig through yaml-cpp's emitter, whatever the values.
std::string KubeconfigYamlEmitted(const KubeconfigCluster& cluster, const KubeconfigUser& user);

}  // namespace kubedouble::fake
