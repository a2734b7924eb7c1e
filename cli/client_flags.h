// The connection flags shared by `kubedouble get|whoami|create-token|proxy` (kubectl's names),
// and turning them into one access::Config. Errors: exit 2 for configuration, 1 for API or
// connection failures, with kubectl's wording on stderr.
#pragma once

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "command.h"
#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/log.h"

namespace kubedouble::cli {

struct ConnectionFlags {
  std::string kubeconfig, context, cluster, user, serviceaccount_dir;
  bool in_cluster = false;
  bool insecure = false;
  int verbosity = 0;
  std::string request_timeout = "0";
  access::Flags flags;

  void Add(CLI::App* app) {
    app->add_option("--kubeconfig", kubeconfig, "Path to the kubeconfig file to use");
    app->add_option("--context", context, "The name of the kubeconfig context to use");
    app->add_option("--cluster", cluster, "The name of the kubeconfig cluster to use");
    app->add_option("--user", user, "The name of the kubeconfig user to use");
    app->add_flag("--in-cluster", in_cluster,
                  "Use the in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT and the "
                  "service-account folder)");
    app->add_option("--serviceaccount-dir", serviceaccount_dir,
                    "The service-account folder for --in-cluster (default "
                    "/var/run/secrets/kubernetes.io/serviceaccount)");
    app->add_option("-n,--namespace", flags.namespace_name, "The namespace scope for this request");
    app->add_option("-s,--server", flags.server,
                    "The address and port of the Kubernetes API server");
    app->add_option("--token", flags.token, "Bearer token for authentication to the API server");
    app->add_option("--certificate-authority", flags.certificate_authority,
                    "Path to a cert file for the certificate authority");
    app->add_option("--client-certificate", flags.client_certificate,
                    "Path to a client certificate file for TLS");
    app->add_option("--client-key", flags.client_key, "Path to a client key file for TLS");
    app->add_flag("--insecure-skip-tls-verify", insecure,
                  "If true, the server's certificate will not be checked for validity. This will "
                  "make your HTTPS connections insecure");
    app->add_option("--tls-server-name", flags.tls_server_name,
                    "Server name to use for server certificate validation");
    app->add_option("--request-timeout", request_timeout,
                    "The length of time to wait before giving up on a single server request "
                    "(e.g. 1s, 2m, 3h); 0 means no timeout")
        ->capture_default_str();
    app->add_option("-v,--v", verbosity, "Log level: 6 or more logs every request (on stderr)");
  }

  // "0", "30", "500ms", "1s", "2m", "1h" (a bare number is seconds, as kubectl's flag); nullopt,
  // with kubectl's "error: invalid argument ..." printed, for anything else.
  static std::optional<std::chrono::milliseconds> ParseTimeout(const std::string& text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) digits++;
    std::string unit = text.substr(digits);
    if (digits == 0 || digits > 9 ||
        (unit != "" && unit != "ms" && unit != "s" && unit != "m" && unit != "h")) {
      fmt::print(
          stderr,
          "error: invalid argument \"{}\" for \"--request-timeout\" flag: invalid duration\n",
          text);
      return std::nullopt;
    }
    long long n = std::stoll(text.substr(0, digits));
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "m") return std::chrono::minutes(n);
    if (unit == "h") return std::chrono::hours(n);
    return std::chrono::seconds(n);
  }

  // The configuration the flags select; nullopt, with kubectl's "error: ..." line printed, on a
  // configuration error (the command exits 2).
  std::optional<access::Config> Build() {
    access::SetVerbosity(verbosity);
    if (insecure) flags.insecure_skip_tls_verify = true;
    try {
      access::Config c;
      if (in_cluster) {
        access::InClusterOptions o;
        if (!serviceaccount_dir.empty()) o.dir = serviceaccount_dir;
        c = access::InCluster(o);
      } else {
        access::InferOptions o;
        o.kubeconfig.explicit_path = kubeconfig;
        o.kubeconfig.context = context;
        o.kubeconfig.cluster = cluster;
        o.kubeconfig.user = user;
        o.kubeconfig.namespace_name = flags.namespace_name;
        if (!serviceaccount_dir.empty()) o.in_cluster.dir = serviceaccount_dir;
        c = access::Infer(o);
      }
      c = access::ApplyFlags(c, flags);
      auto timeout = ParseTimeout(request_timeout);
      if (!timeout) return std::nullopt;
      c.request_timeout = *timeout;
      for (const auto& w : c.warnings) access::LogWarning(w);
      return c;
    } catch (const access::Error& e) {
      fmt::print(stderr, "{}\n", e.KubectlMessage());
      return std::nullopt;
    }
  }
};

// The option set-ups OnChosen deferred, one per subcommand; each adds its options once.
inline std::vector<std::function<void()>>& DeferredOptions() {
  static std::vector<std::function<void()>> deferred;
  return deferred;
}

// Adds every deferred option now, so that the whole command tree can be listed.
inline void AddDeferredOptions() {
  for (auto& add : DeferredOptions()) add();
}

// Adds a subcommand's options only when it is the one chosen (CLI11's pre-parse callback runs
// before its arguments are parsed, and `--help` still lists them): setting up the ~20 options of
// every client subcommand on each run costs about as much as decoding a certificate.
// `kubedouble completion` adds them all at once through AddDeferredOptions.
template <typename F>
void OnChosen(CLI::App* sub, F add_options) {
  auto once = [add_options, done = std::make_shared<bool>(false)] {
    if (*done) return;
    *done = true;
    add_options();
  };
  DeferredOptions().push_back(once);
  sub->preparse_callback([once](std::size_t) { once(); });
}

// Ends a one-shot command now: output flushed, but without the libraries' clean-up at exit
// (OpenSSL frees every provider and algorithm table, ~0.4 ms) — the memory goes back with the
// process. Connections are closed by the kernel.
[[noreturn]] inline void ExitNow(int code) {
  std::fflush(nullptr);
  std::_Exit(code);
}

// Runs a one-shot command's `body` and ends the process (ExitNow) with its exit code: the one
// `body` returns (0 when it returns nothing), or, for an access error, kubectl's message and
// 2 for a configuration error, 1 for any other.
template <typename F>
[[noreturn]] void RunWithErrors(F&& body) {
  int code = 0;
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
      body();
    } else {
      code = body();
    }
  } catch (const access::Error& e) {
    fmt::print(stderr, "{}\n", e.KubectlMessage());
    code = e.kind() == access::ErrorKind::kConfig ? 2 : 1;
  }
  ExitNow(code);
}

}  // namespace kubedouble::cli
