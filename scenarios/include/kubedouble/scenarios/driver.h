// kubedouble::scenarios — client drivers: one small adapter per client.
//
// A driver turns (target, request) into one run of its client and normalizes what happened
// into an Outcome. Each driver says whether its client exists on this machine and which access
// paths and requests it can express; the runner reports anything else as skipped, with the
// reason — never as a pass.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kubedouble/scenarios/model.h"
#include "kubedouble/scenarios/outcome.h"

namespace kubedouble::scenarios {

// Where and how the client reaches the server, after the runner has set everything up.
struct Target {
  AccessPath path = AccessPath::kToken;
  std::string server;  // the URL the client uses: https://HOST:PORT, or http://127.0.0.1:P (proxy)
  std::string host;    // the host part of `server`
  int port = 0;
  std::string ca_file;  // "" means the system roots
  bool insecure = false;
  std::string token;  // bearer token ("" none)
  std::string cert_file, key_file;
  std::string tls_server_name;
  bool via_flags = false;  // kubeconfig-aware clients: explicit flags instead of `kubeconfig`
  std::string kubeconfig;  // a kubeconfig holding the fields above (token/insecure/mtls/... paths)
  // The kubeconfig path: absolute file names in KUBECONFIG order; env or --kubeconfig; context.
  std::vector<std::string> kubeconfigs;
  bool kubeconfig_env = true;
  std::string context;
  // In-cluster: the service-account folder and environment, and whether the client runs in a
  // private mount namespace where they are at the real places.
  std::string sa_dir;
  std::map<std::string, std::string> incluster_env;
  // A hosts file mapping kubernetes.default.svc and the scenario's host name to loopback; used
  // inside the private mount namespace. "" when the client needs no name resolution help.
  std::string hosts_file;
  bool private_mounts = false;   // the runner can run clients in a private mount namespace
  std::string admin_kubeconfig;  // the server's own kubeconfig (seed path: kubectl config view)
  std::filesystem::path work;    // this run's folder (HOME and caches live under it)

  nlohmann::json ToJson() const;
};

// The request path a scenario's request uses: "/api/v1/namespaces/default/pods", ...
std::string RequestPath(const Request& request);
// The HTTP method of a request.
std::string RequestMethod(const Request& request);
// What a port-forward request sends through the forwarded connection, as one line; the
// outcome's message is the first line that comes back (an echo port answers it).
inline constexpr const char* kPortForwardLine = "hello through port-forward";

struct Job {
  const Scenario* scenario = nullptr;
  Target target;
  std::map<std::string, std::string> env;  // the client's environment (clean, HOME set)
  std::chrono::milliseconds timeout{30000};
};

class Driver {
 public:
  virtual ~Driver() = default;
  virtual std::string name() const = 0;
  // "" when the client can run on this machine; else why not ("kubectl: not found on PATH").
  virtual std::string Unavailable() const = 0;
  // "" when the client can express the scenario's access path and request; else why not.
  virtual std::string Unsupported(const Scenario& scenario) const = 0;
  // What the run produced; Outcome::Skipped(why) when, once set up, it cannot happen here (the
  // client cannot reach in-cluster files without a private mount namespace, ...).
  virtual Outcome Run(const Job& job) = 0;
  // The client's version as the reports record it ("kubectl v1.32.4", "curl 7.88.1",
  // "kubernetes 22.6.0 (Python 3.11.2)"); "" when it cannot be told. Asked once per run.
  virtual std::string Version() const { return ""; }
};

// The driver for one of KnownClients(); nullptr for an unknown name. `clients_dir` holds the
// python/ and node/ driver scripts (ClientsDir() when empty).
std::unique_ptr<Driver> MakeDriver(const std::string& name,
                                   const std::filesystem::path& clients_dir = {});

// scenarios/clients: $KUBEDOUBLE_CLIENTS, next to the built-in suites, or the source tree.
std::filesystem::path ClientsDir();

// Runs `argv` in a private mount namespace (root + unshare) with `sa_dir` bound at
// /var/run/secrets/kubernetes.io/serviceaccount and `hosts_file` at /etc/hosts (either may be
// empty). Returns argv unchanged when both are empty.
std::vector<std::string> InPrivateMounts(const std::vector<std::string>& argv,
                                         const std::string& sa_dir, const std::string& hosts_file);
// True when this process may create private mount namespaces (checked once).
bool PrivateMountsAvailable();

}  // namespace kubedouble::scenarios
