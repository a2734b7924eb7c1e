// kubectl, with a fresh KUBECACHEDIR per run; its messages mapped to outcomes.
#include <fmt/core.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "drivers/drivers.h"
#include "kubedouble/base/status.h"
#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {
namespace {

namespace fs = std::filesystem;

bool Has(const std::string& text, const char* s) { return text.find(s) != std::string::npos; }

// kubectl's words → an outcome (it exits 1 for every failure).
Outcome FromKubectlError(const std::string& err) {
  Outcome o;
  // The line that says what went wrong (skip warnings and klog lines).
  std::stringstream lines(err);
  std::string line, chosen;
  while (std::getline(lines, line)) {
    static const std::regex klog(R"(^[IWEF]\d{4} )");
    if (line.empty() || line.rfind("Warning:", 0) == 0 || std::regex_search(line, klog)) continue;
    if (chosen.empty() || line.rfind("error", 0) == 0 || line.rfind("Error", 0) == 0 ||
        line.rfind("Unable", 0) == 0 || line.rfind("The connection", 0) == 0)
      chosen = line;
  }
  if (chosen.empty()) chosen = FirstLine(err);
  o.message = FirstLine(chosen);
  std::smatch m;
  if (Has(err, "Please enter Username")) {
    // No credentials in the kubeconfig user: kubectl asks for a user name on stdin.
    o.kind = OutcomeKind::kConfigError;
    o.message = "kubectl prompted \"Please enter Username:\" and read " + o.message;
  } else if (Has(chosen, "You must be logged in to the server")) {
    o.kind = OutcomeKind::kHttpError;
    o.code = 401;
    o.reason = "Unauthorized";
  } else if (Has(chosen, "API is not enabled in the cluster or you do not have permission")) {
    // kubectl auth whoami words a 403 (and a 404) this way; the code is in its request log.
    o.kind = OutcomeKind::kHttpError;
  } else if (std::regex_search(chosen, m, std::regex(R"(unable to upgrade connection: (\w+)$)"))) {
    // An upgrade refused without a Status (kubectl proxy's filter: 403 "Forbidden").
    o.kind = OutcomeKind::kHttpError;
    o.reason = m[1];
    o.code = base::CodeForReason(o.reason);
  } else if (std::regex_search(
                 chosen, m,
                 std::regex(R"(error upgrading connection: .* is (forbidden|not found))"))) {
    // An upgrade the server refused with a Status: kubectl shows its message.
    o.kind = OutcomeKind::kHttpError;
    o.reason = m[1] == "forbidden" ? "Forbidden" : "NotFound";
    o.code = base::CodeForReason(o.reason);
  } else if (Has(chosen, "Apply failed with")) {
    // kubectl words a server-side apply's 409 itself, with the Status message and a hint.
    o.kind = OutcomeKind::kHttpError;
    o.reason = "Conflict";
    o.code = 409;
  } else if (std::regex_search(chosen, m, std::regex(R"(Error from server \((\w+)\))"))) {
    o.kind = OutcomeKind::kHttpError;
    o.reason = m[1];
    o.code = base::CodeForReason(o.reason);
  } else if (Has(chosen, "x509:") || Has(chosen, "tls:")) {
    o.kind = OutcomeKind::kTlsError;
    o.tls = ClassifyTlsMessage(chosen);
    if (o.tls.empty()) o.tls = "other";
  } else if (Has(chosen, "Client.Timeout") || Has(chosen, "context deadline exceeded") ||
             Has(chosen, "i/o timeout") || Has(chosen, "request canceled") ||
             Has(chosen, "timed out")) {
    o.kind = OutcomeKind::kTimeout;
  } else if (Has(chosen, "Error in configuration") || Has(chosen, "invalid configuration") ||
             Has(chosen, "error loading config") || Has(chosen, "does not exist") ||
             Has(chosen, "not allowed") || Has(chosen, "no context") ||
             Has(chosen, "unable to read") || Has(chosen, "unable to load") ||
             Has(chosen, "no such file")) {
    o.kind = OutcomeKind::kConfigError;
  } else {
    o.kind = OutcomeKind::kConnectError;
  }
  return o;
}

// The status of the last logged request for `path` (kubectl -v=6:
// "GET https://h:p/api/v1/pods?limit=500 200 OK in 3 milliseconds"); 0 when none. Paths are
// compared without their query (a raw path's own, or the one kubectl adds).
int LastStatus(const std::string& log, const std::string& path) {
  static const std::regex re(R"((GET|POST|PUT|PATCH|DELETE) (\S+) (\d{3}) )");
  const std::string want = path.substr(0, path.find('?'));
  int code = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it) {
    std::string url = (*it)[2];
    size_t scheme = url.find("://");
    size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string p = slash == std::string::npos ? "/" : url.substr(slash);
    p = p.substr(0, p.find('?'));
    if (p == want) code = std::stoi((*it)[3]);
  }
  return code;
}

// `kubectl port-forward` (`args`) in the background; once it forwards, one connection to its
// local port sends kPortForwardLine and prints the first line that comes back, then kubectl is
// stopped. When kubectl exits first, its code goes to stderr as kubectl_exit=N.
std::string PortForwardScript(const std::vector<std::string>& args, const fs::path& work) {
  std::string line;
  for (const auto& a : args) line += ShellQuote(a) + " ";
  const std::string log = ShellQuote((work / "kubectl-port-forward.log").string());
  return fmt::format(
      "{0} > {1} 2>&1 & pid=$!\n"
      "for _ in $(seq 200); do\n"
      "  port=$(grep -om1 'Forwarding from 127.0.0.1:[0-9]*' {1} | grep -o '[0-9]*$')\n"
      "  [ -n \"$port\" ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.05\n"
      "done\n"
      "if [ -n \"$port\" ]; then\n"
      "  exec 3<>/dev/tcp/127.0.0.1/$port && printf '%s\\n' {2} >&3 && read -r -t 10 back <&3\n"
      "  echo \"$back\"; exec 3<&-; kill $pid; wait $pid; code=0\n"
      "else\n"
      "  wait $pid; code=$?\n"
      "fi\n"
      "cat {1} >&2; echo \"kubectl_exit=$code\" >&2\n",
      line, log, ShellQuote(kPortForwardLine));
}

class KubectlDriver : public Driver {
 public:
  std::string name() const override { return "kubectl"; }
  std::string Unavailable() const override {
    return FindProgram("kubectl") ? "" : "kubectl: not found on PATH";
  }
  std::string Version() const override {
    json v = json::parse(ProgramOutput({"kubectl", "version", "--client", "-o", "json"}), nullptr,
                         false);
    std::string git = v.is_object() ? v.value("/clientVersion/gitVersion"_json_pointer, "") : "";
    return git.empty() ? "" : fmt::format("kubectl {}", git);
  }
  std::string Unsupported(const Scenario& s) const override {
    if (s.access.path == AccessPath::kSeed)
      return "the seed path is curl's (kubectl finds its parts)";
    if (!s.request.headers.empty()) return "kubectl cannot set arbitrary request headers";
    return "";
  }

  Outcome Run(const Job& job) override {
    const Target& t = job.target;
    const Request& r = job.scenario->request;
    std::map<std::string, std::string> env = job.env;
    // -v=6 logs each request with its status: the code the server really answered.
    std::vector<std::string> args{"kubectl", "-v=6"};
    switch (t.path) {
      case AccessPath::kKubeconfig: {
        std::string joined;
        for (const auto& k : t.kubeconfigs) joined += (joined.empty() ? "" : ":") + k;
        if (t.kubeconfig_env)
          env["KUBECONFIG"] = joined;
        else
          args.push_back("--kubeconfig=" + joined);
        break;
      }
      case AccessPath::kInCluster:
        if (!t.private_mounts)
          return Outcome::Skipped(
              "kubectl reads in-cluster files only at /var/run/secrets/...: needs a "
              "private mount namespace (root and unshare)");
        for (const auto& [k, v] : t.incluster_env) env[k] = v;
        break;
      default:
        if (t.via_flags) {
          args.push_back("--server=" + t.server);
          if (!t.ca_file.empty()) args.push_back("--certificate-authority=" + t.ca_file);
          if (t.insecure) args.push_back("--insecure-skip-tls-verify=true");
          if (!t.token.empty()) args.push_back("--token=" + t.token);
          if (!t.cert_file.empty()) {
            args.push_back("--client-certificate=" + t.cert_file);
            args.push_back("--client-key=" + t.key_file);
          }
          if (!t.tls_server_name.empty()) args.push_back("--tls-server-name=" + t.tls_server_name);
        } else {
          args.push_back("--kubeconfig=" + t.kubeconfig);
        }
    }
    if (!t.context.empty()) args.push_back("--context=" + t.context);
    if (!r.impersonate.empty()) {
      args.push_back("--as=" + r.impersonate.user);
      for (const auto& g : r.impersonate.groups) args.push_back("--as-group=" + g);
      if (!r.impersonate.uid.empty()) args.push_back("--as-uid=" + r.impersonate.uid);
    }
    if (r.timeout_seconds > 0)
      args.push_back(fmt::format("--request-timeout={}s", r.timeout_seconds));
    std::vector<std::string> ns_args;
    if (r.resource != "namespaces") {
      if (r.all_namespaces)
        ns_args = {"-A"};
      else if (!r.inferred_namespace)  // inferred: the kubeconfig's or the pod's namespace
        ns_args = {"-n", r.ns};
    }
    fs::path body_file = t.work / "kubectl-body.json";
    if (r.body) std::ofstream(body_file) << r.body->dump();
    auto add = [&](std::initializer_list<std::string> more) { args.insert(args.end(), more); };
    switch (r.verb) {
      case Verb::kList:
        add({"get", r.resource});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        add({"-o", "json"});
        break;
      case Verb::kGet:
        add({"get", r.resource, r.name});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        add({"-o", "json"});
        break;
      case Verb::kRaw:
        if (r.method == "GET")
          add({"get", "--raw", r.path});
        else if (r.method == "POST")
          add({"create", "--raw", r.path, "-f", body_file.string()});
        else if (r.method == "PUT")
          add({"replace", "--raw", r.path, "-f", body_file.string()});
        else if (r.method == "DELETE")
          add({"delete", "--raw", r.path});
        else
          return Outcome::Skipped("kubectl has no raw " + r.method);
        break;
      case Verb::kWhoami:
        add({"auth", "whoami", "-o", "json"});
        break;
      case Verb::kCreate:
        add({"create", "-f", body_file.string(), "--validate=false", "-o", "json"});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        break;
      case Verb::kPatch:
        if (r.patch_type == "apply") {  // the body is the applied file
          add({"apply", "--server-side", "--field-manager=" + r.field_manager, "-f",
               body_file.string(), "-o", "json"});
          if (r.force) add({"--force-conflicts"});
        } else {
          add({"patch", r.resource, r.name, "--type", r.patch_type, "-p", r.body->dump(), "-o",
               "json"});
        }
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        break;
      case Verb::kDelete:
        add({"delete", r.resource, r.name, "--wait=false"});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        break;
      case Verb::kWatch:
        add({"get", r.resource, "-w", "-o", "name"});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        break;
      case Verb::kVersion:
        add({"version", "-o", "json"});
        break;
      case Verb::kExec:
        add({"exec", r.name});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        add({"--"});
        args.insert(args.end(), r.command.begin(), r.command.end());
        break;
      case Verb::kPortForward:
        add({"port-forward", "pod/" + r.name, fmt::format("0:{}", r.port)});
        args.insert(args.end(), ns_args.begin(), ns_args.end());
        break;
    }
    ProcessOptions po;
    po.env = env;
    po.cwd = t.work;
    po.timeout = job.timeout;
    if (r.verb == Verb::kWatch) {
      std::string line;
      for (const auto& a : args) line += ShellQuote(a) + " ";
      // Read N events, then hang up (kubectl would wait for the next change to notice).
      std::string fifo = (t.work / "kubectl-watch.fifo").string();
      po.argv = {"bash", "-c",
                 fmt::format("mkfifo '{0}'; {1} > '{0}' & pid=$!; head -n {2} < '{0}'; kill $pid "
                             "2>/dev/null; wait $pid; echo \"kubectl_exit=$?\" >&2",
                             fifo, line, r.events)};
    } else if (r.verb == Verb::kPortForward) {
      po.argv = {"bash", "-c", PortForwardScript(args, t.work)};
    } else {
      po.argv = args;
    }
    if (t.private_mounts && (t.path == AccessPath::kInCluster || !t.hosts_file.empty()))
      po.argv =
          InPrivateMounts(po.argv, t.path == AccessPath::kInCluster ? t.sa_dir : "", t.hosts_file);
    ProcessResult pr = RunProcess(po);
    RecordClientRun(po, pr.out, pr.err);
    if (!pr.started) return Outcome::Skipped("kubectl could not be started: " + pr.err);
    if (pr.timed_out) {
      Outcome o;
      o.kind = OutcomeKind::kTimeout;
      o.message = "no answer within the run's time limit";
      return o;
    }
    int exit_code = pr.exit_code;
    std::smatch m;
    if ((r.verb == Verb::kWatch || r.verb == Verb::kPortForward) &&
        std::regex_search(pr.err, m, std::regex(R"(kubectl_exit=(\d+))")))
      exit_code = std::stoi(m[1]);
    int lines_out = 0;
    {
      std::stringstream lines(pr.out);
      std::string l;
      while (std::getline(lines, l))
        if (!l.empty()) ++lines_out;
    }
    // Once the N events are in, the hang-up is ours: kubectl then dies of the signal or of the
    // closed pipe (a write error, exit 1), whichever comes first.
    bool events_seen = r.verb == Verb::kWatch && lines_out >= r.events;
    int code = LastStatus(pr.err, RequestPath(r));
    if (exit_code != 0 && !events_seen) {
      Outcome o = FromKubectlError(pr.out + pr.err);
      if (o.kind == OutcomeKind::kHttpError && code >= 400) o.code = code;
      if (o.kind == OutcomeKind::kHttpError && o.reason.empty())
        o.reason = base::ReasonForCode(o.code);
      return o;
    }
    Outcome o;
    o.kind = OutcomeKind::kOk;
    o.code = code;
    if (r.verb == Verb::kWatch) {
      o.events = lines_out;
    } else if (r.verb == Verb::kExec || r.verb == Verb::kPortForward) {
      o.message = FirstLine(pr.out);  // the command's output; what came back through the port
    } else {
      FillFromBody(pr.out, o);
    }
    return o;
  }
};

}  // namespace

std::unique_ptr<Driver> MakeKubectlDriver() { return std::make_unique<KubectlDriver>(); }

}  // namespace kubedouble::scenarios
