// accesslib, in-process: the project's own access library, judged first.

#include "drivers/drivers.h"

#include "kubedouble/accesslib/client.h"
#include "kubedouble/accesslib/config.h"
#include "kubedouble/accesslib/error.h"
#include "kubedouble/accesslib/transport.h"
#include "kubedouble/base/strings.h"

namespace kubedouble::scenarios {
namespace {

namespace ac = kubedouble::access;

ac::Env EnvFrom(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Outcome FromError(const ac::Error& e) {
  Outcome o;
  o.message = FirstLine(e.KubectlMessage());
  switch (e.kind()) {
    case ac::ErrorKind::kConfig:
      o.kind = OutcomeKind::kConfigError;
      break;
    case ac::ErrorKind::kConnectTimeout:
      o.kind = OutcomeKind::kTimeout;
      break;
    case ac::ErrorKind::kConnectRefused:
    case ac::ErrorKind::kConnectDns:
    case ac::ErrorKind::kConnectOther:
    case ac::ErrorKind::kProtocol:
      o.kind = OutcomeKind::kConnectError;
      break;
    case ac::ErrorKind::kTlsUnknownAuthority:
      o.kind = OutcomeKind::kTlsError;
      o.tls = "unknown_authority";
      break;
    case ac::ErrorKind::kTlsHostnameMismatch:
      o.kind = OutcomeKind::kTlsError;
      o.tls = "hostname_mismatch";
      break;
    case ac::ErrorKind::kTlsExpired:
      o.kind = OutcomeKind::kTlsError;
      o.tls = "expired";
      break;
    case ac::ErrorKind::kTlsNotYetValid:
      o.kind = OutcomeKind::kTlsError;
      o.tls = "not_yet_valid";
      break;
    case ac::ErrorKind::kTlsOther:
      o.kind = OutcomeKind::kTlsError;
      o.tls = "other";
      break;
    case ac::ErrorKind::kHttp:
      o.kind = OutcomeKind::kHttpError;
      o.code = e.http().code;
      o.reason = e.http().reason;
      break;
  }
  return o;
}

class AccesslibDriver : public Driver {
 public:
  std::string name() const override { return "accesslib"; }
  std::string Unavailable() const override { return ""; }
  std::string Version() const override { return "kubedouble accesslib " KUBEDOUBLE_VERSION; }
  std::string Unsupported(const Scenario& s) const override {
    if (s.access.path == AccessPath::kSeed) return "the seed path is curl's (with kubectl)";
    if (s.request.verb == Verb::kExec || s.request.verb == Verb::kPortForward)
      return "accesslib has no exec or port-forward client (its transport upgrades a "
             "connection only to pass it through its proxy)";
    const std::string& host = s.access.host;
    if (!base::IsIpAddress(host) && host != "localhost")
      return "in-process, accesslib cannot be given the scenario's hosts file to resolve " + host;
    return "";
  }

  ac::Config MakeConfig(const Job& job) {
    const Target& t = job.target;
    switch (t.path) {
      case AccessPath::kKubeconfig: {
        ac::KubeconfigOptions o;
        std::map<std::string, std::string> env{
            {"HOME", job.env.count("HOME") ? job.env.at("HOME") : ""}};
        if (t.kubeconfig_env) {
          std::string joined;
          for (const auto& k : t.kubeconfigs) joined += (joined.empty() ? "" : ":") + k;
          env["KUBECONFIG"] = joined;
        } else {
          o.explicit_path = t.kubeconfigs.at(0);
        }
        o.env = EnvFrom(env);
        o.context = t.context;
        return ac::LoadKubeconfig(o);
      }
      case AccessPath::kInCluster: {
        ac::InClusterOptions o;
        o.dir = t.sa_dir;  // in-process: the library's folder override, not /var/run/secrets
        o.env = EnvFrom(t.incluster_env);
        return ac::InCluster(o);
      }
      default:
        if (t.via_flags) {
          ac::Flags f;
          f.server = t.server;
          f.token = t.token;
          f.certificate_authority = t.ca_file;
          f.client_certificate = t.cert_file;
          f.client_key = t.key_file;
          if (t.insecure) f.insecure_skip_tls_verify = true;
          f.tls_server_name = t.tls_server_name;
          return ac::FromFlags(f);
        }
        ac::KubeconfigOptions o;
        o.explicit_path = t.kubeconfig;
        o.env = EnvFrom({});
        return ac::LoadKubeconfig(o);
    }
  }

  Outcome Run(const Job& job) override {
    const Request& r = job.scenario->request;
    try {
      ac::Config config = MakeConfig(job);
      if (!r.impersonate.empty()) {  // as kubectl's --as, --as-group and --as-uid set them
        config.impersonate_user = r.impersonate.user;
        config.impersonate_groups = r.impersonate.groups;
        config.impersonate_uid = r.impersonate.uid;
      }
      if (r.timeout_seconds > 0)
        config.request_timeout =
            std::chrono::milliseconds(static_cast<long long>(r.timeout_seconds * 1000));
      ac::Client client(config);
      ac::Resource res = ac::Resource::Core(r.resource);
      std::string ns = r.all_namespaces || r.resource == "namespaces" ? ""
                       : r.inferred_namespace                         ? config.namespace_name
                                                                      : r.ns;
      Outcome o;
      o.kind = OutcomeKind::kOk;
      switch (r.verb) {
        case Verb::kList: {
          json list = client.List(res, ns);
          o.items = static_cast<int>(list.value("items", json::array()).size());
          break;
        }
        case Verb::kGet:
          client.GetObject(res, ns, r.name);
          break;
        case Verb::kCreate:
          client.Create(res, ns, *r.body);
          break;
        case Verb::kPatch:
          if (r.patch_type == "apply") {  // no typed call: the raw PATCH with the apply query
            Request in_ns = r;
            in_ns.ns = ns;
            client.Patch(RequestPath(in_ns) + ApplyQuery(r), r.body->dump(),
                         PatchContentType(r.patch_type));
          } else {
            client.PatchObject(res, ns, r.name, *r.body, PatchContentType(r.patch_type));
          }
          break;
        case Verb::kDelete:
          client.DeleteObject(res, ns, r.name);
          break;
        case Verb::kWhoami:
          o.user = client.WhoAmI().value("username", "");
          break;
        case Verb::kVersion:
          client.ServerVersion();
          break;
        case Verb::kExec:
        case Verb::kPortForward:
          return Outcome::Skipped(Unsupported(*job.scenario));
        case Verb::kWatch: {
          ac::WatchOptions w;
          w.timeout_seconds = 10;
          w.max_reconnects = 0;
          int n = 0;
          client.Watch(res, ns, w, [&](const ac::WatchEvent&) { return ++n < r.events; });
          o.events = n;
          break;
        }
        case Verb::kRaw: {
          ac::Request req;
          req.method = r.method;
          req.path = r.path;
          req.headers.emplace("Accept", "application/json");
          for (const auto& [k, v] : r.headers) req.headers.emplace(k, v);
          if (r.body) {
            req.body = r.body->dump();
            req.headers.emplace("Content-Type", "application/json");
          }
          ac::Response resp = client.Do(req);
          o.code = resp.status;
          if (resp.status >= 400) {
            ac::HttpStatus st = ac::DecodeStatus(resp.status, resp.body);
            o.kind = OutcomeKind::kHttpError;
            o.reason = st.reason;
            o.message = FirstLine(st.message);
          } else {
            FillFromBody(resp.body, o);
          }
          break;
        }
      }
      return o;
    } catch (const ac::Error& e) {
      return FromError(e);
    }
  }
};

}  // namespace

std::unique_ptr<Driver> MakeAccesslibDriver() { return std::make_unique<AccesslibDriver>(); }

}  // namespace kubedouble::scenarios
