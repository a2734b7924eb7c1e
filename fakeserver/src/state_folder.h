// The state folder: every file a client needs to reach the server, with the real port in each.
#pragma once

#include <kubedouble/certs/certs.h>

#include <filesystem>
#include <string>
#include <vector>

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
// kubeconfigs/serviceaccount.yaml and serviceaccount/, with paths.serviceaccount_token; returns
// the folders of the earlier generations of serviceaccount/, for RemoveFolders.
std::vector<std::filesystem::path> WriteServiceAccountFiles(const StatePaths& paths,
                                                            const StateInputs& in);

// Writes token, ca.crt and namespace into a fresh ..TIMESTAMP folder and swaps the ..data
// symlink to it atomically (rename), exactly as the kubelet updates projected volumes; then
// removes the folders of earlier generations.
void WriteServiceAccountFolder(const std::filesystem::path& dir, const std::string& token,
                               const std::string& ca_pem, const std::string& ns);

// The same without the removal: returns the folders of earlier generations (no longer named by
// ..data), for RemoveFolders. Removing a folder can wait for the file system's journal (0.2 to
// 4 ms measured on ext4 on a busy machine), which a start does after its ready line.
std::vector<std::filesystem::path> WriteServiceAccountGeneration(const std::filesystem::path& dir,
                                                                 const std::string& token,
                                                                 const std::string& ca_pem,
                                                                 const std::string& ns);

// Removes each folder and what it holds; errors are ignored (the folders are leftovers).
void RemoveFolders(const std::vector<std::filesystem::path>& folders);

}  // namespace kubedouble::fake
