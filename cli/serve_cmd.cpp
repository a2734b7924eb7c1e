// `kubedouble serve`: run the fake API server until SIGINT or SIGTERM.
#include <fmt/core.h>
#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/server.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <exception>
#include <tuple>

#include "command.h"
#include "loopback.h"

namespace {

struct ServeFlags {
  kubedouble::fake::ServerOptions options;
  std::string key_type = "ecdsa-p256";
  bool no_default_fixtures = false;
  bool allow_non_loopback = false;
  std::string dir = ".kubedouble";
  std::vector<std::string> fixtures;
  std::string tokens, policy, journal;
  std::string faults, sa_token_ttl = "1h", sa_token_grace = "90s", head_timeout = "32s";
  std::string controllers = "all";
  int nodes = 1;
};

void Run(ServeFlags& f) {
  using kubedouble::fake::Server;
  auto& o = f.options;
  const bool loopback = kubedouble::cli::CheckLoopback(
      "serve", "--address", o.address, o.address, f.allow_non_loopback,
      "the fake server accepts well-known test credentials");
  o.dir = f.dir;
  o.default_fixtures = !f.no_default_fixtures;
  o.key_type = *kubedouble::certs::ParseKeyType(f.key_type);
  for (const auto& p : f.fixtures) o.fixtures.emplace_back(p);
  if (!f.tokens.empty()) o.tokens_file = f.tokens;
  if (!f.policy.empty()) o.policy_file = f.policy;
  if (!f.journal.empty()) o.journal_file = f.journal;
  if (!f.faults.empty()) o.faults_file = f.faults;
  for (auto [text, flag, out] :
       {std::tuple{&f.sa_token_ttl, "--sa-token-ttl", &o.sa_token_ttl},
        std::tuple{&f.sa_token_grace, "--sa-token-grace", &o.sa_token_grace}}) {
    try {
      *out =
          std::chrono::duration_cast<std::chrono::seconds>(kubedouble::fake::ParseDuration(*text));
    } catch (const std::exception& e) {
      fmt::print(stderr, "kubedouble serve: {}: {}\n", flag, e.what());
      throw kubedouble::cli::Exit{2};
    }
  }
  try {
    o.head_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        kubedouble::fake::ParseDuration(f.head_timeout));
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble serve: --head-timeout: {}\n", e.what());
    throw kubedouble::cli::Exit{2};
  }
  if (o.head_timeout.count() < 1) {
    fmt::print(stderr, "kubedouble serve: --head-timeout: must be at least 1ms\n");
    throw kubedouble::cli::Exit{2};
  }
  if (o.sa_token_ttl.count() < 1) {
    fmt::print(stderr, "kubedouble serve: --sa-token-ttl: must be at least 1s\n");
    throw kubedouble::cli::Exit{2};
  }

  kubedouble::controlplane::Options cp;
  try {
    cp.controllers = kubedouble::controlplane::ParseControllers(f.controllers);
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble serve: --controllers: {}\n", e.what());
    throw kubedouble::cli::Exit{2};
  }
  cp.nodes = f.nodes;

  // Each connection holds a socket: let --max-connections use every descriptor allowed.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  // Block the stop signals in every thread; this one waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::unique_ptr<Server> server;
  std::unique_ptr<kubedouble::controlplane::ControlPlane> control_plane;
  try {
    server = std::make_unique<Server>(o);
    server->Start();
    control_plane = std::make_unique<kubedouble::controlplane::ControlPlane>(*server, cp);
    control_plane->Start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble serve: {}\n", e.what());
    throw kubedouble::cli::Exit{1};
  }
  fmt::print("kubedouble: serving on {} (kubeconfig: {})\n", server->url(),
             server->paths().kubeconfig.string());
  std::fflush(stdout);
  if (!loopback) {
    fmt::print(stderr,
               "kubedouble serve: WARNING: listening on {} (not loopback): anyone who can reach "
               "this address can try the test credentials\n",
               o.address);
  }
  int sig = 0;
  sigwait(&stop_signals, &sig);
  fmt::print(stderr, "kubedouble serve: {} received, finishing in-flight requests\n",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
  control_plane->Stop();
  server->Stop();
}

kubedouble::cli::Registrar reg("serve", [](CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* sub = app.add_subcommand("serve", "Run the fake Kubernetes API server");
  auto& o = flags->options;
  sub->add_option("--dir", flags->dir, "State folder (PKI, kubeconfigs, tokens)")
      ->capture_default_str();
  sub->add_option("--address", o.address, "Address to listen on (127.0.0.1 or ::1)")
      ->capture_default_str();
  sub->add_flag("--allow-non-loopback", flags->allow_non_loopback,
                "Allow an --address beyond this machine (prints a warning)");
  sub->add_option("--port", o.port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_flag("--fresh-pki", o.fresh_pki, "Mint a new PKI and new tokens even if some exist");
  sub->add_option("--serve-cert", o.serve_cert, "Serving certificate to present")
      ->check(CLI::IsMember({"good", "expired", "not-yet-valid", "wrong-host", "rogue"}))
      ->capture_default_str();
  sub->add_option("--san", o.extra_sans,
                  "Extra name or IP for the serving certificate (repeatable)");
  sub->add_option("--key-type", flags->key_type, "Key type for a new PKI")
      ->check(CLI::IsMember(kubedouble::certs::KeyTypeNames()))
      ->capture_default_str();
  sub->add_flag("--anonymous", o.anonymous,
                "Treat requests without credentials as system:anonymous");
  sub->add_option("--tokens", flags->tokens,
                  "Static tokens file (token,user,uid,\"groups\") replacing the generated one");
  sub->add_option(
      "--policy", flags->policy,
      "RBAC manifests (Roles, ClusterRoles, bindings) stored with the bootstrap policy");
  sub->add_option("--authorization", o.authorization, "Authorization mode")
      ->check(CLI::IsMember({"RBAC", "AlwaysAllow", "AlwaysDeny"}))
      ->capture_default_str();
  sub->add_flag("--no-default-fixtures", flags->no_default_fixtures,
                "Start without the built-in pods, secrets and namespaces");
  sub->add_option("--fixtures", flags->fixtures,
                  "YAML/JSON file or folder of objects to load (repeatable)");
  sub->add_option("--journal", flags->journal, "Append every request to FILE as JSON lines");
  sub->add_option("--journal-size", o.journal_size, "Requests kept in memory")
      ->check(CLI::Range(size_t{1}, size_t{10000000}))
      ->capture_default_str();
  sub->add_option("--max-connections", o.max_connections,
                  "Connections served at once; more are answered 429 with Retry-After")
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  sub->add_option("--max-watches", o.max_watches,
                  "Watches open at once; more are answered 429 with Retry-After")
      ->check(CLI::Range(size_t{1}, size_t{100000}))
      ->capture_default_str();
  sub->add_option("--head-timeout", flags->head_timeout,
                  "Time a connection has for its TLS handshake and each request head (Go duration)")
      ->capture_default_str();
  sub->add_option("--faults", flags->faults, "Fault injection rules (YAML; see README.md)");
  sub->add_option("--clock", o.clock, "real, or fake: stands still until POST /__kubedouble/clock")
      ->check(CLI::IsMember({"real", "fake"}))
      ->capture_default_str();
  sub->add_option("--sa-token-ttl", flags->sa_token_ttl,
                  "Re-mint serviceaccount/token this often (Go duration)")
      ->capture_default_str();
  sub->add_option("--sa-token-grace", flags->sa_token_grace,
                  "How long a replaced serviceaccount/token stays valid")
      ->capture_default_str();
  sub->add_option("--admin-token", o.admin_token,
                  "A bearer token allowed on the admin API (/__kubedouble/)");
  sub->add_option(
         "--controllers", flags->controllers,
         "Simulated control plane: all, none, or a comma list of " +
             [] {
               std::string names;
               for (const auto& n : kubedouble::controlplane::AllControllers())
                 names += (names.empty() ? "" : ",") + n;
               return names;
             }())
      ->capture_default_str();
  sub->add_option("--nodes", flags->nodes,
                  "Simulated nodes (kubedouble-control-plane, kubedouble-worker, ...)")
      ->check(CLI::Range(0, 250))
      ->capture_default_str();
  sub->callback([flags] { Run(*flags); });
});

}  // namespace
