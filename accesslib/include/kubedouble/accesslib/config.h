// kubedouble::access::Config — every way of locating and authenticating to an API server ends
// in one plain value: server URL, TLS material, credentials, proxy, namespace.
//
// Sources, each following client-go (see reference/client-behavior.md):
//   LoadKubeconfig()  --kubeconfig PATH, else KUBECONFIG (merged: first file wins), else
//                     ~/.kube/config; a context chosen by name or current-context.
//   InCluster()       KUBERNETES_SERVICE_HOST/_PORT and the service-account folder.
//   FromProxy()       a plain http:// endpoint such as `kubectl proxy` (no credentials).
//   ApplyFlags()      kubectl's explicit flags (--server, --token, ...) over any of the above.
//   Infer()           kubeconfig first, in-cluster when no kubeconfig is found.
//
// Every function throws kubedouble::access::Error of kind kConfig with client-go's wording and
// the file and entry at fault.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kubedouble::access {

struct Config {
  // Where the value came from: "kubeconfig", "in-cluster", "proxy", "flags" or "default".
  std::string source;
  std::string source_file;  // the kubeconfig (the first one that was read) or in-cluster folder
  std::string context;      // the chosen context, for kubeconfig sources
  std::string cluster_name;
  std::string user_name;

  // ---- cluster ----
  std::string server;           // scheme://host[:port][/prefix]; always has a scheme
  std::string tls_server_name;  // the name checked in the server certificate and sent in SNI
  bool insecure = false;        // skip server certificate verification (logs a warning)
  std::string ca_file;          // PEM file with the trusted roots
  std::string ca_data;          // PEM text; beats ca_file
  std::string proxy_url;        // http://host:port, used with HTTP CONNECT
  bool disable_compression = false;

  // ---- user ----
  std::string client_cert_file, client_cert_data;  // PEM; data beats file
  std::string client_key_file, client_key_data;
  std::string token;               // bearer token
  std::string token_file;          // re-read every token_refresh; beats `token` while readable
  std::string username, password;  // basic auth (kept for validation; sent only over TLS)

  // ---- impersonation (kubeconfig user: as, as-uid, as-groups, as-user-extra) ----
  // Sent as Impersonate-User, Impersonate-Uid, one Impersonate-Group per group and
  // Impersonate-Extra-<key> per value, as client-go sends them; the server then acts as that
  // identity if the user above may impersonate it.
  std::string impersonate_user;
  std::string impersonate_uid;
  std::vector<std::string> impersonate_groups;
  std::map<std::string, std::vector<std::string>> impersonate_extra;

  // ---- context ----
  std::string namespace_name = "default";

  // ---- transport knobs (not from any file) ----
  std::chrono::milliseconds token_refresh{std::chrono::minutes(1)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds request_timeout{0};  // 0: none (watches stay open)
  int max_retries = 10;  // retries of 429/5xx answers carrying an integer Retry-After
  std::chrono::milliseconds retry_backoff{0};  // minimum wait between retries
  // HTTP/2 is offered in the TLS handshake (ALPN "h2", then "http/1.1") and spoken when the
  // server chooses it, as client-go does; true: HTTP/1.1 only. The environment variable
  // DISABLE_HTTP2 (any non-empty value) turns it off too, as for client-go. Plain http://
  // servers (kubectl proxy) and upgrades (exec, attach, port-forward) always use HTTP/1.1.
  bool disable_http2 = false;
  // An HTTP/2 connection with no stream open for so long is closed (GOAWAY, then the socket), as
  // client-go's transport closes idle connections (90 s); 0: never.
  std::chrono::milliseconds idle_conn_timeout{std::chrono::seconds(90)};
  // HTTP/2 health check, as client-go configures it: when nothing has been read on a connection
  // for http2_read_idle_timeout, a PING is sent; without its ACK within http2_ping_timeout the
  // connection is lost: every stream on it fails ("http2: client connection lost") and the next
  // request dials anew. The environment variables HTTP2_READ_IDLE_TIMEOUT_SECONDS and
  // HTTP2_PING_TIMEOUT_SECONDS, read by client-go, override them. A read idle timeout of 0 turns
  // the check off; a ping timeout of 0 is 15 s.
  std::chrono::milliseconds http2_read_idle_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds http2_ping_timeout{std::chrono::seconds(15)};

  // Non-fatal findings, worded like client-go's warnings (e.g. both -data and file given).
  std::vector<std::string> warnings;

  bool HasCa() const { return !ca_file.empty() || !ca_data.empty(); }
  bool HasClientCert() const { return !client_cert_file.empty() || !client_cert_data.empty(); }
  bool IsHttps() const { return server.rfind("https://", 0) == 0; }
};

// The process environment, replaceable in tests: returns nullopt for an unset variable.
using Env = std::function<std::optional<std::string>(const std::string& name)>;
Env ProcessEnv();

struct KubeconfigOptions {
  std::string explicit_path;   // --kubeconfig; a missing file is an error
  std::string context;         // --context; empty: current-context
  std::string cluster;         // --cluster: use this cluster instead of the context's
  std::string user;            // --user: use this user instead of the context's
  std::string namespace_name;  // --namespace; empty: the context's, else "default"
  Env env = ProcessEnv();      // KUBECONFIG and HOME are read from here
};

// The kubeconfig files client-go would read, in order (existing files only).
std::vector<std::filesystem::path> KubeconfigPaths(const KubeconfigOptions& options);
Config LoadKubeconfig(const KubeconfigOptions& options = {});

struct InClusterOptions {
  std::filesystem::path dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  Env env = ProcessEnv();  // KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT, POD_NAMESPACE
};
// True when both variables are set and the token file exists (client-go's test).
bool InClusterPossible(const InClusterOptions& options = {});
Config InCluster(const InClusterOptions& options = {});

// A plain http:// endpoint that adds credentials itself (kubectl proxy, a sidecar).
Config FromProxy(const std::string& url, const std::string& namespace_name = "default");

// kubectl's explicit flags. Empty / unset fields leave the base alone.
struct Flags {
  std::string server;
  std::string token;
  std::string certificate_authority;
  std::string client_certificate;
  std::string client_key;
  std::optional<bool> insecure_skip_tls_verify;
  std::string tls_server_name;
  std::string namespace_name;
};
// Overrides `base` with the flags as kubectl does (an --insecure-skip-tls-verify without a CA
// flag clears the kubeconfig's CA; --token replaces a token file), then re-validates.
Config ApplyFlags(Config base, const Flags& flags);
// Only flags: --server is required.
Config FromFlags(const Flags& flags);

struct InferOptions {
  KubeconfigOptions kubeconfig;
  InClusterOptions in_cluster;
};
// client-go's default loading: the kubeconfig when one is found; else in-cluster when possible;
// else http://localhost:8080 (where kubectl then reports a refused connection).
Config Infer(const InferOptions& options = {});

// Checks what client-go checks before building a transport (insecure + CA, client certificate
// without key, ...). Called by every source; exposed for configs built by hand.
void Validate(const Config& config);

// "https://h:6443" -> "h:6443" (kubectl names the server like this in its messages).
std::string ServerHostPort(const std::string& server);

}  // namespace kubedouble::access
