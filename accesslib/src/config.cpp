// The configuration sources other than kubeconfig, and the checks every source shares.
#include <fmt/format.h>

#include <cstdlib>

#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/base/strings.h"
#include "util.h"

namespace kubedouble::access {
namespace fs = std::filesystem;

Env ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::string ServerHostPort(const std::string& server) {
  auto u = detail::ParseUrl(server);
  if (!u) return server;
  return u->HostPort();
}

void Validate(const Config& c) {
  const std::string cluster = c.cluster_name.empty() ? c.server : c.cluster_name;
  const std::string user = c.user_name;
  ConfigLocation at_cluster{c.source_file, fmt::format("cluster \"{}\"", c.cluster_name), ""};
  ConfigLocation at_user{c.source_file, fmt::format("user \"{}\"", c.user_name), ""};
  auto fail = [](const std::string& message, ConfigLocation where, const char* field) {
    where.field = field;
    throw Error::Config(message, where);
  };

  if (c.server.empty())
    fail("invalid configuration: cluster has no server defined", at_cluster, "server");
  auto url = detail::ParseUrl(c.server);
  if (!url || (url->scheme != "http" && url->scheme != "https"))
    fail(fmt::format("host must be a URL or a host:port pair: \"{}\"", c.server), at_cluster,
         "server");
  if (c.insecure && c.HasCa())
    fail("specifying a root certificates file with the insecure flag is not allowed", at_cluster,
         "insecure-skip-tls-verify");
  if (!c.ca_file.empty() && c.ca_data.empty()) {
    std::string why;
    if (!detail::TryReadFile(c.ca_file, &why))
      fail(fmt::format(
               "invalid configuration: unable to read certificate-authority {} for {} due to {}",
               c.ca_file, cluster, why),
           at_cluster, "certificate-authority");
  }
  if (!c.proxy_url.empty()) {
    auto proxy = detail::ParseUrl(c.proxy_url);
    if (!proxy)
      fail(fmt::format("invalid configuration: proxy-url \"{}\" is not a URL", c.proxy_url),
           at_cluster, "proxy-url");
    if (proxy->scheme != "http" && proxy->scheme != "https" && proxy->scheme != "socks5")
      fail(fmt::format("unsupported scheme \"{}\", must be http, https, or socks5", proxy->scheme),
           at_cluster, "proxy-url");
    if (proxy->scheme != "http")
      fail(fmt::format("proxy-url \"{}\": only http:// proxies (HTTP CONNECT) are supported by "
                       "kubedouble's access library",
                       c.proxy_url),
           at_cluster, "proxy-url");
  }

  const bool has_cert = c.HasClientCert();
  const bool has_key = !c.client_key_file.empty() || !c.client_key_data.empty();
  if (has_cert && !has_key)
    fail(fmt::format(
             "invalid configuration: client-key-data or client-key must be specified for {} to "
             "use the clientCert authentication method.",
             user),
         at_user, "client-key");
  if (has_key && !has_cert)
    fail(fmt::format(
             "invalid configuration: client-cert-data or client-cert must be specified for {} "
             "to use the clientCert authentication method.",
             user),
         at_user, "client-certificate");
  std::string why;
  if (!c.client_cert_file.empty() && !detail::TryReadFile(c.client_cert_file, &why))
    fail(fmt::format("invalid configuration: unable to read client-cert {} for {} due to {}",
                     c.client_cert_file, user, why),
         at_user, "client-certificate");
  if (!c.client_key_file.empty() && !detail::TryReadFile(c.client_key_file, &why))
    fail(fmt::format("invalid configuration: unable to read client-key {} for {} due to {}",
                     c.client_key_file, user, why),
         at_user, "client-key");
  if (!c.token_file.empty() && !detail::TryReadFile(c.token_file, &why))
    fail(why, at_user, "tokenFile");

  std::vector<std::string> methods;
  if (!c.token.empty() || !c.token_file.empty()) methods.push_back("token");
  if (!c.username.empty() || !c.password.empty()) methods.push_back("basicAuth");
  if (methods.size() > 1)
    fail(fmt::format(
             "invalid configuration: more than one authentication method found for {}; found "
             "[{}], only one is allowed",
             user, fmt::join(methods, " ")),
         at_user, "token");
}

bool InClusterPossible(const InClusterOptions& options) {
  auto host = options.env("KUBERNETES_SERVICE_HOST");
  auto port = options.env("KUBERNETES_SERVICE_PORT");
  std::error_code ec;
  return host && !host->empty() && port && !port->empty() && fs::exists(options.dir / "token", ec);
}

Config InCluster(const InClusterOptions& options) {
  const std::string dir = options.dir.string();
  auto host = options.env("KUBERNETES_SERVICE_HOST");
  auto port = options.env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty())
    throw Error::Config(
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be defined",
        {dir, "environment", "KUBERNETES_SERVICE_HOST"});
  Config c;
  c.source = "in-cluster";
  c.source_file = dir;
  c.server = "https://" + detail::JoinHostPort(*host, *port);
  const fs::path token_path = options.dir / "token";
  std::string why;
  auto token = detail::TryReadFile(token_path, &why);
  if (!token) throw Error::Config(why, {dir, "service account", "token"});
  c.token = base::Trim(*token);
  c.token_file = token_path.string();
  const fs::path ca_path = options.dir / "ca.crt";
  if (detail::TryReadFile(ca_path, &why)) {
    c.ca_file = ca_path.string();
  } else {
    c.warnings.push_back(fmt::format("Expected to load root CA config from {}, but got err: {}",
                                     ca_path.string(), why));
  }
  auto pod_ns = options.env("POD_NAMESPACE");
  if (pod_ns && !pod_ns->empty()) {
    c.namespace_name = *pod_ns;
  } else if (auto ns = detail::TryReadFile(options.dir / "namespace", nullptr)) {
    std::string trimmed = base::Trim(*ns);
    c.namespace_name = trimmed.empty() ? "default" : trimmed;
  }
  Validate(c);
  return c;
}

Config FromProxy(const std::string& url, const std::string& namespace_name) {
  Config c;
  c.source = "proxy";
  c.server = url.find("://") == std::string::npos ? "http://" + url : url;
  c.namespace_name = namespace_name.empty() ? "default" : namespace_name;
  auto u = detail::ParseUrl(c.server);
  if (!u || u->scheme != "http")
    throw Error::Config(fmt::format("proxy endpoint \"{}\" must be a plain http:// URL", url),
                        {"", "proxy", "server"});
  Validate(c);
  return c;
}

Config ApplyFlags(Config c, const Flags& f) {
  if (c.source.empty()) c.source = "flags";
  if (!f.server.empty()) c.server = f.server;
  if (!f.certificate_authority.empty()) {
    c.ca_file = f.certificate_authority;
    c.ca_data.clear();
  }
  if (f.insecure_skip_tls_verify) {
    c.insecure = *f.insecure_skip_tls_verify;
    // client-go: --insecure-skip-tls-verify=true without a CA flag clears the kubeconfig's CA.
    if (c.insecure && f.certificate_authority.empty()) {
      c.ca_file.clear();
      c.ca_data.clear();
    }
  }
  if (!f.tls_server_name.empty()) c.tls_server_name = f.tls_server_name;
  if (!f.token.empty()) {
    c.token = f.token;
    c.token_file.clear();
  }
  if (!f.client_certificate.empty()) {
    c.client_cert_file = f.client_certificate;
    c.client_cert_data.clear();
  }
  if (!f.client_key.empty()) {
    c.client_key_file = f.client_key;
    c.client_key_data.clear();
  }
  if (!f.namespace_name.empty()) c.namespace_name = f.namespace_name;
  if (!c.server.empty() && c.server.find("://") == std::string::npos)
    c.server = (c.HasCa() || c.HasClientCert() || c.insecure ? "https://" : "http://") + c.server;
  Validate(c);
  return c;
}

Config FromFlags(const Flags& flags) {
  if (flags.server.empty())
    throw Error::Config("invalid configuration: no server given (use --server)",
                        {"", "flags", "server"});
  Config c;
  c.source = "flags";
  return ApplyFlags(c, flags);
}

Config Infer(const InferOptions& options) {
  const bool have_kubeconfig =
      !options.kubeconfig.explicit_path.empty() || !KubeconfigPaths(options.kubeconfig).empty();
  if (have_kubeconfig) {
    try {
      return LoadKubeconfig(options.kubeconfig);
    } catch (const Error& e) {
      // An empty kubeconfig counts as none (client-go's fallback rule).
      const bool empty =
          std::string(e.what()).find("no configuration has been provided") != std::string::npos;
      if (!empty || !options.kubeconfig.explicit_path.empty()) throw;
    }
  }
  if (InClusterPossible(options.in_cluster)) return InCluster(options.in_cluster);
  Config c;
  c.source = "default";
  c.server = "http://localhost:8080";
  c.namespace_name =
      options.kubeconfig.namespace_name.empty() ? "default" : options.kubeconfig.namespace_name;
  return c;
}

}  // namespace kubedouble::access
