// The state folder: every file a client needs to reach the server, with the real port in each.
#pragma once

#include <kubedouble/certs/certs.h>

#include <filesystem>
#include <string>

#include "kubeconfig_yaml.h"
#include "kubedouble/fakeserver/server.h"

namespace kubedouble::fake {

// Fills the path fields of `paths` for state folder `dir` (nothing is written).
void FillPaths(StatePaths& paths, const std::filesystem::path& dir);

// Creates `dir` (and kubeconfigs/) or throws std::runtime_error saying it cannot be written.
void PrepareStateFolder(const std::filesystem::path& dir);

struct StateInputs {
  std::string url;   // https://HOST:PORT
  std::string host;  // 127.0.0.1 or ::1 (unbracketed)
  int port = 0;
  std::string ca_pem;
  certs::KeyPair admin;
};

// The state folder, in two parts (tokens.csv is written by the caller: it is kept across
// restarts). The files that name the server but not the service account's token: kubeconfig,
// kubeconfigs/*.yaml but serviceaccount.yaml, and incluster.env.
void WriteServerFiles(const StatePaths& paths, const StateInputs& in);
// kubeconfigs/serviceaccount.yaml and serviceaccount/, with paths.serviceaccount_token.
void WriteServiceAccountFiles(const StatePaths& paths, const StateInputs& in);

// Writes token, ca.crt and namespace into a fresh ..TIMESTAMP folder and swaps the ..data
// symlink to it atomically (rename), exactly as the kubelet updates projected volumes.
void WriteServiceAccountFolder(const std::filesystem::path& dir, const std::string& token,
                               const std::string& ca_pem, const std::string& ns);

}  // namespace kubedouble::fake
