// kubedouble::fake::Server — a fake Kubernetes API server that real clients accept.
//
// It serves HTTPS with a certificate from the certs kit, authenticates requests in the order a
// real kube-apiserver does (client certificate, static bearer token, service-account JWT,
// anonymous when enabled), authorizes them against a policy (before routing, as a real server
// does), and answers discovery, version, health and core resource reads from the object store.
//
// Start() also writes the state folder a client needs to reach the server (see README.md):
//
//   DIR/pki/                  the certs kit bundle (kept across restarts unless fresh_pki)
//   DIR/kubeconfig            one cluster, one user (admin client certificate), one context
//   DIR/kubeconfigs/*.yaml    token, mtls, insecure, anonymous, serviceaccount
//   DIR/serviceaccount/       token, ca.crt, namespace behind a kubelet-style ..data symlink
//   DIR/incluster.env         KUBERNETES_SERVICE_HOST/PORT/PORT_HTTPS, ready to `source`
//   DIR/tokens.csv            static tokens in kube-apiserver's --token-auth-file format
//   DIR/serve.lock            held while a server runs (a second one on DIR refuses, naming it)
//   DIR/store.wal             the objects, with `persist`
//
//   kubedouble::fake::Server server({.dir = "state", .port = 0});
//   server.Start();
//   // ... kubectl --kubeconfig state/kubeconfig get pods -A ...
//   server.Stop();
#pragma once

#include <kubedouble/certs/certs.h>
#include <kubedouble/fakeserver/faults.h>
#include <kubedouble/fakeserver/objects_file.h>
#include <kubedouble/fakeserver/server_modes.h>
#include <kubedouble/fakeserver/static_tokens.h>
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::fake {

class ServerClock;
class FaultSet;
class Journal;
class Store;
struct PortRule;

struct ServerOptions {
  std::filesystem::path dir = ".kubedouble";  // the state folder
  std::string address = "127.0.0.1";          // "::1" works (URL https://[::1]:PORT)
  int port = 6443;                            // 0: an ephemeral port
  bool fresh_pki = false;                     // mint a new PKI (and tokens) even if one exists
  ServeCert serve_cert = ServeCert::kGood;    // which serving certificate to present
  // Added to the serving certificate: an existing one lacking a name is re-issued by the same
  // cluster CA (the CA changes only with fresh_pki).
  std::vector<std::string> extra_sans{};
  // Where clients reach the server when that is not the listening address (a container, a VM,
  // address "0.0.0.0"): every kubeconfig, incluster.env and the serving certificate's names
  // follow it. advertise_url is a whole https://HOST[:PORT] (port 443 when none);
  // advertise_address a host name or IP with the listening port. Neither: the listening address,
  // or 127.0.0.1 (::1) when that is 0.0.0.0 (::), which no client could verify.
  std::string advertise_url{};
  std::string advertise_address{};
  certs::KeyType key_type = certs::KeyType::kEcdsaP256;
  bool anonymous = false;  // authenticate requests without credentials as system:anonymous
  // Static bearer tokens that replace the generated tokens.csv (the first one is the admin's);
  // empty: the existing tokens.csv, or new ones. LoadTokenFile (static_tokens.h) reads a
  // --token-auth-file style CSV.
  std::vector<StaticToken> tokens{};
  // RBAC objects (Roles, ClusterRoles and bindings) stored beside the bootstrap policy; errors
  // about one start with its `source`. LoadPolicyObjects (objects_file.h) reads a --policy file,
  // the old `rules:` format converted (README.md).
  std::vector<SourcedObject> policy{};
  Authorization authorization = Authorization::kRbac;  // server_modes.h
  bool default_fixtures = true;  // namespaces, pods, service accounts, secrets, config maps
  // Objects stored at start, in order, after the default fixtures and the policy; errors about
  // one start with its `source`. LoadFixtureObjects (objects_file.h) reads YAML/JSON files or
  // folders.
  std::vector<SourcedObject> fixtures{};
  size_t journal_size = 10000;
  // Limits (README.md, "Limits"): connections served at once (more are answered 429 with
  // Retry-After), and watches open at once (more are answered 429 with Retry-After). An idle
  // connection or an open watch costs memory, not a thread, and kube-apiserver caps neither (it
  // limits requests in flight, watches aside), so 0, the default, means as many as this process
  // can hold: connections, seven eighths of its open-file limit
  // (net::ConnectionsTheFileLimitAllows); watches, as many as connections (at that many, they cost
  // a seventh of what the connections do: about 2 KB a watch, 15 KB a connection).
  size_t max_connections = 0;
  size_t max_watches = 0;
  // HTTP/2: offered in the TLS handshake (ALPN "h2" before "http/1.1") as kube-apiserver does;
  // off, the server speaks HTTP/1.1 only (`serve --http2=false`).
  bool http2 = true;
  // A connection has this long for its TLS handshake and first request head, and from the first
  // byte of each later request for its head (kube-apiserver's ReadHeaderTimeout); then it ends.
  // When every worker is taken, the connection waiting longest for a head (or idle) ends first.
  std::chrono::milliseconds head_timeout{std::chrono::seconds(32)};
  std::optional<std::filesystem::path> journal_file{};  // append every entry as a JSON line
  // Faults, clock, token lifetimes and the admin API (README.md, "Faults, clock and admin API").
  // The fault rules the server starts with (faults.h; LoadFaultsFile reads a --faults file);
  // the admin API adds, replaces and removes rules at run time.
  std::vector<FaultRule> faults{};
  ClockMode clock = ClockMode::kReal;       // kFake stands still until the admin API moves it
  std::chrono::seconds sa_token_ttl{3600};  // serviceaccount/token is re-minted this often
  // A replaced serviceaccount/token stays valid this long (client-go re-reads the file every
  // minute, so 90 s lets every well-behaved client pick up the new one).
  std::chrono::seconds sa_token_grace{90};
  std::string admin_token{};  // a bearer token allowed on /__kubedouble/ ("" : none)
  // One line per answered request on stderr, as kube-apiserver's httplog writes them.
  bool log_requests = false;
  // Keep the objects in DIR/store.wal (write-ahead, fsync'd before a write is answered;
  // kubedouble/fakeserver/persist.h): a restart, even after kill -9, finds every acknowledged
  // write and resourceVersions continue. The fixtures are loaded only into an empty store.
  bool persist = false;
  // The change history kept for watches and exact lists, by the server's clock (the fake one
  // with clock "fake"): older changes are compacted, as kube-apiserver has etcd compact every
  // 5 minutes; a watch or list from before gets 410 Expired. Zero: kept until the count and
  // byte bounds (store.h) push them out. POST /__kubedouble/compact compacts at once.
  std::chrono::seconds compaction_window{300};
};

// Everything Start() writes into the state folder, and the credentials in it.
struct StatePaths {
  std::filesystem::path dir, pki_dir, ca_crt, kubeconfig, kubeconfigs_dir, token_kubeconfig,
      mtls_kubeconfig, insecure_kubeconfig, anonymous_kubeconfig, serviceaccount_kubeconfig,
      serviceaccount_dir, incluster_env, tokens_csv;
  std::string admin_token;           // first row of tokens.csv (group system:masters)
  std::string user_token;            // second row: a user with no privileges ("" if none)
  std::string user_name;             // that user's name
  std::string serviceaccount_token;  // default/default service account (serviceaccount/token)
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads or mints the PKI, loads the fixtures, binds, writes the state folder and serves in
  // background threads. Throws std::runtime_error with a message naming the problem (port in
  // use, unwritable folder, bad fixture, bad policy, bad tokens file, ...).
  void Start();
  // Stops accepting connections and returns once in-flight requests are answered. Idempotent.
  void Stop();
  // Blocks until the server is stopped (by Stop() from another thread).
  void Wait();
  bool running() const;

  // The URL clients use: https://127.0.0.1:PORT, https://[::1]:PORT, or the advertised one.
  std::string url() const;
  int port() const;
  const StatePaths& paths() const;
  const certs::Bundle& bundle() const;
  const ServerOptions& options() const;
  Journal& journal();
  Store& store();
  ServerClock& clock();
  FaultSet& faults();

  // Mints a new token for the default service account and swaps it into serviceaccount/
  // atomically (new ..data folder, then rename of the symlink), as the kubelet does. The
  // previous token stays valid for options().sa_token_grace, then answers 401.
  void RotateServiceAccountToken();

  // What the simulated containers' ports do beyond the default responder, pod by pod
  // (container_ports.h: PortRulesFor); the control plane sets it from its stages. Thread-safe.
  void SetPortRules(std::function<std::vector<PortRule>(const nlohmann::json& pod)> rules_for_pod);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// An in-process server for tests, as small as Go's httptest.NewTLSServer: a temporary state
// folder, an ephemeral port, started on construction, stopped and removed on destruction.
class TestServer {
 public:
  // Uses `options` but overrides dir (a new temporary folder) and port (0).
  explicit TestServer(ServerOptions options = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  const std::string& url() const { return url_; }
  int port() const;
  const StatePaths& paths() const;
  std::string ca_pem() const;  // the cluster CA, to trust
  Journal& journal();
  Server& server() { return *server_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
  std::string url_;
};

}  // namespace kubedouble::fake
