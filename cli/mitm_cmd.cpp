// kubedouble mitm --listen ADDR:PORT --upstream URL: a man in the middle with the rogue CA's
// certificate, printing what it captures.
#include <fmt/core.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "command.h"
#include "kubedouble/fakeserver/mitm.h"
#include "loopback.h"

namespace {

namespace fs = std::filesystem;

struct MitmFlags {
  std::string listen = "127.0.0.1:0";
  std::string upstream;
  std::string pki = ".kubedouble/pki";
  std::string cert;
  std::string key;
  bool allow_non_loopback = false;
  size_t max_captures = 10000;
};

int RunMitm(const MitmFlags& f) {
  kubedouble::fake::MitmOptions o;
  auto colon = f.listen.rfind(':');
  if (colon == std::string::npos) {
    fmt::print(stderr, "kubedouble mitm: --listen \"{}\": expected ADDRESS:PORT\n", f.listen);
    return 2;
  }
  o.address = f.listen.substr(0, colon);
  if (o.address.size() > 2 && o.address.front() == '[')
    o.address = o.address.substr(1, o.address.size() - 2);
  try {
    o.port = std::stoi(f.listen.substr(colon + 1));
  } catch (const std::exception&) {
    fmt::print(stderr, "kubedouble mitm: --listen \"{}\": the port is not a number\n", f.listen);
    return 2;
  }
  if (!kubedouble::cli::LoopbackAllowed("mitm", "--listen", f.listen, o.address,
                                        f.allow_non_loopback,
                                        "the interceptor prints the tokens it captures"))
    return 2;
  const bool loopback = kubedouble::cli::IsLoopbackAddress(o.address);
  o.upstream = f.upstream;
  o.max_captures = f.max_captures;
  o.cert_file = f.cert.empty() ? fs::path(f.pki) / "rogue-server.crt" : fs::path(f.cert);
  o.key_file = f.key.empty() ? fs::path(f.pki) / "rogue-server.key" : fs::path(f.key);
  std::error_code ec;
  for (const auto& p : {o.cert_file, o.key_file})
    if (!fs::exists(p, ec)) {
      fmt::print(stderr,
                 "kubedouble mitm: {} does not exist (give --pki with a kubedouble bundle, or "
                 "--cert and --key)\n",
                 p.string());
      return 2;
    }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  kubedouble::fake::Mitm mitm(o);
  try {
    mitm.Start();
  } catch (const std::exception& e) {
    fmt::print(stderr, "kubedouble mitm: {}\n", e.what());
    return 1;
  }
  fmt::print("kubedouble mitm: listening on {}, forwarding to {}\n", mitm.url(), o.upstream);
  std::fflush(stdout);
  if (!loopback) {
    fmt::print(stderr,
               "kubedouble mitm: WARNING: listening on {} (not loopback): anyone who can reach "
               "this address can hand the interceptor their credentials\n",
               o.address);
  }
  std::atomic<bool> done{false};
  std::thread printer([&] {
    uint64_t shown = 0;           // the id of the last capture printed
    uint64_t refusals_shown = 0;  // and of the last refused handshake
    while (!done) {
      for (const auto& r : mitm.Refusals()) {
        if (r.id <= refusals_shown) continue;
        refusals_shown = r.id;
        const bool distrust =
            r.alert.find("certificate") != std::string::npos || r.alert == "unknown CA";
        fmt::print("refused: the client at {} ended the handshake with \"{}\"{}\n", r.client,
                   r.alert,
                   distrust ? " (it does not trust the certificate: nothing captured)" : "");
        std::fflush(stdout);
      }
      for (const auto& c : mitm.Captures()) {
        if (c.id <= shown) continue;
        if (c.id > shown + 1)
          fmt::print("kubedouble mitm: {} captures dropped (the list keeps the last {})\n",
                     c.id - shown - 1, o.max_captures);
        shown = c.id;
        fmt::print("captured: {} {} -> {} authorization={} client-cert={} user-agent={}\n",
                   c.method, c.path, c.upstream_status,
                   c.authorization.empty() ? "none" : "\"" + c.authorization + "\"",
                   c.client_cert_offered ? c.client_cert_subject : "none",
                   c.user_agent.empty() ? "none" : "\"" + c.user_agent + "\"");
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  int sig = 0;
  sigwait(&set, &sig);
  done = true;
  printer.join();
  mitm.Stop();
  return 0;
}

kubedouble::cli::Registrar reg("mitm", [](CLI::App& app) {
  auto flags = std::make_shared<MitmFlags>();
  auto* sub = app.add_subcommand(
      "mitm",
      "A man in the middle: terminates TLS with the rogue CA's certificate for the cluster's "
      "names, forwards to the upstream, and prints the Authorization headers and client "
      "certificates it captures.");
  sub->add_option("--listen", flags->listen, "ADDRESS:PORT to listen on (default 127.0.0.1:0)");
  sub->add_flag("--allow-non-loopback", flags->allow_non_loopback,
                "Allow a --listen address beyond this machine");
  sub->add_option("--max-captures", flags->max_captures,
                  "Captures kept in memory; older ones are dropped and counted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--upstream", flags->upstream, "The real server, https://HOST:PORT")->required();
  sub->add_option("--pki", flags->pki,
                  "A kubedouble PKI folder; its rogue-server.crt/.key are presented "
                  "(default .kubedouble/pki)");
  sub->add_option("--cert", flags->cert, "The certificate to present instead (PEM)");
  sub->add_option("--key", flags->key, "Its private key (PEM)");
  kubedouble::cli::OnRun(sub, [flags] { return RunMitm(*flags); });
});

}  // namespace
