// `kubedouble serve`: run the fake API server until SIGINT or SIGTERM.
#include <fmt/core.h>
#include <kubedouble/controlplane/control_plane.h>
#include <kubedouble/fakeserver/clock.h>
#include <kubedouble/fakeserver/server.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <tuple>

#include "command.h"
#include "loopback.h"

namespace {

struct ServeFlags {
  kubedouble::fake::ServerOptions options;
  std::string key_type = "ecdsa-p256";
  bool key_type_given = false;  // --key-type on the command line
  bool no_default_fixtures = false;
  bool allow_non_loopback = false;
  std::string dir = ".kubedouble";
  std::vector<std::string> fixtures;
  std::string tokens, policy, journal;
  // The named choices, as the flags give them (CLI11 checks them against the names).
  std::string serve_cert = "good", authorization = "RBAC", clock = "real";
  std::string faults, sa_token_ttl = "1h", sa_token_grace = "90s", head_timeout = "32s";
  std::string controllers = "all";
  int nodes = 1;
  std::vector<std::string> stages;
  std::string compaction_window = "5m";
};

// The files given to --faults, --policy, --tokens and --fixtures, read into `o`; an error names
// the file (and the line, the rule or the document) and is the server's start failing.
void LoadOptionFiles(const ServeFlags& f, kubedouble::fake::ServerOptions& o) {
  namespace fake = kubedouble::fake;
  if (!f.faults.empty()) o.faults = fake::LoadFaultsFile(f.faults);
  if (!f.policy.empty()) {
    std::string deprecation;
    o.policy = fake::LoadPolicyObjects(f.policy, &deprecation);
    if (!deprecation.empty()) fmt::print(stderr, "{}\n", deprecation);
  }
  if (!f.tokens.empty()) o.tokens = fake::LoadTokenFile(f.tokens);
  for (const auto& path : f.fixtures) {
    auto objects = fake::LoadFixtureObjects(path);
    o.fixtures.insert(o.fixtures.end(), std::make_move_iterator(objects.begin()),
                      std::make_move_iterator(objects.end()));
  }
}

int Run(ServeFlags& f) {
  using kubedouble::fake::Server;
  auto& o = f.options;
  if (!kubedouble::cli::LoopbackAllowed("serve", "--address", o.address, o.address,
                                        f.allow_non_loopback,
                                        "the fake server accepts well-known test credentials"))
    return 2;
  const bool loopback = kubedouble::cli::IsLoopbackAddress(o.address);
  o.dir = f.dir;
  o.default_fixtures = !f.no_default_fixtures;
  o.key_type = *kubedouble::certs::ParseKeyType(f.key_type);
  if (!f.journal.empty()) o.journal_file = f.journal;
  o.serve_cert = *kubedouble::fake::ParseServeCert(f.serve_cert);
  o.authorization = *kubedouble::fake::ParseAuthorization(f.authorization);
  o.clock = *kubedouble::fake::ParseClockMode(f.clock);
  for (auto [text, flag, out] :
       {std::tuple{&f.sa_token_ttl, "--sa-token-ttl", &o.sa_token_ttl},
        std::tuple{&f.sa_token_grace, "--sa-token-grace", &o.sa_token_grace},
        std::tuple{&f.compaction_window, "--compaction-window", &o.compaction_window}}) {
    try {
      *out =
          std::chrono::duration_cast<std::chrono::seconds>(kubedouble::fake::ParseDuration(*text));
    } catch (const std::exception& e) {
      fmt::print(stderr, "kubedouble serve: {}: {}\n", flag, e.what());
      return 2;
    }
  }
  try {
    o.head_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        kubedouble::fake::ParseDuration(f.head_timeout));
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble serve: --head-timeout: {}\n", e.what());
    return 2;
  }
  if (o.head_timeout.count() < 1) {
    fmt::print(stderr, "kubedouble serve: --head-timeout: must be at least 1ms\n");
    return 2;
  }
  if (o.sa_token_ttl.count() < 1) {
    fmt::print(stderr, "kubedouble serve: --sa-token-ttl: must be at least 1s\n");
    return 2;
  }

  kubedouble::controlplane::Options cp;
  try {
    cp.controllers = kubedouble::controlplane::ParseControllers(f.controllers);
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble serve: --controllers: {}\n", e.what());
    return 2;
  }
  cp.nodes = f.nodes;
  for (const auto& file : f.stages) {
    try {
      auto read = kubedouble::controlplane::LoadPodStages(file);
      cp.stages.insert(cp.stages.end(), read.begin(), read.end());
    } catch (const std::exception& e) {
      fmt::print(stderr, "kubedouble serve: --stages: {}\n", e.what());
      return 2;
    }
  }
  if (!cp.stages.empty() && !cp.controllers.count("kubelet")) {
    fmt::print(stderr,
               "kubedouble serve: --stages: the pods' fates need --controllers with kubelet\n");
    return 2;
  }

  // Each connection holds a socket: every descriptor allowed is usable (the default
  // --max-connections is derived from this limit, once raised).
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
    LoadOptionFiles(f, o);
    server = std::make_unique<Server>(o);
    server->Start();
    control_plane = std::make_unique<kubedouble::controlplane::ControlPlane>(*server, cp);
    control_plane->Start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble serve: {}\n", e.what());
    return 1;
  }
  // The warnings come before the ready line: whoever waits for it sees them.
  const std::string kept = kubedouble::certs::KeyTypeName(server->bundle().ca.key.type());
  if (f.key_type_given && !o.fresh_pki && kept != f.key_type) {
    fmt::print(stderr,
               "kubedouble serve: WARNING: kept the {} PKI in {}: --key-type {} applies to a new "
               "one (--fresh-pki mints it, with a new cluster CA)\n",
               kept, server->paths().pki_dir.string(), f.key_type);
  }
  if (kubedouble::cli::ListensEverywhere(o.address) && o.advertise_url.empty() &&
      o.advertise_address.empty()) {
    fmt::print(stderr,
               "kubedouble serve: WARNING: --address {} listens on every interface, but the "
               "kubeconfigs say {}: give --advertise-address or --advertise-url with the name "
               "clients elsewhere use\n",
               o.address, server->url());
  }
  if (!loopback) {
    fmt::print(stderr,
               "kubedouble serve: WARNING: listening on {} (not loopback): anyone who can reach "
               "this address can try the test credentials\n",
               o.address);
  }
  const std::string kubeconfig = std::filesystem::absolute(server->paths().kubeconfig).string();
  fmt::print("kubedouble: serving on {} (kubeconfig: {})\n", server->url(), kubeconfig);
  fmt::print("kubedouble: to use it: export KUBECONFIG={}\n", kubeconfig);
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  fmt::print(stderr, "kubedouble serve: {} received, finishing in-flight requests\n",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
  control_plane->Stop();
  server->Stop();
  return 0;
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
  sub->add_option("--serve-cert", flags->serve_cert, "Serving certificate to present")
      ->check(CLI::IsMember(kubedouble::fake::ServeCertNames()))
      ->capture_default_str();
  sub->add_option("--san", o.extra_sans,
                  "Extra name or IP for the serving certificate (repeatable)");
  sub->add_option("--advertise-url", o.advertise_url,
                  "The URL clients reach the server at, https://HOST[:PORT]: every kubeconfig, "
                  "incluster.env and the serving certificate follow it");
  sub->add_option("--advertise-address", o.advertise_address,
                  "The host name or IP clients reach the server at (with the listening port)");
  sub->add_flag("--log-requests", o.log_requests,
                "Print one line per request on stderr (kube-apiserver's httplog format)");
  sub->add_flag("--persist", o.persist,
                "Keep the objects in DIR/store.wal across restarts (write-ahead, crash-safe)");
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
  sub->add_option("--authorization", flags->authorization, "Authorization mode")
      ->check(CLI::IsMember(kubedouble::fake::AuthorizationNames()))
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
                  "Connections served at once; more are answered 429 with Retry-After (default: "
                  "as many as the open-file limit allows, an eighth of it kept for files)")
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  sub->add_flag("--http2", o.http2,
                "Offer HTTP/2 in the TLS handshake as kube-apiserver does (--http2=false: "
                "HTTP/1.1 only)")
      ->capture_default_str();
  sub->add_option("--max-watches", o.max_watches,
                  "Watches (and followed logs) open at once; more are answered 429 with "
                  "Retry-After (default: as many as connections)")
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
  sub->add_option("--head-timeout", flags->head_timeout,
                  "Time a connection has for its TLS handshake and each request head (Go duration)")
      ->capture_default_str();
  sub->add_option("--faults", flags->faults, "Fault injection rules (YAML; see README.md)");
  sub->add_option("--clock", flags->clock,
                  "real, or fake: stands still until POST /__kubedouble/clock")
      ->check(CLI::IsMember(kubedouble::fake::ClockModeNames()))
      ->capture_default_str();
  sub->add_option("--sa-token-ttl", flags->sa_token_ttl,
                  "Re-mint serviceaccount/token this often (Go duration)")
      ->capture_default_str();
  sub->add_option("--sa-token-grace", flags->sa_token_grace,
                  "How long a replaced serviceaccount/token stays valid")
      ->capture_default_str();
  sub->add_option("--compaction-window", flags->compaction_window,
                  "Keep this much change history for watches (Go duration, by --clock; 0: by "
                  "count only); older resourceVersions get 410 Expired")
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
  sub->add_option(
      "--stages", flags->stages,
      "PodStage rules (YAML) scripting what the kubelet does with the pods they select: "
      "start delays, never ready, exit codes, restarts (repeatable; first match wins)");
  kubedouble::cli::OnRun(sub, [flags, sub] {
    flags->key_type_given = sub->count("--key-type") > 0;
    return Run(*flags);
  });
});

}  // namespace
