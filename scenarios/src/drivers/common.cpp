// What every driver shares: the target's JSON form, request paths, the in-cluster namespace.
#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>

#include "drivers/drivers.h"
#include "kubedouble/base/status.h"
#include "kubedouble/scenarios/driver.h"
#include "kubedouble/scenarios/parser.h"
#include "kubedouble/scenarios/process.h"

namespace kubedouble::scenarios {

namespace fs = std::filesystem;

json Target::ToJson() const {
  return json{{"path", AccessPathName(path)},
              {"server", server},
              {"host", host},
              {"port", port},
              {"ca_file", ca_file},
              {"insecure", insecure},
              {"token", token},
              {"cert_file", cert_file},
              {"key_file", key_file},
              {"tls_server_name", tls_server_name},
              {"via_flags", via_flags},
              {"kubeconfig", kubeconfig},
              {"kubeconfigs", kubeconfigs},
              {"kubeconfig_env", kubeconfig_env},
              {"context", context},
              {"sa_dir", sa_dir},
              {"incluster_env", incluster_env},
              {"private_mounts", private_mounts}};
}

std::string RequestPath(const Request& r) {
  std::string base = r.resource == "namespaces" || r.all_namespaces
                         ? "/api/v1/" + r.resource
                         : "/api/v1/namespaces/" + r.ns + "/" + r.resource;
  switch (r.verb) {
    case Verb::kList:
    case Verb::kCreate:
    case Verb::kWatch:
      return base;
    case Verb::kGet:
    case Verb::kPatch:
    case Verb::kDelete:
      return base + "/" + r.name;
    case Verb::kRaw:
      return r.path;
    case Verb::kWhoami:
      return "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    case Verb::kVersion:
      return "/version";
    case Verb::kExec:
      return base + "/" + r.name + "/exec";
    case Verb::kPortForward:
      return base + "/" + r.name + "/portforward";
  }
  return base;
}

std::string RequestMethod(const Request& r) {
  switch (r.verb) {
    case Verb::kCreate:
    case Verb::kWhoami:
      return "POST";
    case Verb::kPatch:
      return "PATCH";
    case Verb::kDelete:
      return "DELETE";
    case Verb::kRaw:
      return r.method;
    default:
      return "GET";
  }
}

fs::path ClientsDir() {
  if (const char* env = std::getenv("KUBEDOUBLE_CLIENTS"); env && *env) return env;
  fs::path suites = BuiltinSuitesDir();
  std::error_code ec;
  if (!suites.empty() && fs::is_directory(suites.parent_path() / "clients", ec))
    return suites.parent_path() / "clients";
#ifdef KUBEDOUBLE_SCENARIOS_SOURCE_DIR
  return fs::path(KUBEDOUBLE_SCENARIOS_SOURCE_DIR) / "clients";
#else
  return {};
#endif
}

namespace {
constexpr const char* kSaMount = "/var/run/secrets/kubernetes.io/serviceaccount";
}

bool PrivateMountsAvailable() {
  static std::once_flag once;
  static bool available = false;
  std::call_once(once, [] {
    if (geteuid() != 0 || !FindProgram("unshare")) return;
    std::error_code ec;
    fs::create_directories(kSaMount, ec);  // the mount point (empty outside the namespaces)
    if (ec) return;
    ProcessOptions o;
    o.argv = {"unshare", "-m", "sh", "-c", std::string("mount --bind /tmp ") + kSaMount};
    o.env = CleanEnvironment();
    o.timeout = std::chrono::milliseconds(5000);
    available = RunProcess(o).exit_code == 0;
  });
  return available;
}

std::vector<std::string> InPrivateMounts(const std::vector<std::string>& argv,
                                         const std::string& sa_dir, const std::string& hosts_file) {
  if (sa_dir.empty() && hosts_file.empty()) return argv;
  std::string script = "set -e; ";
  if (!sa_dir.empty()) script += fmt::format("mount --bind '{}' {}; ", sa_dir, kSaMount);
  if (!hosts_file.empty()) script += fmt::format("mount --bind '{}' /etc/hosts; ", hosts_file);
  script += "exec \"$@\"";
  std::vector<std::string> out{"unshare", "-m", "sh", "-c", script, "kubedouble-pod"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::unique_ptr<Driver> MakeDriver(const std::string& name, const fs::path& clients_dir) {
  fs::path dir = clients_dir.empty() ? ClientsDir() : clients_dir;
  if (name == "curl") return MakeCurlDriver();
  if (name == "kubectl") return MakeKubectlDriver();
  if (name == "python") return MakePythonDriver(dir);
  if (name == "node") return MakeNodeDriver(dir);
  if (name == "accesslib") return MakeAccesslibDriver();
  return nullptr;
}

// ---- helpers shared by the drivers (drivers.h) ----

void RecordClientRun(const ProcessOptions& run, const std::string& out, const std::string& err) {
  if (run.cwd.empty()) return;
  std::ofstream(run.cwd / "client.sh") << ShellScript(run);
  std::ofstream(run.cwd / "client.log") << "== stdout\n" << out << "\n== stderr\n" << err << "\n";
}

std::string ProgramOutput(const std::vector<std::string>& argv) {
  ProcessOptions o;
  o.argv = argv;
  o.env = CleanEnvironment();
  o.timeout = std::chrono::seconds(10);
  ProcessResult r = RunProcess(o);
  return r.exit_code == 0 ? r.out : "";
}

std::string FirstLine(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  size_t end = text.find('\n', start);
  std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (line.size() > 300) line = line.substr(0, 300) + "...";
  return line;
}

void FillFromBody(const std::string& body, Outcome& o) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;
  if (o.kind == OutcomeKind::kOk) {
    if (j.contains("items") && j["items"].is_array()) o.items = static_cast<int>(j["items"].size());
    if (j.value("kind", "") == "SelfSubjectReview" && j.contains("status"))
      o.user = j["status"].value("userInfo", json::object()).value("username", "");
    if (j.value("kind", "") == "TokenReview" && j.contains("status")) {
      o.authenticated = j["status"].value("authenticated", false);
      o.user = j["status"].value("user", json::object()).value("username", "");
    }
  } else if (auto status = base::ParseStatus(j)) {
    o.reason = status->reason;
    if (o.message.empty()) o.message = status->message;
  }
}

std::string PatchContentType(const std::string& patch_type) {
  if (patch_type == "json") return "application/json-patch+json";
  if (patch_type == "strategic") return "application/strategic-merge-patch+json";
  if (patch_type == "apply") return "application/apply-patch+yaml";
  return "application/merge-patch+json";
}

std::string ApplyQuery(const Request& r) {
  if (r.verb != Verb::kPatch || r.patch_type != "apply") return "";
  // The parser keeps field managers to characters a query value carries as they are.
  return "?fieldManager=" + r.field_manager + (r.force ? "&force=true" : "");
}

}  // namespace kubedouble::scenarios
