// `kubedouble proxy`: a drop-in for `kubectl proxy` (same flags, defaults, filters, ready line).
#include <csignal>
#include <cstdio>

#include "client_flags.h"
#include "command.h"
#include "kubedouble/accesslib/proxy.h"

namespace kubedouble::cli {
namespace {

void SetupProxy(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "proxy", "Run a proxy to the Kubernetes API server (a drop-in for kubectl proxy)");
  auto flags = std::make_shared<ConnectionFlags>();
  auto o = std::make_shared<access::ProxyOptions>();
  OnChosen(sub, [=] {
    flags->Add(sub);
    sub->add_option("-p,--port", o->port,
                    "The port on which to run the proxy. Set to 0 to pick a random port.")
        ->capture_default_str();
    sub->add_option("--address", o->address, "The IP address on which to serve on.")
        ->capture_default_str();
    sub->add_option("--api-prefix", o->api_prefix, "Prefix to serve the proxied API under.")
        ->capture_default_str();
    sub->add_option("--accept-paths", o->accept_paths,
                    "Regular expression for paths that the proxy should accept.")
        ->capture_default_str();
    sub->add_option("--reject-paths", o->reject_paths,
                    "Regular expression for paths that the proxy should reject.")
        ->capture_default_str();
    sub->add_option("--accept-hosts", o->accept_hosts,
                    "Regular expression for hosts that the proxy should accept.")
        ->capture_default_str();
    sub->add_option("--reject-methods", o->reject_methods,
                    "Regular expression for HTTP methods that the proxy should reject.")
        ->capture_default_str();
    sub->add_flag("--disable-filter", o->disable_filter,
                  "If true, disable request filtering in the proxy. This is dangerous.");
    sub->add_option("-w,--www", o->www,
                    "Also serve static files from the given directory under the specified prefix.");
    sub->add_option("-P,--www-prefix", o->www_prefix,
                    "Prefix to serve static files under, if static file directory is specified.")
        ->capture_default_str();
    sub->add_option("-u,--unix-socket", o->unix_socket, "Unix socket on which to run the proxy.");
  });
  OnRun(sub, [=] {
    std::optional<access::Config> config = flags->Build();
    if (!config) return 2;
    if (o->disable_filter) access::LogWarning(access::kDisableFilterWarning);
    RunWithErrors([&] {
      access::Proxy proxy(*config, *o);
      proxy.Start();
      fmt::print("Starting to serve on {}\n", proxy.ListenAddress());
      std::fflush(stdout);
      proxy.Wait();
    });
  });
}

Registrar reg_proxy("proxy", SetupProxy);

}  // namespace
}  // namespace kubedouble::cli
