// curl, run the way the seed page runs it: --cacert, --insecure, --cert/--key and
// -H "Authorization: Bearer $TOKEN".
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

std::string JoinQuoted(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(a);
  }
  return out;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Outcome FromCurl(int exit_code, bool timed_out, const std::string& err, const std::string& body,
                 int http_code) {
  Outcome o;
  o.message = FirstLine(err);
  if (timed_out || exit_code == 28) {
    o.kind = OutcomeKind::kTimeout;
    return o;
  }
  switch (exit_code) {
    case 0:
      o.code = http_code;
      o.message.clear();
      if (http_code >= 200 && http_code < 300) {
        o.kind = OutcomeKind::kOk;
      } else {
        o.kind = OutcomeKind::kHttpError;
      }
      FillFromBody(body, o);
      // A body that is no Status: its first line (a Status comes indented to curl's user agent,
      // as from kube-apiserver, so its first line says nothing).
      if (o.kind == OutcomeKind::kHttpError && o.message.empty()) o.message = FirstLine(body);
      return o;
    case 35:
    case 51:
    case 60:
    case 83:
    case 90:
    case 91:
      o.kind = OutcomeKind::kTlsError;
      o.tls = ClassifyTlsMessage(err);
      if (o.tls.empty()) o.tls = "other";
      return o;
    case 3:
    case 58:
    case 59:
    case 77:
      o.kind = OutcomeKind::kConfigError;
      return o;
    default:
      o.kind = OutcomeKind::kConnectError;
      if (o.message.empty()) o.message = fmt::format("curl exited with {}", exit_code);
      return o;
  }
}

class CurlDriver : public Driver {
 public:
  std::string name() const override { return "curl"; }

  std::string Unavailable() const override {
    return FindProgram("curl") ? "" : "curl: not found on PATH";
  }
  std::string Version() const override {  // "curl 7.88.1 (x86_64-pc-linux-gnu) ..." → two words
    std::string first = FirstLine(ProgramOutput({"curl", "--version"}));
    size_t end = first.find(' ', first.find(' ') + 1);
    return first.substr(0, end);
  }

  std::string Unsupported(const Scenario& s) const override {
    if (s.request.verb == Verb::kExec || s.request.verb == Verb::kPortForward)
      return "curl does not speak the exec and port-forward stream protocols (WebSocket "
             "channels, SPDY)";
    if (s.access.path == AccessPath::kKubeconfig)
      return "curl does not read kubeconfig files (the seed path shows the shell lines that do)";
    if (s.access.path == AccessPath::kSeed && !FindProgram("kubectl"))
      return "the seed page's lines need kubectl to find APISERVER and TOKEN";
    if (s.request.inferred_namespace && s.access.path != AccessPath::kInCluster)
      return "curl has no configuration to take a namespace from (in-cluster it reads the "
             "namespace file)";
    return "";
  }

  Outcome Run(const Job& job) override {
    const Target& t = job.target;
    const Request& r = job.scenario->request;
    fs::path body_file = t.work / "curl-body";
    fs::path data_file = t.work / "curl-data.json";
    std::vector<std::string> args{"curl", "-sS"};
    if (r.verb == Verb::kWatch)
      args.insert(args.end(), {"-N", "--fail-with-body"});
    else
      args.insert(args.end(), {"-o", body_file.string(), "-w", "%{http_code}"});
    if (r.timeout_seconds > 0)
      args.insert(args.end(), {"--max-time", fmt::format("{}", r.timeout_seconds)});
    std::string method = RequestMethod(r);
    if (method != "GET") args.insert(args.end(), {"-X", method});
    bool in_cluster = t.path == AccessPath::kInCluster;
    std::string token_expr;  // shell expression for the token (in-cluster reads the file)
    if (in_cluster) {
      std::string sa =
          t.private_mounts ? "/var/run/secrets/kubernetes.io/serviceaccount" : t.sa_dir;
      args.insert(args.end(), {"--cacert", sa + "/ca.crt"});
      token_expr = "$(cat " + sa + "/token)";
    } else if (t.path != AccessPath::kSeed) {
      if (!t.ca_file.empty()) args.insert(args.end(), {"--cacert", t.ca_file});
      if (t.insecure) args.push_back("--insecure");
      if (!t.cert_file.empty())
        args.insert(args.end(), {"--cert", t.cert_file, "--key", t.key_file});
      if (!t.token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + t.token});
    }
    for (const auto& [k, v] : r.headers) args.insert(args.end(), {"-H", k + ": " + v});
    if (const Impersonation& as = r.impersonate; !as.empty()) {  // the headers, by hand
      args.insert(args.end(), {"-H", "Impersonate-User: " + as.user});
      for (const auto& g : as.groups) args.insert(args.end(), {"-H", "Impersonate-Group: " + g});
      if (!as.uid.empty()) args.insert(args.end(), {"-H", "Impersonate-Uid: " + as.uid});
    }
    std::optional<json> body = r.body;
    if (r.verb == Verb::kWhoami)
      body = json{{"kind", "SelfSubjectReview"}, {"apiVersion", "authentication.k8s.io/v1"}};
    if (body) {
      std::ofstream(data_file) << body->dump();
      std::string type =
          r.verb == Verb::kPatch ? PatchContentType(r.patch_type) : "application/json";
      args.insert(args.end(),
                  {"-H", "Content-Type: " + type, "--data-binary", "@" + data_file.string()});
    }
    // An inferred namespace is the pod's namespace file, read by the shell line: a marker
    // stands for it in the path until the line is written.
    const std::string kNsMarker = "\x01";
    Request with_ns = r;
    if (r.inferred_namespace) with_ns.ns = kNsMarker;
    std::string url_path = RequestPath(with_ns) + ApplyQuery(r);
    if (r.verb == Verb::kWatch) url_path += "?watch=true";
    std::string host = t.host;
    if (!t.hosts_file.empty() && !t.private_mounts && t.host.find(':') == std::string::npos &&
        !std::regex_match(t.host, std::regex(R"(\d+\.\d+\.\d+\.\d+)")))
      args.insert(args.end(), {"--resolve", fmt::format("{}:{}:127.0.0.1", t.host, t.port)});

    ProcessOptions po;
    po.env = job.env;
    po.timeout = job.timeout;
    po.cwd = t.work;
    std::string curl_line;
    if (t.path == AccessPath::kSeed) {
      // The seed page, line by line.
      std::string seed =
          "APISERVER=$(kubectl config view | grep server | cut -f 2- -d \":\" | tr -d \" \")\n"
          "TOKEN=$(kubectl describe secret $(kubectl get secrets | grep default | cut -f1 -d ' "
          "') | grep -E '^token' | cut -f2 -d':' | tr -d '\\t')\n";
      std::string extra = t.insecure ? "--insecure" : "--cacert " + ShellQuote(t.ca_file);
      curl_line = seed + JoinQuoted(args) + " $APISERVER" + url_path +
                  " --header \"Authorization: Bearer $TOKEN\" " + extra;
    } else {
      std::string url = (in_cluster && t.private_mounts)
                            ? fmt::format("https://kubernetes.default.svc:{}{}", t.port, url_path)
                            : t.server + url_path;
      curl_line = JoinQuoted(args);
      if (!token_expr.empty()) curl_line += " -H \"Authorization: Bearer " + token_expr + "\"";
      if (size_t at = url.find(kNsMarker); at != std::string::npos) {
        std::string sa =
            t.private_mounts ? "/var/run/secrets/kubernetes.io/serviceaccount" : t.sa_dir;
        curl_line += fmt::format(" {}\"$(cat {})\"{}", ShellQuote(url.substr(0, at)),
                                 ShellQuote(sa + "/namespace"), ShellQuote(url.substr(at + 1)));
      } else {
        curl_line += " " + ShellQuote(url);
      }
    }
    if (r.verb == Verb::kWatch) {
      // Watch: read the stream until N events, then hang up.
      // Read N events, then hang up (curl alone would wait for the server to end the stream).
      std::string fifo = (t.work / "curl-watch.fifo").string();
      curl_line = fmt::format(
          "mkfifo {0}; {1} > {0} & pid=$!; head -n {2} < {0} > {3}; kill $pid 2>/dev/null; "
          "wait $pid; echo \"curl_exit=$?\" >&2",
          ShellQuote(fifo), curl_line, r.events, ShellQuote(body_file.string() + ".events"));
    }
    po.argv = {"bash", "-c", curl_line};
    if (t.private_mounts && (in_cluster || !t.hosts_file.empty()))
      po.argv = InPrivateMounts(po.argv, in_cluster ? t.sa_dir : "", t.hosts_file);
    ProcessResult pr = RunProcess(po);
    RecordClientRun(po, pr.out, pr.err);
    if (!pr.started) {
      Outcome o;
      o.kind = OutcomeKind::kConfigError;
      o.message = pr.err;
      return o;
    }
    if (r.verb == Verb::kWatch) {
      std::smatch m;
      int exit_code = pr.exit_code;
      if (std::regex_search(pr.err, m, std::regex(R"(curl_exit=(\d+))")))
        exit_code = std::stoi(m[1]);
      std::string events = ReadFile(body_file.string() + ".events");
      // Hung up on after N events (SIGTERM: 143) or a closed pipe (23): that is success.
      if (exit_code == 23 || exit_code == 143) exit_code = 0;
      Outcome o;
      if (exit_code == 22) {  // --fail-with-body: an HTTP error, its Status in the output
        o.kind = OutcomeKind::kHttpError;
        FillFromBody(events, o);
        o.code = base::CodeForReason(o.reason);
        return o;
      }
      o = FromCurl(exit_code, pr.timed_out, pr.err, "", 200);
      if (o.kind == OutcomeKind::kOk) {
        int n = 0;
        std::stringstream lines(events);
        std::string line;
        while (std::getline(lines, line))
          if (!line.empty()) ++n;
        o.events = n;
        o.items.reset();
      }
      return o;
    }
    std::string out = pr.out;
    int http_code = 0;
    std::smatch m;
    if (std::regex_search(out, m, std::regex(R"((\d{3})\s*$)"))) http_code = std::stoi(m[1]);
    Outcome o = FromCurl(pr.exit_code, pr.timed_out, pr.err, ReadFile(body_file), http_code);
    if (t.path == AccessPath::kSeed && pr.exit_code != 0 && o.message.empty())
      o.message = FirstLine(pr.err);
    return o;
  }
};

}  // namespace

std::unique_ptr<Driver> MakeCurlDriver() { return std::make_unique<CurlDriver>(); }

}  // namespace kubedouble::scenarios
