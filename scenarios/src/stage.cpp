// The stage of one scenario run (stage.h): the server (in process or `kubedouble serve`), the
// MITM or proxy in front, the client's files and environment, and the evidence afterwards.
// Over 600 lines: the set-up is one ordered sequence whose steps depend on each other's
// results (the server's PKI, then the front, then the access path's files), read in one place.
#include "stage.h"

#include <fmt/core.h>
#include <httplib.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "drivers/drivers.h"
#include "kubedouble/scenarios/process.h"

#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/proxy.h"
#include "kubedouble/base/encoding.h"
#include "kubedouble/base/strings.h"
#include "kubedouble/controlplane/control_plane.h"
#include "kubedouble/fakeserver/journal.h"
#include "kubedouble/fakeserver/mitm.h"
#include "kubedouble/fakeserver/server.h"
#include "kubedouble/fakeserver/store.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// KEY=VALUE lines (an optional `export `, optional quotes).
std::map<std::string, std::string> ParseEnvFile(const std::string& text) {
  std::map<std::string, std::string> env;
  std::stringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    line = base::Trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = base::Trim(line.substr(7));
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string v = line.substr(eq + 1);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
      v = v.substr(1, v.size() - 2);
    env[line.substr(0, eq)] = v;
  }
  return env;
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

struct Stage::Impl {
  const Scenario& s;
  std::string client;
  fs::path work;
  std::unique_ptr<fake::Server> server;
  std::unique_ptr<controlplane::ControlPlane> control_plane;  // declared after: stops first
  std::unique_ptr<fake::Mitm> front;                          // the MITM
  std::unique_ptr<BackgroundProcess> proxy;
  std::unique_ptr<access::Proxy> own_proxy;  // `kubedouble proxy` in front (proxy.program)
  Target target;
  std::map<std::string, std::string> placeholders;
  std::vector<std::string> fallbacks;
  uint64_t setup_requests = 0;     // the journal's last id once the stage was set up
  Scenario resolved;               // the scenario with its request's placeholders substituted
  std::vector<std::string> serve;  // `kubedouble serve` arguments for the same server

  Impl(const Scenario& scenario, std::string c, fs::path w)
      : s(scenario), client(std::move(c)), work(std::move(w)) {}

  // ---- the server ----
  void StartServer() {
    const ServerSetup& setup = s.server;
    fake::ServerOptions o;
    o.dir = work / "state";
    o.port = 0;
    o.address = s.access.host == "::1" ? "::1" : "127.0.0.1";
    o.serve_cert = *fake::ParseServeCert(setup.serve_cert);  // the parser checked the names
    o.extra_sans = setup.sans;
    o.anonymous = setup.anonymous;
    o.authorization = *fake::ParseAuthorization(setup.authorization);
    o.default_fixtures = setup.default_fixtures;
    o.journal_size = 1000;
    if (setup.sa_token_grace) o.sa_token_grace = std::chrono::seconds(*setup.sa_token_grace);
    // The configuration as values (ReproScript writes it to files for `kubedouble serve`).
    const std::string where = fmt::format("{} ({}): server", s.id(), s.where.ToString());
    if (setup.policy) o.policy = fake::PolicyObjects(*setup.policy, where + ".policy");
    if (setup.tokens) {
      o.tokens = fake::ParseTokenFile(*setup.tokens, where + ".tokens");
      if (o.tokens.empty()) throw std::runtime_error(where + ".tokens: no tokens");
    }
    for (size_t n = 0; n < setup.fixtures.size(); ++n) {
      o.fixtures.push_back({setup.fixtures[n], fmt::format("{}.fixtures[{}]", where, n)});
    }
    if (setup.faults) {  // the server's own fault rules (JSON is YAML)
      o.faults = fake::ParseFaultRules(json{{"faults", *setup.faults}}.dump(), where + ".faults");
    }
    if (setup.clock) o.clock = *fake::ParseClockMode(*setup.clock);
    if (!setup.stages.empty()) {
      std::string docs;
      for (const auto& st : setup.stages) docs += "---\n" + st.dump() + "\n";
      WriteText(work / "stages.yaml", docs);
    }
    server = std::make_unique<fake::Server>(o);
    server->Start();
    StartControlPlane();
    // The same server by hand (the state folder keeps its PKI and tokens).
    serve = {"serve",
             "--dir",
             o.dir.string(),
             "--address",
             o.address,
             "--port",
             std::to_string(server->port()),
             "--serve-cert",
             setup.serve_cert,
             "--authorization",
             setup.authorization,
             "--journal-size",
             "1000"};
    for (const auto& san : o.extra_sans) serve.insert(serve.end(), {"--san", san});
    if (o.anonymous) serve.push_back("--anonymous");
    if (!o.default_fixtures) serve.push_back("--no-default-fixtures");
    if (setup.policy) serve.insert(serve.end(), {"--policy", (work / "policy.json").string()});
    if (setup.tokens) serve.insert(serve.end(), {"--tokens", (work / "tokens.csv").string()});
    if (!setup.fixtures.empty())
      serve.insert(serve.end(), {"--fixtures", (work / "fixtures.yaml").string()});
    if (setup.faults) serve.insert(serve.end(), {"--faults", (work / "faults.yaml").string()});
    if (setup.clock) serve.insert(serve.end(), {"--clock", *setup.clock});
    if (setup.sa_token_grace)
      serve.insert(serve.end(), {"--sa-token-grace", fmt::format("{}s", *setup.sa_token_grace)});
    serve.insert(serve.end(), {"--controllers", setup.controllers.value_or("none")});
    if (setup.controllers) serve.insert(serve.end(), {"--nodes", std::to_string(setup.nodes)});
    if (!setup.stages.empty())
      serve.insert(serve.end(), {"--stages", (work / "stages.yaml").string()});
  }

  // The scenario's control plane, beside the server (none unless the scenario asks).
  void StartControlPlane() {
    const ServerSetup& setup = s.server;
    if (!setup.controllers) return;
    controlplane::Options cp;
    cp.controllers = controlplane::ParseControllers(*setup.controllers);
    cp.nodes = setup.nodes;
    if (!setup.stages.empty()) cp.stages = controlplane::LoadPodStages(work / "stages.yaml");
    control_plane = std::make_unique<controlplane::ControlPlane>(*server, std::move(cp));
    control_plane->Start();
    // The client starts on a settled cluster: fixture pods scheduled and started, and what a
    // stage does at once done (a pod that exits at once has failed).
    control_plane->WaitIdle();
  }

  // With a control plane, an in-cluster program finds the API as in a pod: through the
  // kubernetes Service's endpoints in default (the control plane writes them: the server's own
  // address and port), not through the server's incluster.env.
  void InClusterEnvFromService() {
    if (!control_plane) return;
    auto endpoints = server->store().registry()->Find("", "v1", "endpoints");
    if (!endpoints) return;
    json ep;
    try {
      ep = server->store().Get(*endpoints, "default", "kubernetes");
    } catch (const std::exception&) {
      throw std::runtime_error("the control plane wrote no endpoints/kubernetes in default");
    }
    const json& subset = ep["subsets"][0];
    const std::string host = subset["addresses"][0]["ip"];
    const std::string port = std::to_string(subset["ports"][0]["port"].get<int>());
    target.incluster_env["KUBERNETES_SERVICE_HOST"] = host;
    target.incluster_env["KUBERNETES_SERVICE_PORT"] = port;
    target.incluster_env["KUBERNETES_SERVICE_PORT_HTTPS"] = port;
  }

  // A call to the server's admin API with the admin token.
  json Admin(const std::string& method, const std::string& path, const json& body) {
    httplib::Client c(server->url());
    c.enable_server_certificate_verification(false);
    c.set_bearer_token_auth(server->paths().admin_token);
    httplib::Result r =
        method == "POST" ? c.Post(path, body.dump(), "application/json") : c.Get(path);
    if (!r)
      throw std::runtime_error(
          fmt::format("the server's admin API did not answer {} {}", method, path));
    if (r->status >= 300)
      throw std::runtime_error(fmt::format("the server refused {} {} ({}): {}", method, path,
                                           r->status, r->body.substr(0, 200)));
    return json::parse(r->body, nullptr, false);
  }

  std::string TokenRequest() {
    httplib::Client c(server->url());
    c.enable_server_certificate_verification(false);
    c.set_bearer_token_auth(server->paths().admin_token);
    json req{{"apiVersion", "authentication.k8s.io/v1"},
             {"kind", "TokenRequest"},
             {"spec", {{"expirationSeconds", 3600}}}};
    auto r = c.Post("/api/v1/namespaces/default/serviceaccounts/default/token", req.dump(),
                    "application/json");
    if (!r || r->status != 201)
      throw std::runtime_error(
          "TokenRequest for default/default failed" +
          (r ? fmt::format(" ({}): {}", r->status, r->body.substr(0, 200)) : ""));
    return json::parse(r->body).at("status").at("token").get<std::string>();
  }

  // ---- credentials named by the scenario ----
  std::string Token(const std::string& name) {
    const auto& p = server->paths();
    if (name == "admin") return p.admin_token;
    if (name == "user") return p.user_token;
    // The token as the file holds it now (a program that read it once keeps this value).
    if (name == "serviceaccount") return base::Trim(ReadText(p.serviceaccount_dir / "token"));
    if (name == "bad") return "kubedouble-not-a-valid-token-0123456789";
    if (name == "tokenrequest") return TokenRequest();
    if (name == "tokenrequest-expired") {
      std::string token = TokenRequest();
      Admin("POST", "/__kubedouble/clock", json{{"advance", "2h"}});
      return token;
    }
    return "";
  }

  void FillPlaceholders(int port) {
    const auto& p = server->paths();
    fs::path pki = p.pki_dir;
    auto& m = placeholders;
    m["SERVER"] = target.server;
    m["PORT"] = std::to_string(port);
    m["CA_FILE"] = p.ca_crt.string();
    m["CA_DATA"] = base::Base64Encode(ReadText(p.ca_crt));
    m["ROGUE_CA_FILE"] = (pki / "rogue-ca.crt").string();
    m["ROGUE_CA_DATA"] = base::Base64Encode(ReadText(pki / "rogue-ca.crt"));
    m["ADMIN_CERT_FILE"] = (pki / "admin.crt").string();
    m["ADMIN_KEY_FILE"] = (pki / "admin.key").string();
    m["ADMIN_CERT_DATA"] = base::Base64Encode(ReadText(pki / "admin.crt"));
    m["ADMIN_KEY_DATA"] = base::Base64Encode(ReadText(pki / "admin.key"));
    m["ADMIN_TOKEN"] = p.admin_token;
    m["USER_TOKEN"] = p.user_token;
    m["USER_NAME"] = p.user_name;
    m["SA_TOKEN"] = p.serviceaccount_token;
    m["STATE"] = p.dir.string();
    m["WORK"] = work.string();
    m["REFUSED_SERVER"] = "https://127.0.0.1:1";
  }

  std::string Substitute(const std::string& text, const SourceLocation& where) {
    std::string out;
    static const std::regex re(R"(\$\{([A-Z_]+)\})");
    auto begin = std::sregex_iterator(text.begin(), text.end(), re);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      out += text.substr(last, static_cast<size_t>(it->position()) - last);
      auto found = placeholders.find((*it)[1]);
      if (found == placeholders.end())
        throw std::runtime_error(
            fmt::format("{}: unknown placeholder ${{{}}}", where.ToString(), (*it)[1].str()));
      out += found->second;
      last = static_cast<size_t>(it->position() + it->length());
    }
    return out + text.substr(last);
  }

  void WriteFiles() {
    const auto& p = server->paths();
    fs::path pki = p.pki_dir;
    for (const auto& f : s.access.files) {
      fs::path dest = work / "files" / f.path;
      if (f.content) {
        WriteText(dest, Substitute(*f.content, f.where));
        continue;
      }
      static const std::map<std::string, std::string> kFrom{{"ca", "ca.crt"},
                                                            {"rogue-ca", "rogue-ca.crt"},
                                                            {"admin-cert", "admin.crt"},
                                                            {"admin-key", "admin.key"}};
      if (auto it = kFrom.find(*f.from); it != kFrom.end()) {
        WriteText(dest, ReadText(pki / it->second));
      } else if (*f.from == "admin-token") {
        WriteText(dest, p.admin_token);
      } else if (*f.from == "user-token") {
        WriteText(dest, p.user_token);
      } else if (*f.from == "sa-token") {
        WriteText(dest, p.serviceaccount_token);
      } else if (*f.from == "kubeconfig") {
        WriteText(dest, ReadText(p.kubeconfig));
      } else {  // <name>-kubeconfig: the state folder's kubeconfigs/<name>.yaml
        std::string name = f.from->substr(0, f.from->size() - std::string("-kubeconfig").size());
        WriteText(dest, ReadText(p.kubeconfigs_dir / (name + ".yaml")));
      }
      if (*f.from == "admin-key")
        fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write);
    }
  }

  // A kubeconfig holding the target (JSON, which every client's YAML reader accepts).
  std::string WriteKubeconfig() {
    json cluster{{"server", target.server}};
    if (!target.ca_file.empty()) cluster["certificate-authority"] = target.ca_file;
    if (target.insecure) cluster["insecure-skip-tls-verify"] = true;
    if (!target.tls_server_name.empty()) cluster["tls-server-name"] = target.tls_server_name;
    json user = json::object();
    if (!target.token.empty()) user["token"] = target.token;
    if (!target.cert_file.empty()) {
      user["client-certificate"] = target.cert_file;
      user["client-key"] = target.key_file;
    }
    json config{{"apiVersion", "v1"},
                {"kind", "Config"},
                {"clusters", {{{"name", "scenario"}, {"cluster", cluster}}}},
                {"users", {{{"name", "scenario"}, {"user", user}}}},
                {"contexts",
                 {{{"name", "scenario"},
                   {"context",
                    {{"cluster", "scenario"},
                     {"user", "scenario"},
                     {"namespace", s.access.ns.empty() ? "default" : s.access.ns}}}}}},
                {"current-context", "scenario"}};
    fs::path file = work / "client-kubeconfig.json";
    WriteText(file, config.dump(2));
    return file.string();
  }

  // `kubedouble proxy` (accesslib's Proxy) in this process, with the flags kubectl proxy gets.
  int StartOwnProxy() {
    const ProxySetup& ps = s.access.proxy;
    access::KubeconfigOptions ko;
    ko.explicit_path = ps.credentials == "token" ? server->paths().token_kubeconfig.string()
                                                 : server->paths().kubeconfig.string();
    ko.env = [](const std::string&) { return std::nullopt; };
    access::ProxyOptions po;
    po.address = ps.address;
    po.port = 0;
    po.disable_filter = ps.disable_filter;
    if (ps.accept_hosts) po.accept_hosts = *ps.accept_hosts;
    if (ps.reject_paths) po.reject_paths = *ps.reject_paths;
    own_proxy = std::make_unique<access::Proxy>(access::LoadKubeconfig(ko), po);
    own_proxy->Start();
    return own_proxy->port();
  }

  void StartProxy(bool sidecar) {
    const ProxySetup& ps = s.access.proxy;
    if (ps.program == "kubedouble" && !sidecar) return UseProxy(StartOwnProxy());
    std::vector<std::string> argv{"kubectl", "proxy", "--port=0", "--address=" + ps.address};
    if (ps.disable_filter) argv.push_back("--disable-filter=true");
    if (ps.accept_hosts) argv.push_back("--accept-hosts=" + *ps.accept_hosts);
    if (ps.reject_paths) argv.push_back("--reject-paths=" + *ps.reject_paths);
    ProcessOptions po;
    po.env = CleanEnvironment();
    po.env["HOME"] = (work / "proxy-home").string();
    po.env["KUBECACHEDIR"] = (work / "proxy-cache").string();
    fs::create_directories(work / "proxy-home");
    if (sidecar && target.private_mounts) {
      for (const auto& [k, v] : target.incluster_env) po.env[k] = v;
      argv = InPrivateMounts(argv, target.sa_dir, target.hosts_file);
    } else if (sidecar) {
      argv.push_back("--kubeconfig=" + server->paths().serviceaccount_kubeconfig.string());
      fallbacks.push_back(
          "sidecar: no private mount namespace; kubectl proxy used "
          "kubeconfigs/serviceaccount.yaml (the same token and CA)");
    } else {
      argv.push_back("--kubeconfig=" + (ps.credentials == "token"
                                            ? server->paths().token_kubeconfig.string()
                                            : server->paths().kubeconfig.string()));
    }
    po.argv = argv;
    int port = 0;
    proxy = BackgroundProcess::Start(po, work, "kubectl-proxy", [&](const std::string& line) {
      std::smatch m;
      if (std::regex_search(line, m, std::regex(R"(Starting to serve on \S*:(\d+))"))) {
        port = std::stoi(m[1]);
        return true;
      }
      return false;
    });
    UseProxy(port);
  }

  // The client reaches the proxy on `port`: plain http, no credentials of its own.
  void UseProxy(int port) {
    target.server = fmt::format("http://127.0.0.1:{}", port);
    target.host = "127.0.0.1";
    target.port = port;
    target.ca_file.clear();
    target.insecure = false;
    target.cert_file.clear();
    target.key_file.clear();
  }

  void Build() {
    fs::create_directories(work / "home");
    fs::create_directories(work / "files");
    StartServer();
    const auto& p = server->paths();
    const Access& a = s.access;
    target.work = work;
    target.path = a.path;
    target.via_flags = a.via == "flags";
    target.tls_server_name = a.tls_server_name;
    target.admin_kubeconfig = p.kubeconfig.string();
    target.private_mounts = PrivateMountsAvailable();

    int port = server->port();
    if (s.server.mitm) {
      front = std::make_unique<fake::Mitm>(
          fake::MitmOptions{.address = s.access.host == "::1" ? "::1" : "127.0.0.1",
                            .port = 0,
                            .upstream = server->url(),
                            .cert_file = p.pki_dir / "rogue-server.crt",
                            .key_file = p.pki_dir / "rogue-server.key",
                            .faults = {}});
      front->Start();
      port = front->port();
    }
    target.host = a.host;
    target.port = port;
    target.server = fmt::format("https://{}:{}", UrlHost(a.host), port);

    // The defaults of each path, then the scenario's overrides.
    std::string ca = "cluster", token, cert;
    bool insecure = false;
    switch (a.path) {
      case AccessPath::kToken:
        token = "admin";
        break;
      case AccessPath::kInsecure:
        ca = "none";
        insecure = true;
        token = "admin";
        break;
      case AccessPath::kMtls:
        cert = "admin";
        break;
      case AccessPath::kServiceAccount:
        token = "serviceaccount";
        break;
      case AccessPath::kSeed:
        insecure = true;
        ca = "none";
        break;
      default:
        break;
    }
    if (!a.ca.empty()) ca = a.ca;
    if (!a.token.empty()) token = a.token == "none" ? "" : a.token;
    if (!a.client_cert.empty()) cert = a.client_cert == "none" ? "" : a.client_cert;
    if (a.insecure) insecure = *a.insecure;
    if (ca == "cluster") target.ca_file = p.ca_crt.string();
    if (ca == "rogue") target.ca_file = (p.pki_dir / "rogue-ca.crt").string();
    target.insecure = insecure;
    if (!token.empty()) target.token = Token(token);
    if (cert == "admin" || cert == "expired-admin") {
      target.cert_file = (p.pki_dir / (cert + ".crt")).string();
      target.key_file = (p.pki_dir / (cert + ".key")).string();
    }

    // Name resolution and in-cluster files.
    bool needs_hosts = !base::IsIpAddress(a.host) && a.host != "localhost";
    if (a.path == AccessPath::kInCluster || a.path == AccessPath::kSidecar) {
      target.sa_dir = p.serviceaccount_dir.string();
      target.incluster_env = ParseEnvFile(ReadText(p.incluster_env));
      InClusterEnvFromService();
      needs_hosts = true;
      if (!target.private_mounts)
        fallbacks.push_back("in-cluster: no private mount namespace (needs root and unshare)");
    }
    if (needs_hosts) {
      fs::path hosts = work / "hosts";
      std::string names =
          "localhost kubernetes kubernetes.default kubernetes.default.svc "
          "kubernetes.default.svc.cluster.local";
      if (needs_hosts && !base::IsIpAddress(a.host) && a.host != "localhost") names += " " + a.host;
      WriteText(hosts, "127.0.0.1 " + names + "\n::1 localhost ip6-localhost ip6-loopback\n");
      target.hosts_file = hosts.string();
    }

    FillPlaceholders(port);
    WriteFiles();
    for (const auto& k : a.kubeconfigs) target.kubeconfigs.push_back((work / "files" / k).string());
    target.kubeconfig_env = a.kubeconfig_env;
    target.context = a.context;

    if (a.path == AccessPath::kProxy || a.path == AccessPath::kSidecar) {
      StartProxy(a.path == AccessPath::kSidecar);
    }
    if (a.path == AccessPath::kSeed) {
      // The seed page's kubectl lines read the default kubeconfig; the scenario's files replace
      // it when given (two clusters, ...).
      target.kubeconfigs = {a.kubeconfigs.empty() ? p.kubeconfig.string()
                                                  : (work / "files" / a.kubeconfigs[0]).string()};
    }
    if (a.path != AccessPath::kKubeconfig && a.path != AccessPath::kInCluster)
      target.kubeconfig = WriteKubeconfig();
    if (s.server.rotate_sa_token) server->RotateServiceAccountToken();
    // The pod's namespace (the kubelet's file: a link into ..data, replaced, not written through).
    if (!a.ns.empty()) {
      fs::path file = p.serviceaccount_dir / "namespace";
      fs::path real = fs::is_symlink(file) ? fs::canonical(file) : file;
      WriteText(real.string() + ".new", a.ns);
      fs::rename(real.string() + ".new", real);
    }
    RunSetup();
    resolved = s;
    if (resolved.request.body)
      resolved.request.body = SubstituteAll(*resolved.request.body, s.where);
    setup_requests = server->journal().total();
  }

  // The scenario's setup steps, as the admin: each must succeed.
  void RunSetup() {
    for (const auto& step : s.setup) {
      httplib::Client c(server->url());
      c.enable_server_certificate_verification(false);
      c.set_bearer_token_auth(server->paths().admin_token);
      std::string body = step.body ? SubstituteAll(*step.body, step.where).dump() : "";
      httplib::Result r = step.method == "DELETE" ? c.Delete(step.path)
                          : step.method == "PUT"  ? c.Put(step.path, body, "application/json")
                          : step.method == "PATCH"
                              ? c.Patch(step.path, body, PatchContentType(step.patch_type))
                              : c.Post(step.path, body, "application/json");
      if (!r)
        throw std::runtime_error(fmt::format("{}: setup step {} {}: the server did not answer",
                                             step.where.ToString(), step.method, step.path));
      if (r->status >= 300)
        throw std::runtime_error(fmt::format("{}: setup step {} {} was refused ({}): {}",
                                             step.where.ToString(), step.method, step.path,
                                             r->status, r->body.substr(0, 300)));
    }
  }

  // `value` with the placeholders substituted in every string it holds.
  json SubstituteAll(const json& value, const SourceLocation& where) {
    if (value.is_string()) return Substitute(value.get<std::string>(), where);
    if (!value.is_structured()) return value;
    json out = value;
    for (auto& item : out.items()) item.value() = SubstituteAll(item.value(), where);
    return out;
  }
};

std::string Stage::Unavailable(const Scenario& scenario, const std::string& client) {
  const Access& a = scenario.access;
  // A scenario's own host name resolves through the hosts file, which only a private mount
  // namespace puts at /etc/hosts; curl is told the address instead (--resolve).
  if (!base::IsIpAddress(a.host) && a.host != "localhost" && client != "curl" &&
      !PrivateMountsAvailable())
    return fmt::format(
        "{} resolves {} only through a hosts file mounted at /etc/hosts, which needs a private "
        "mount namespace (root and unshare)",
        client, a.host);
  const bool kubectl_proxy = a.path == AccessPath::kSidecar ||
                             (a.path == AccessPath::kProxy && a.proxy.program == "kubectl");
  if (kubectl_proxy && !FindProgram("kubectl"))
    return "the proxy path needs kubectl (kubectl proxy)";
  return "";
}

Stage::Stage(const Scenario& scenario, const std::string& client, const fs::path& work)
    : impl_(std::make_unique<Impl>(scenario, client, work)) {
  fs::create_directories(work);
  impl_->Build();
}

Stage::~Stage() {
  if (!impl_) return;
  impl_->proxy.reset();
  impl_->own_proxy.reset();
  if (impl_->front) impl_->front->Stop();
  impl_->control_plane.reset();
  if (impl_->server) impl_->server->Stop();
}

const Target& Stage::target() const { return impl_->target; }
const Scenario& Stage::scenario() const { return impl_->resolved; }

std::string Stage::ReproScript(const std::string& kubedouble) const {
  const Impl& i = *impl_;
  // The files the server's configuration flags name (the in-process server took values).
  const ServerSetup& setup = i.s.server;
  if (setup.policy) WriteText(i.work / "policy.json", setup.policy->dump(2));
  if (setup.tokens) WriteText(i.work / "tokens.csv", *setup.tokens);
  if (!setup.fixtures.empty()) {
    std::string docs;
    for (const auto& f : setup.fixtures) docs += "---\n" + f.dump() + "\n";
    WriteText(i.work / "fixtures.yaml", docs);
  }
  if (setup.faults) WriteText(i.work / "faults.yaml", json{{"faults", *setup.faults}}.dump(2));
  std::string serve = fmt::format("\"${{KUBEDOUBLE:-{}}}\"", kubedouble);
  for (const auto& a : i.serve) {
    serve += ' ';
    serve += ShellQuote(a);
  }
  std::vector<std::string> missing;
  if (i.front) missing.push_back("the MITM in front (kubedouble mitm)");
  if (i.proxy) missing.push_back("the kubectl proxy in front");
  if (i.own_proxy) missing.push_back("the kubedouble proxy in front");
  if (i.s.server.rotate_sa_token) missing.push_back("the service-account token's rotation");
  if (i.s.access.token == "tokenrequest-expired") missing.push_back("the clock moved on");
  std::string script = fmt::format(
      "#!/usr/bin/env bash\n"
      "# Replays {} [{}] by hand: the fake server as the run had it (same state folder and\n"
      "# port), then the client's command (client.sh). KUBEDOUBLE=path picks the binary.\n",
      i.s.id(), i.client);
  if (!missing.empty()) {
    script += "# Not replayed:";
    for (const auto& m : missing) script += " " + m + ";";
    script += "\n";
  }
  script += fmt::format(
      "cd \"$(dirname \"$0\")\" || exit\n{} &\nserver=$!\ntrap 'kill $server 2>/dev/null' EXIT\n"
      "for _ in $(seq 100); do (exec 3<>/dev/tcp/{}/{}) 2>/dev/null && break; sleep 0.1; done\n",
      serve, i.serve[4], i.server->port());
  if (fs::exists(i.work / "client.sh"))
    script += "bash client.sh\n";
  else
    script += fmt::format(
        "# {} ran in-process (no command to replay); the server is up for a client of "
        "yours:\necho \"serving on {} (state folder {})\"; wait $server\n",
        i.client, i.server->url(), i.server->paths().dir.string());
  return script;
}

std::map<std::string, std::string> Stage::Environment() const {
  auto env = CleanEnvironment();
  env["HOME"] = (impl_->work / "home").string();
  env["KUBECACHEDIR"] = (impl_->work / "kubecache").string();
  if (impl_->s.access.path == AccessPath::kSeed) env["KUBECONFIG"] = impl_->target.kubeconfigs[0];
  return env;
}

void Stage::AddEvidence(const Request& request, Outcome& outcome) const {
  std::string method = RequestMethod(request);
  // An inferred namespace is whichever the client chose: any namespace matches.
  Request any_ns = request;
  if (request.inferred_namespace) any_ns.ns = "\x01";
  std::string path = RequestPath(any_ns);
  size_t marker = path.find('\x01');
  auto same_path = [&](const std::string& seen) {
    if (marker == std::string::npos) return seen == path;
    std::string after = path.substr(marker + 1);
    return seen.size() > path.size() - 1 && seen.compare(0, marker, path, 0, marker) == 0 &&
           seen.compare(seen.size() - after.size(), after.size(), after) == 0 &&
           seen.find('/', marker) == seen.size() - after.size();
  };
  auto entries = impl_->server->journal().Find([&](const fake::JournalEntry& e) {
    return e.id > impl_->setup_requests && same_path(e.path) &&
           (e.method == method || request.verb == Verb::kWatch || request.verb == Verb::kExec ||
            request.verb == Verb::kPortForward);
  });
  if (!entries.empty()) {
    const auto& last = entries.back();
    if (outcome.user.empty()) outcome.user = last.user;
    outcome.path = last.path;
    // Clients whose API hides the HTTP status of a success: the server's answer.
    if (outcome.kind == OutcomeKind::kOk && outcome.code == 0) outcome.code = last.status;
    outcome.evidence["server_status"] = last.status;
    outcome.evidence["server_auth"] = last.auth_method;
  }
  outcome.evidence["reached_server"] = !entries.empty();
  // Every request the server saw after the stage was set up (the runner's own setup calls are
  // before that), as the server saw it: what was asked, who asked and how they proved it.
  json seen = json::array();
  for (const auto& e : impl_->server->journal().Find(
           [&](const fake::JournalEntry& e) { return e.id > impl_->setup_requests; })) {
    json one{{"method", e.method},
             {"path", e.path},
             {"status", e.status},
             {"user", e.user},
             {"auth", e.auth_method}};
    if (!e.query.empty()) one["query"] = e.query;
    seen.push_back(std::move(one));
  }
  outcome.evidence["requests"] = std::move(seen);
  if (impl_->front && impl_->s.server.mitm) {
    outcome.evidence["token_leaked"] = impl_->front->TokenCaptured();
    outcome.evidence["client_cert_offered"] = impl_->front->ClientCertOffered();
    outcome.evidence["mitm_requests"] = impl_->front->requests();
  }
  if (impl_->s.server.faults) {
    json fired = json::array();
    for (const auto& e : impl_->server->journal().Find(
             [](const fake::JournalEntry& e) { return !e.fault.empty(); }))
      fired.push_back(e.method + " " + e.path + ": " + e.fault);
    outcome.evidence["faults_fired"] = fired;
  }
  if (!impl_->fallbacks.empty()) {
    std::string all;
    for (const auto& f : impl_->fallbacks) all += (all.empty() ? "" : "; ") + f;
    outcome.evidence["fallback"] = all;
  }
}

}  // namespace kubedouble::scenarios
