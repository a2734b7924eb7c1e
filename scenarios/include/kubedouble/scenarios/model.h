// kubedouble::scenarios — the scenario model.
//
// A scenario is one question about one access path: the server it needs (authentication,
// serving certificate, policy, fixtures, faults, a MITM in front), how the client reaches it
// (the access path), what the client asks (the request), and what must happen (the expected
// outcome, which may differ per client, with a line saying why). Suites are YAML files of
// scenarios; see scenarios/README.md for the schema and parser.h for loading.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kubedouble::scenarios {

using json = nlohmann::json;

// Where in a suite file something was written (1-based), for error messages and reports.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string ToString() const;  // "file:line:column"
};

// ---- the server ----
struct ServerSetup {
  std::string serve_cert = "good";  // good | expired | not-yet-valid | wrong-host | rogue
  std::vector<std::string> sans;    // extra SANs on the serving certificate
  bool anonymous = false;
  std::string authorization = "RBAC";  // RBAC | AlwaysAllow | AlwaysDeny
  std::optional<json> policy;          // RBAC objects or the old `rules:` map
  std::optional<std::string> tokens;   // token-auth-file text (CSV)
  std::vector<json> fixtures;          // objects stored at start
  bool default_fixtures = true;
  std::optional<json> faults;        // fault rules (faults.h)
  std::optional<std::string> clock;  // real | fake
  bool mitm = false;                 // a MITM (rogue CA certificate) sits in front
  // Rotate the service-account token once everything is set up (after the runner read the
  // tokens a scenario names), and how long the replaced token stays valid.
  bool rotate_sa_token = false;
  std::optional<int> sa_token_grace;  // seconds
  // The simulated control plane (controlplane/): unset, none runs (a bare API server); else
  // "all" or a comma list of controllers (serve --controllers), with `nodes` nodes and the
  // PodStage documents in `stages` (serve --stages) scripting what happens to pods.
  std::optional<std::string> controllers;
  int nodes = 1;
  std::vector<json> stages;
};

// ---- the access path ----
enum class AccessPath {
  kToken,           // bearer token + CA (kubeconfigs/token.yaml; curl --cacert -H Authorization)
  kInsecure,        // bearer token, no verification (insecure-skip-tls-verify; curl --insecure)
  kMtls,            // client certificate from a kubeconfig (curl --cert/--key)
  kAnonymous,       // CA, no credentials
  kServiceAccount,  // the default service account's token + CA
  kKubeconfig,      // the scenario's own kubeconfig files (KUBECONFIG or --kubeconfig)
  kInCluster,       // service-account files + in-cluster environment, in a private namespace
  kProxy,           // a `kubectl proxy` in front; the client speaks plain http without credentials
  kSidecar,         // `kubectl proxy` running in-cluster (a sidecar in a "pod"); client over http
  kSeed,            // the seed page's shell lines (APISERVER/TOKEN from kubectl, then curl)
};
std::string AccessPathName(AccessPath path);
std::optional<AccessPath> ParseAccessPath(const std::string& name);
std::vector<std::string> AccessPathNames();

// A file the runner writes before the clients run (relative to the scenario's work folder).
struct FileSpec {
  std::string path;
  std::optional<std::string> content;  // literal text, ${PLACEHOLDERS} substituted
  std::optional<std::string> from;     // ca | rogue-ca | admin-cert | admin-key | sa-token | ...
  SourceLocation where;
};

// A kubectl-style proxy in front of the server (proxy and sidecar paths).
struct ProxySetup {
  std::string address = "127.0.0.1";
  bool disable_filter = false;
  std::optional<std::string> accept_hosts;
  std::optional<std::string> reject_paths;
  // Whose credentials the proxy forwards with: "kubeconfig" (the admin client certificate) or
  // "token" (kubeconfigs/token.yaml, the admin token).
  std::string credentials = "kubeconfig";
  // Which proxy: "kubectl" (`kubectl proxy`, a process) or "kubedouble" (`kubedouble proxy`'s
  // access::Proxy, in the runner's process), with the same flags.
  std::string program = "kubectl";
};

struct Access {
  AccessPath path = AccessPath::kToken;
  // How the client names the server: "127.0.0.1" (default), "localhost", "::1", or a DNS name
  // that the runner maps to loopback for the clients that resolve it.
  std::string host = "127.0.0.1";
  std::string ca;  // cluster | rogue | none (system roots); default from the path
  std::string
      token;  // admin | user | serviceaccount | bad | tokenrequest | tokenrequest-expired | none
  std::string client_cert;  // admin | expired-admin | none
  std::optional<bool> insecure;
  std::string via = "kubeconfig";  // kubeconfig | flags: how kubeconfig-aware clients get it
  std::string tls_server_name;
  // kubeconfig path: the files (already listed in `files`) in KUBECONFIG order.
  std::vector<std::string> kubeconfigs;
  bool kubeconfig_env = true;  // true: KUBECONFIG=a:b; false: --kubeconfig a (one file)
  std::string context;
  // The namespace the client's own configuration names: the in-cluster namespace file
  // (serviceaccount/namespace) and the context of the kubeconfig the runner writes. "" keeps
  // "default". A request with `namespace: inferred` shows whether the client uses it.
  std::string ns;
  std::vector<FileSpec> files;
  ProxySetup proxy;
};

// ---- the request ----
enum class Verb {
  kList,
  kGet,
  kRaw,
  kWhoami,
  kCreate,
  kPatch,
  kDelete,
  kWatch,
  kVersion,
  kExec,         // runs `command` in pod `name` (kubectl exec, the clients' exec streams)
  kPortForward,  // forwards `port` of pod `name`, sends a line and reads what comes back
};
std::string VerbName(Verb verb);
std::optional<Verb> ParseVerb(const std::string& name);

// Whom the client impersonates (kubectl --as/--as-group/--as-uid, Impersonate-* headers).
struct Impersonation {
  std::string user;  // "" when the request impersonates nobody
  std::vector<std::string> groups;
  std::string uid;
  bool empty() const { return user.empty(); }
};

struct Request {
  Verb verb = Verb::kList;
  std::string resource = "pods";
  std::string ns = "default";  // "" or "all" for all namespaces (lists)
  bool all_namespaces = false;
  // `namespace: inferred`: the client names no namespace and uses the one its configuration
  // gives (kubeconfig context, in-cluster namespace file); `ns` is then "".
  bool inferred_namespace = false;
  std::string name;
  std::string path;                  // raw
  std::string method = "GET";        // raw
  std::optional<json> body;          // create / patch / raw
  std::string patch_type = "merge";  // merge | strategic | json | apply
  // Server-side apply (patch_type apply): the manager that owns what the body sets
  // (?fieldManager=, kubectl --field-manager) and whether it takes fields other managers own
  // (?force=true, kubectl --force-conflicts) instead of a 409 conflict.
  std::string field_manager;
  bool force = false;
  int events = 0;                    // watch: stop after this many events
  std::vector<std::string> command;  // exec: the command and its arguments
  int port = 0;                      // port-forward: the pod's port
  double timeout_seconds = 0;        // client-side request timeout (0: the client's default)
  std::map<std::string, std::string> headers;  // extra headers (clients that can set them)
  Impersonation impersonate;                   // through the client's own impersonation settings
};

// A request the runner makes as the cluster admin once the server is up and before the client
// runs (to bind a role, then delete the binding, ...). It must succeed.
struct SetupStep {
  std::string method;  // POST | PUT | PATCH | DELETE
  std::string path;    // "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings"
  std::optional<json> body;
  // PATCH: merge | strategic | json | apply (a server-side apply names its manager in the
  // path's query, ?fieldManager=).
  std::string patch_type = "merge";
  SourceLocation where;
};

// ---- outcomes ----
enum class OutcomeKind { kOk, kTlsError, kHttpError, kConnectError, kConfigError, kTimeout };
std::string OutcomeKindName(OutcomeKind kind);
std::optional<OutcomeKind> ParseOutcomeKind(const std::string& name);

// What must be observed. Unset fields are not checked.
struct Expectation {
  OutcomeKind kind = OutcomeKind::kOk;
  std::optional<std::string>
      tls;                  // unknown_authority | hostname_mismatch | expired | not_yet_valid
  std::optional<int> code;  // http status (ok: 200/201; http_error: 4xx/5xx)
  std::optional<std::string> reason;  // Status reason (http_error)
  // Words the client's message must contain (the Status message, or the client's own line).
  std::optional<std::string> message;
  std::optional<int> items;
  std::optional<int> min_items;
  std::optional<std::string> user;       // the user the server saw
  std::optional<std::string> path;       // the request path the server saw
  std::optional<int> events;             // watch
  std::optional<bool> authenticated;     // a TokenReview's status.authenticated
  std::map<std::string, bool> evidence;  // token_leaked, client_cert_offered, ...
  std::string why;                       // required where a client's expectation differs
  SourceLocation where;
  json ToJson() const;
};

// What a client override says: either another expectation or a skip with its reason.
struct ClientExpectation {
  std::optional<Expectation> expect;
  std::optional<std::string> skip;
};

struct Scenario {
  std::string suite;
  std::string name;
  std::string description;
  ServerSetup server;
  std::vector<SetupStep> setup;  // as the admin, in order, before the client runs
  Access access;
  Request request;
  Expectation expect;
  std::map<std::string, ClientExpectation> clients;  // per-client overrides
  std::vector<std::string> only;                     // run only on these clients
  SourceLocation where;

  std::string id() const { return suite + "/" + name; }
  // The expectation for `client` (its override or the common one).
  const ClientExpectation* Override(const std::string& client) const;
  Expectation ExpectationFor(const std::string& client) const;
};

struct Suite {
  std::string name;
  std::string description;
  std::string file;
  std::vector<Scenario> scenarios;
};

// The clients the runner knows, in report order.
const std::vector<std::string>& KnownClients();

}  // namespace kubedouble::scenarios
