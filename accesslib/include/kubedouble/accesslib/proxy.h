// kubedouble::access::Proxy — a drop-in for `kubectl proxy`.
//
// Serves plain HTTP on loopback and forwards every accepted request to the API server with the
// credentials of any configuration source (kubeconfig, in-cluster — the seed page's sidecar —,
// flags). Same flags, defaults and filter rules as kubectl's (RE2 patterns, Go syntax):
// a request is rejected when its path or method matches a reject pattern, else accepted only
// when both its path and its Host (port stripped by Go's net.SplitHostPort, or as it is when that
// fails) match accept
// patterns. A rejection answers 403 `Forbidden\n` (text/plain; charset=utf-8). Watches and
// other long answers are streamed through as they arrive. Connection upgrades (exec, attach,
// port-forward) that the filter accepts are passed through: the upstream's 101 is relayed and
// both directions piped until either side closes.
#pragma once

#include <memory>
#include <string>

#include "kubedouble/accesslib/config.h"

namespace kubedouble::access {

struct ProxyOptions {
  std::string address = "127.0.0.1";
  int port = 8001;  // 0: a random free port
  std::string api_prefix = "/";
  std::string accept_paths = "^.*";
  std::string reject_paths = "^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach";
  std::string accept_hosts = "^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$";
  std::string reject_methods = "^$";
  bool disable_filter = false;
  std::string www;  // a folder of static files, served under www_prefix
  std::string www_prefix = "/static/";
  // kubectl proxy's --unix-socket: serve on this unix socket instead of address:port (a socket
  // file already there is replaced; the new one is created with umask 0077).
  std::string unix_socket;
};

// kubectl's request filter. Throws Error (kConfig) naming the flag when a pattern is invalid.
class ProxyFilter {
 public:
  explicit ProxyFilter(const ProxyOptions& options);
  ~ProxyFilter();
  ProxyFilter(ProxyFilter&&) noexcept;
  // `host` is the Host header as received (with its port).
  bool Accept(const std::string& method, const std::string& path, const std::string& host) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Proxy {
 public:
  Proxy(const Config& upstream, ProxyOptions options);
  ~Proxy();  // Stop()
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  // Binds (throws Error naming the address when it cannot) and serves in a background thread.
  void Start();
  // "127.0.0.1:8001" (IPv6 bracketed), the address for kubectl's ready line.
  std::string ListenAddress() const;
  int port() const;
  void Wait();
  void Stop();

 private:
  void StartUnix();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The warning kubectl prints for --disable-filter.
inline constexpr const char* kDisableFilterWarning =
    "Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious";

}  // namespace kubedouble::access
